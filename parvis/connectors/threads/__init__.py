"""Threads (Meta) through the official Threads API (graph.threads.net, pinned version in
api.py), as the connected profile: the replies to the profile's recent posts (own activity),
replying, hiding and unhiding replies, publishing (text, image, video, carousel) through media
containers, the publishing quota, and the posts' insights.

Reading replies: the profile's recent posts (/{user-id}/threads), then for each post its whole
conversation newest first (/{media-id}/conversation?reverse=true, every depth, cursor paging),
one Graph page per fetch, down to the mark (the newest reply time stored). Threads gives no
"last reply" time on a post, so each pass reads the first page of every recent post's
conversation; the mark moves only with the page that ends a pass, and a crash mid-pass resumes
from the committed cursor (repeats are dropped by the pipeline).
"""

from __future__ import annotations

import datetime as dt
import json
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
from parvis.connectors.facebook import newer, older_than, plausible
from parvis.connectors.threads import api as th
from parvis.connectors.threads import mapping, oauth

DEFAULT_POSTS = 25  # recent posts whose replies are read
DEFAULT_BACKFILL_PAGES = 20
PAGE_SIZE = 50
# Past this share of the app's limit for the profile, a run stops paging and leaves the rest
# to the next one, so that replies and hiding keep their calls.
USAGE_CEILING = 90.0


def raw_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@register
class ThreadsConnector(Connector):
    kind = "threads"
    label = _("Threads")
    network = "threads"
    capabilities = frozenset(
        {
            Capability.OWN_ACTIVITY,
            Capability.REPLY,
            Capability.PUBLISH,
            Capability.MODERATE,
            Capability.METRICS,
        }
    )
    moderation_actions = frozenset({ModerationAction.HIDE, ModerationAction.RESTORE})
    keep_unmatched = True
    auth = Auth.OAUTH2
    needs_account = True
    publishing_quota = True  # posts left in the rolling 24 hours
    metrics_batch = 25  # one request per post: a small batch per call
    settings_fields = (
        SettingField(
            "posts",
            _("Recent posts watched"),
            _("Replies are read on this many of the profile's latest posts (default 25)."),
            kind="int",
            advanced=True,
        ),
        SettingField(
            "backfill_pages",
            _("Pages read at the start"),
            _("How far back the first run reads, in pages of 50 replies."),
            kind="int",
            advanced=True,
        ),
    )

    # --- settings and connecting ------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        clean: dict[str, Any] = {"keep_all": True}
        for name, high in (("posts", 100), ("backfill_pages", 1000)):
            raw = config.get(name)
            if raw not in (None, ""):
                try:
                    value = int(raw)
                except (TypeError, ValueError):
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
        return True  # everything this connector reads answers the profile's posts

    @classmethod
    def sign_in_expires_at(cls, credentials: dict[str, str]) -> dt.datetime | None:
        # Refreshed on use while it lives: a profile unused for 60 days must sign in again.
        return token_expires_at(credentials)

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        permissions = "; ".join(f"{name}: {why}" for name, why in oauth.PERMISSIONS)
        return (
            SettingField(
                "app_id",
                _("Threads app id"),
                _(
                    "developers.facebook.com → My Apps → your app with the « Access the "
                    "Threads API » use case → Use cases → Customize → Settings: the Threads "
                    "app id, with Parvis's callback address as a redirect callback URL. "
                    "Permissions asked: %(permissions)s."
                )
                % {"permissions": permissions},
                required=True,
            ),
            SettingField("app_secret", _("Threads app secret"), required=True, kind="password"),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        app_id = (fields.get("app_id") or "").strip()
        app_secret = (fields.get("app_secret") or "").strip()
        if not app_id.isdigit() or len(app_id) > 30 or not app_secret:
            raise ValueError(_("Paste the Threads app id (digits) and the Threads app secret"))
        url = oauth.authorization_url(app_id, redirect_uri, state)
        return url, {"app_id": app_id, "app_secret": app_secret}

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        return oauth.finish(http, pending, code, redirect_uri)

    # --- the Threads API as the profile -----------------------------------------------------

    def profile_api(self) -> tuple[th.Api, str, str]:
        """The API as the profile, its user id and username; the long-lived token refreshed
        first when it is due (then kept, encrypted)."""
        credentials = self.credentials()
        user_id = credentials.get("user_id", "")
        if not th.MEDIA_ID.fullmatch(user_id):
            raise PermanentError(f"the Threads account has no user id stored: {th.RECONNECT}")
        if self.http is None:
            raise PermanentError("no HTTP client")  # pragma: no cover (the runner gives one)
        token = credentials.get("access_token", "")
        now = dt.datetime.now(dt.UTC)
        if token and oauth.refresh_due(credentials, now):
            changes = oauth.refresh(self.http, token, now)
            self.save_credentials(changes)
            token = changes["access_token"]
        username = credentials.get("username", "") or (self.account.handle if self.account else "")
        return th.Api(self.http, token), user_id, username

    # --- reading ----------------------------------------------------------------------------

    def first_pages(self) -> int:
        return int(self.source.config.get("backfill_pages") or DEFAULT_BACKFILL_PAGES)

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        api, user_id, _username = self.profile_api()
        result = self.fetch_replies(api, user_id, cursor)
        if result.more and api.usage >= USAGE_CEILING:
            result.more = False  # the cursor keeps the pass: the next run goes on from there
            result.notes["usage_percent"] = api.usage
        return result

    def fetch_replies(self, api: th.Api, user_id: str, cursor: dict[str, Any]) -> FetchResult:
        since = cursor.get("since", "") if isinstance(cursor.get("since"), str) else ""
        current = cursor.get("pass")
        if not isinstance(current, dict):
            current = {"posts": self.posts_to_read(api, user_id), "top": "", "pages": 0}
        posts = [p for p in th.as_list(current.get("posts")) if isinstance(p, str)]
        if not posts:
            return FetchResult(items=[], cursor={"since": newer(current.get("top", ""), since)})
        post_id = posts[0]
        params = {"fields": mapping.REPLY_FIELDS, "reverse": "true", "limit": str(PAGE_SIZE)}
        if isinstance(current.get("after"), str) and current["after"]:
            params["after"] = current["after"]
        try:
            body = api.get(f"{post_id}/conversation", params)
        except th.Gone:
            body = {}  # the post was deleted meanwhile: nothing more to read on it
        items, top, oldest = self.reply_items(body, post_id, str(current.get("top") or ""))
        pages = int(current.get("pages") or 0) + 1
        after = th.after_cursor(body)
        first_run_done = not since and pages >= self.first_pages()
        if not after or older_than(oldest, since) or first_run_done:
            posts, after, pages = posts[1:], "", 0
        if not posts:
            return FetchResult(items=items, cursor={"since": newer(top, since)})
        state: dict[str, Any] = {"posts": posts, "top": top, "pages": pages}
        if after:
            state["after"] = after
        return FetchResult(items=items, cursor={"since": since, "pass": state}, more=True)

    def posts_to_read(self, api: th.Api, user_id: str) -> list[str]:
        limit = int(self.source.config.get("posts") or DEFAULT_POSTS)
        body = api.get(f"{user_id}/threads", {"fields": "id,timestamp", "limit": str(limit)})
        found = []
        for post in th.as_list(body.get("data")):
            post_id = th.as_dict(post).get("id")
            if isinstance(post_id, str) and th.MEDIA_ID.fullmatch(post_id):
                found.append(post_id)
        return found[:limit]

    def reply_items(
        self, body: dict[str, Any], post_id: str, top: str
    ) -> tuple[list[Incoming], str, dt.datetime | None]:
        items: list[Incoming] = []
        oldest: dt.datetime | None = None
        for reply in th.as_list(body.get("data")):
            try:
                data = mapping.reply_mention(reply, post_id)
            except (mapping.Malformed, TypeError, AttributeError) as exc:
                items.append(Incoming(None, raw_text(reply), error=f"unreadable reply: {exc}"))
                continue
            items.append(Incoming(data, raw_text(reply), payload=reply))
            when = plausible(reply.get("timestamp"))
            if when is not None:
                top = newer(reply["timestamp"], top)
                oldest = when if oldest is None else min(oldest, when)
        # Read newest first, stored oldest first: a reply to a reply then finds the
        # conversation its parent opened in the inbox (within one page).
        items.reverse()
        return items, top, oldest

    # --- replying, moderating, publishing, metrics -----------------------------------------

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        from parvis.connectors.threads import outgoing

        self.reply_account()
        api, user_id, username = self.profile_api()
        return outgoing.reply(self, api, user_id, username, target, text, context.idempotency_key)

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        from parvis.connectors.threads import outgoing

        self.reply_account()
        api, _user_id, username = self.profile_api()
        return outgoing.find_reply(api, username, target, text, since)

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        from parvis.connectors.threads import outgoing

        self.moderation_account()
        api, _user_id, _username = self.profile_api()
        return outgoing.moderate(api, target, action)

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        from parvis.connectors.threads import outgoing

        self.publish_account()
        api, user_id, username = self.profile_api()
        return outgoing.create(self, api, user_id, username, post, context.idempotency_key)

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        from parvis.connectors.threads import outgoing

        self.publish_account()
        api, user_id, username = self.profile_api()
        return outgoing.find_post(api, user_id, username, post, since)

    def publish_limits(self) -> PublishLimits:
        """The documented limits, and the 24-hour quota left when an account is at hand."""
        from parvis.connectors.threads import outgoing

        if self.account is None or self.http is None:
            return outgoing.DEFAULT_LIMITS
        api, user_id, _username = self.profile_api()
        return outgoing.limits(api, user_id)

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        from parvis.connectors.threads import outgoing

        self.acting_account("reading metrics", "the Threads profile")
        api, _user_id, _username = self.profile_api()
        return outgoing.post_metrics(api, external_ids)


def token_expires_at(credentials: dict[str, str]) -> dt.datetime | None:
    """When the stored long-lived token dies unless refreshed (for expiry warnings)."""
    from parvis.connectors.base import parse_time

    return parse_time(credentials.get("token_expires_at"))


__all__ = ["ThreadsConnector", "token_expires_at"]
