"""Instagram professional accounts (business or creator) through the Instagram Graph API, as
the account, by the token of the Facebook Page it is linked to (Facebook Login for Business):
comments and replies on the account's recent media and media it is tagged in (own activity),
replies, hiding and deleting comments, publishing (image, carousel, reel) and counts.

Reading comments: the account's recent media (/{ig-user-id}/media, newest first), then for
each with comments their comments with their replies nested (/{ig-media-id}/comments,
fields=…,replies{…}, cursor paging), one Graph page per fetch. Items older than the mark
(newest comment stored) are skipped; the mark moves with the page that ends a pass; repeats are
dropped by the pipeline. Webhook deliveries (webhook.py) waiting for the account come first.

The Graph client, its error mapping and usage headers, Facebook Login, exactly-once sends and
the webhook's verification are the Facebook connector's, imported from there.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import (
    AccountInfo,
    Auth,
    Capability,
    Connector,
    FetchContext,
    FetchResult,
    Incoming,
    MetricsContext,
    ModerationAction,
    ModerationContext,
    ModerationResult,
    OutgoingPost,
    PermanentError,
    PostMetrics,
    PublishContext,
    PublishedPost,
    PublishLimits,
    ReplyContext,
    ReplyTarget,
    SentReply,
    SettingField,
    register,
)
from parvis.connectors.facebook import graph, oauth
from parvis.connectors.facebook import mapping as fb_mapping
from parvis.connectors.instagram import connect, mapping
from parvis.connectors.instagram.api import RECONNECT, Api
from parvis.connectors.options import latest_plausible

COMMENTS, MENTIONS = "comments", "mentions"
DEFAULT_MEDIA = 10  # recent media whose comments are watched
DEFAULT_BACKFILL_PAGES = 20
PAGE_SIZE = 50
USAGE_CEILING = 90.0  # as the Facebook connector: leave calls for replies and moderation


def raw_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def plausible(value: Any) -> dt.datetime | None:
    parsed = fb_mapping.graph_time(value)
    if parsed is None or parsed > latest_plausible():
        return None
    return parsed


def newer(a: str, b: str) -> str:
    pa, pb = plausible(a), plausible(b)
    if pa is None or pb is None:
        return a if pa is not None else b
    return a if pa >= pb else b


@register
class InstagramConnector(Connector):
    kind = "instagram"
    label = _("Instagram professional account")
    network = "instagram"
    capabilities = frozenset(
        {
            Capability.OWN_ACTIVITY,
            Capability.REPLY,
            Capability.PUBLISH,
            Capability.MODERATE,
            Capability.METRICS,
        }
    )
    moderation_actions = frozenset(
        {ModerationAction.HIDE, ModerationAction.RESTORE, ModerationAction.DELETE}
    )
    keep_unmatched = True
    auth = Auth.OAUTH2
    needs_account = True
    publishing_quota = True  # posts left in the rolling 24 hours
    metrics_batch = 50
    settings_fields = (
        SettingField(
            "mode",
            _("What to read"),
            required=True,
            kind="choice",
            choices=(
                (COMMENTS, _("Comments and replies on the account's posts")),
                (MENTIONS, _("Posts the account is tagged in")),
            ),
            default=COMMENTS,
        ),
        SettingField(
            "posts",
            _("Recent posts watched"),
            _("Comments are read on this many of the account's latest posts (default 10)."),
            kind="int",
            advanced=True,
        ),
        SettingField(
            "backfill_pages",
            _("Pages read at the start"),
            _("How far back the first run reads, in pages of 50 comments."),
            kind="int",
            advanced=True,
        ),
    )
    # Waiting between two reads of a container being processed (tests replace it).
    sleep = staticmethod(time.sleep)

    # --- settings and connecting ------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        mode = str(config.get("mode") or COMMENTS).strip()
        if mode not in (COMMENTS, MENTIONS):
            raise ValueError(_("Choose what to read: comments or mentions"))
        clean: dict[str, Any] = {"mode": mode, "keep_all": True}
        for name, high in (("posts", 50), ("backfill_pages", 1000)):
            raw = config.get(name)
            if raw not in (None, ""):
                try:
                    value = int(raw)
                except (TypeError, ValueError, OverflowError):
                    value = 0
                if not 1 <= value <= high:
                    raise ValueError(
                        _("%(name)s must be a whole number from 1 to %(high)s")
                        % {"name": name, "high": high}
                    )
                clean[name] = value
        return clean

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return True

    @classmethod
    def sign_in_expires_at(cls, credentials: dict[str, str]) -> dt.datetime | None:
        # The Page token lives as long as the long-lived user token it came from (60 days).
        from parvis.connectors.base import parse_time

        return parse_time(credentials.get("user_token_expires_at"))

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        permissions = "; ".join(f"{name}: {why}" for name, why in connect.PERMISSIONS)
        return (
            SettingField(
                "app_id",
                _("Meta app id"),
                _(
                    "The Instagram account must be a professional account (business or "
                    "creator) linked to a Facebook Page you manage. developers.facebook.com → "
                    "My Apps → your app (type Business) → App settings → Basic, with Facebook "
                    "Login for Business and Parvis's callback address as a valid OAuth "
                    "redirect URI. Permissions asked: %(permissions)s."
                )
                % {"permissions": permissions},
                required=True,
            ),
            SettingField("app_secret", _("Meta app secret"), required=True, kind="password"),
            SettingField(
                "config_id",
                _("Login configuration id"),
                _(
                    "Facebook Login for Business → Configurations (optional: without one, "
                    "Parvis asks for the permissions above by name)."
                ),
            ),
            SettingField(
                "page",
                _("Page or Instagram account"),
                _(
                    "The Facebook Page's name or id, or the Instagram username, when you "
                    "manage several (optional)."
                ),
            ),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        app_id = (fields.get("app_id") or "").strip()
        app_secret = (fields.get("app_secret") or "").strip()
        if not app_id.isascii() or not app_id.isdigit() or not app_secret:
            raise ValueError(_("Paste the Meta app id (digits) and the app secret"))
        config_id = (fields.get("config_id") or "").strip()
        if config_id and not (config_id.isascii() and config_id.isdigit()):
            raise ValueError(_("A login configuration id is made of digits"))
        url = oauth.authorization_url(app_id, redirect_uri, state, config_id, scope=connect.SCOPE)
        pending = {
            "app_id": app_id,
            "app_secret": app_secret,
            "page": (fields.get("page") or "").strip()[:200],
        }
        return url, pending

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        return connect.finish(http, pending, code, redirect_uri)

    # --- the Graph API as the account -------------------------------------------------------

    def api(self) -> tuple[Api, str]:
        credentials = self.credentials()
        user_id = credentials.get("ig_user_id", "")
        if not user_id:
            raise PermanentError(f"the Instagram account has no id stored: {RECONNECT}")
        if self.http is None:
            raise PermanentError("no HTTP client")  # pragma: no cover (the runner gives one)
        api = Api(
            self.http, credentials.get("page_access_token", ""), credentials.get("app_secret", "")
        )
        return api, user_id

    def username(self) -> str:
        return self.credentials().get("username", "")

    # --- reading ----------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        from parvis.connectors.facebook import webhook as fb_webhook
        from parvis.connectors.instagram import webhook

        api, user_id = self.api()
        delivered = cursor.get("delivered")
        delivered = delivered if isinstance(delivered, int) else 0
        pushed = fb_webhook.pending(user_id, delivered)
        polled = {k: v for k, v in cursor.items() if k != "delivered"}
        if self.source.config.get("mode") == MENTIONS:
            result = self.fetch_tags(api, user_id, polled)
        else:
            result = self.fetch_comments(api, user_id, polled)
        if pushed:
            pushed_items = webhook.items_for(api, user_id, pushed)
            result.items = pushed_items + result.items
            result.notes["webhook_changes"] = len(pushed_items)
            delivered = pushed[-1].pk
        if delivered:
            result.cursor = {**result.cursor, "delivered": delivered}
        if result.more and api.usage >= USAGE_CEILING:
            result.more = False
            result.notes["usage_percent"] = api.usage
        return result

    def first_pages(self) -> int:
        return int(self.source.config.get("backfill_pages") or DEFAULT_BACKFILL_PAGES)

    def media_to_read(self, api: Api, user_id: str) -> list[dict[str, str]]:
        limit = int(self.source.config.get("posts") or DEFAULT_MEDIA)
        body = api.get(f"{user_id}/media", {"fields": mapping.MEDIA_FIELDS, "limit": str(limit)})
        found = []
        for media in graph.as_list(body.get("data")):
            if not isinstance(media, dict) or not isinstance(media.get("id"), str):
                continue
            if media.get("comments_count") == 0:
                continue  # nothing to read there
            found.append(
                {"id": media["id"], "permalink": mapping.permalink(media.get("permalink"))}
            )
        return found[:limit]

    def fetch_comments(self, api: Api, user_id: str, cursor: dict[str, Any]) -> FetchResult:
        since = cursor.get("since", "")
        since = since if isinstance(since, str) else ""
        current = cursor.get("pass")
        if not isinstance(current, dict):
            current = {"media": self.media_to_read(api, user_id), "top": "", "pages": 0}
        media_list = [m for m in graph.as_list(current.get("media")) if isinstance(m, dict)]
        if not media_list:
            return FetchResult(items=[], cursor={"since": newer(current.get("top", ""), since)})
        media = media_list[0]
        params = {"fields": mapping.COMMENT_FIELDS, "limit": str(PAGE_SIZE)}
        if current.get("after"):
            params["after"] = current["after"]
        try:
            body = api.get(f"{media['id']}/comments", params)
        except graph.Gone:
            body = {}  # the media was deleted meanwhile
        items, top = self.comment_items(body, media, since, str(current.get("top", "")))
        pages = int(current.get("pages") or 0) + 1
        after = graph.after_cursor(body)
        if not after or (not since and pages >= self.first_pages()):
            media_list, after, pages = media_list[1:], "", 0
        if not media_list:
            return FetchResult(items=items, cursor={"since": newer(top, since)})
        state = {"media": media_list, "top": top, "pages": pages}
        if after:
            state["after"] = after
        return FetchResult(items=items, cursor={"since": since, "pass": state}, more=True)

    def comment_items(
        self, body: dict[str, Any], media: dict[str, Any], since: str, top: str
    ) -> tuple[list[Incoming], str]:
        mark = plausible(since) if since else None
        items: list[Incoming] = []
        for comment in graph.as_list(body.get("data")):
            nested = graph.as_dict(comment).get("replies") if isinstance(comment, dict) else None
            replies = graph.as_list(graph.as_dict(nested).get("data"))
            for one in [comment, *replies]:
                when = plausible(one.get("timestamp")) if isinstance(one, dict) else None
                if mark is not None and when is not None and when < mark:
                    continue  # stored by an earlier pass
                try:
                    data = mapping.comment_mention(one, media)
                except (mapping.Malformed, TypeError, AttributeError) as exc:
                    items.append(Incoming(None, raw_text(one), error=f"unreadable comment: {exc}"))
                    continue
                payload = {**one, "media": media, "url": data["url"]}
                payload.pop("replies", None)
                items.append(Incoming(data, raw_text(one), payload=payload))
                if when is not None:
                    top = newer(one["timestamp"], top)
        return items, top

    def fetch_tags(self, api: Api, user_id: str, cursor: dict[str, Any]) -> FetchResult:
        since = cursor.get("since", "")
        since = since if isinstance(since, str) else ""
        current = graph.as_dict(cursor.get("pass"))
        params = {"fields": mapping.TAGGED_FIELDS, "limit": str(PAGE_SIZE)}
        if current.get("after"):
            params["after"] = current["after"]
        body = api.get(f"{user_id}/tags", params)
        items: list[Incoming] = []
        top, oldest = str(current.get("top", "")), None
        for media in graph.as_list(body.get("data")):
            try:
                data = mapping.tagged_mention(media)
            except (mapping.Malformed, TypeError, AttributeError) as exc:
                items.append(Incoming(None, raw_text(media), error=f"unreadable post: {exc}"))
                continue
            items.append(Incoming(data, raw_text(media), payload=media))
            when = plausible(media.get("timestamp"))
            if when is not None:
                top = newer(media["timestamp"], top)
                oldest = when if oldest is None else min(oldest, when)
        pages = int(current.get("pages") or 0) + 1
        after = graph.after_cursor(body)
        mark = plausible(since) if since else None
        reached_old = oldest is not None and mark is not None and oldest < mark
        if not after or reached_old or (not since and pages >= self.first_pages()):
            return FetchResult(items=items, cursor={"since": newer(top, since)})
        state = {"after": after, "top": top, "pages": pages}
        return FetchResult(items=items, cursor={"since": since, "pass": state}, more=True)

    # --- replying, moderating, publishing, counts -------------------------------------------

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        from parvis.connectors.instagram import replies

        self.reply_account()
        api, user_id = self.api()
        return replies.create(
            self, api, user_id, self.username(), target, text, context.idempotency_key
        )

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        from parvis.connectors.instagram import replies

        self.reply_account()
        api, user_id = self.api()
        return replies.find(api, user_id, self.username(), target, text, since)

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        from parvis.connectors.instagram import replies

        self.moderation_account()
        api, user_id = self.api()
        return replies.moderate(api, user_id, target, action)

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        from parvis.connectors.instagram import publishing

        self.publish_account()
        api, user_id = self.api()
        return publishing.create(self, api, user_id, post, context.idempotency_key, self.sleep)

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        from parvis.connectors.instagram import publishing

        self.publish_account()
        api, user_id = self.api()
        return publishing.find(api, user_id, post, since)

    def publish_limits(self) -> PublishLimits:
        """The documented limits, and the posts left in the last 24 hours when the account is
        connected (content_publishing_limit)."""
        from parvis.connectors.instagram import publishing

        if self.account is None:
            return publishing.LIMITS
        api, user_id = self.api()
        return publishing.limits(api, user_id)

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        from parvis.connectors.instagram import metrics

        self.acting_account("reading counts", "the Instagram account")
        api, _user_id = self.api()
        return metrics.post_metrics(api, external_ids)

    def account_metrics(
        self, since: dt.date, until: dt.date
    ) -> dict[str, list[tuple[dt.date, int]]]:
        """The account's daily reach and follower count (no caller in the contract yet: the
        analytics app will call it, as Facebook's page_metrics)."""
        from parvis.connectors.instagram import metrics

        self.acting_account("reading counts", "the Instagram account")
        api, user_id = self.api()
        return metrics.account_days(api, user_id, since, until)


__all__ = ["InstagramConnector"]
