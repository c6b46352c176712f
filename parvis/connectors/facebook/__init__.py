"""Facebook Pages through the Graph API (pinned version in graph.py), as the Page itself: the
comments and replies on the Page's posts and the posts the Page is tagged in (own activity),
replies, hiding and deleting comments, and publishing (text, link, photos).

Reading comments: the Page's recent posts (/{page-id}/feed, `updated_time` is the time of a
post's last comment), then for each post whose updated_time is past the mark its comments
newest first (/{post-id}/comments, filter=stream for replies too, order=reverse_chronological,
cursor paging), one Graph page per fetch. The mark (newest comment time stored) moves only
with the page that ends a pass; a crash mid-pass resumes from the committed cursor, repeats
are dropped by the pipeline. Webhook deliveries (webhook.py) waiting for the Page are stored
first, so a Page with a public webhook gets its comments within a run, others by polling.
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
from parvis.connectors.facebook import graph, mapping, oauth
from parvis.connectors.options import latest_plausible

COMMENTS, MENTIONS, MESSAGES = "comments", "mentions", "messages"
DEFAULT_POSTS = 25  # recent posts whose comments are watched
DEFAULT_BACKFILL_PAGES = 20
PAGE_SIZE = 50
# Past this share of a Platform or Business Use Case limit (X-App-Usage,
# X-Business-Use-Case-Usage), a run stops paging and leaves the rest to the next one, so that
# replies and moderation on the same Page keep their calls.
USAGE_CEILING = 90.0


def raw_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def plausible(value: Any) -> dt.datetime | None:
    """A Graph time no later than tomorrow (a forged 9999 must not move the mark)."""
    parsed = mapping.graph_time(value)
    if parsed is None or parsed > latest_plausible():
        return None
    return parsed


def older_than(moment: dt.datetime | None, mark: str) -> bool:
    """Whether a page's oldest item is older than the mark (none: the first pass)."""
    limit = mapping.graph_time(mark) if mark else None
    return moment is not None and limit is not None and moment < limit


def newer(a: str, b: str) -> str:
    if not a or not b:
        return a or b
    pa, pb = mapping.graph_time(a), mapping.graph_time(b)
    if pa is None or pb is None:
        return a if pa is not None else b
    return a if pa >= pb else b


@register
class FacebookConnector(Connector):
    kind = "facebook"
    label = _("Facebook Page")
    network = "facebook"
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
    settings_fields = (
        SettingField(
            "mode",
            _("What to read"),
            required=True,
            kind="choice",
            choices=(
                (COMMENTS, _("Comments and replies on the Page's posts")),
                (MENTIONS, _("Posts the Page is tagged in")),
                (MESSAGES, _("Messenger conversations (needs pages_messaging)")),
            ),
            default=COMMENTS,
        ),
        SettingField(
            "posts",
            _("Recent posts watched"),
            _("Comments are read on this many of the Page's latest posts (default 25)."),
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

    # --- settings and connecting ------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        mode = str(config.get("mode") or COMMENTS).strip()
        if mode not in (COMMENTS, MENTIONS, MESSAGES):
            raise ValueError(_("Choose what to read: comments, mentions or messages"))
        clean: dict[str, Any] = {"mode": mode, "keep_all": True}
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
        return True  # everything this connector reads is addressed to the Page

    @classmethod
    def is_private(cls, raw: dict[str, Any]) -> bool:
        from parvis.connectors.facebook import messenger

        return messenger.is_message(raw)

    @classmethod
    def sign_in_expires_at(cls, credentials: dict[str, str]) -> dt.datetime | None:
        # The Page token lives as long as the long-lived user token it came from (60 days).
        from parvis.connectors.base import parse_time

        return parse_time(credentials.get("user_token_expires_at"))

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        permissions = "; ".join(f"{name}: {why}" for name, why in oauth.PERMISSIONS)
        return (
            SettingField(
                "app_id",
                _("Meta app id"),
                _(
                    "developers.facebook.com → My Apps → your app (type Business) → App "
                    "settings → Basic, with Facebook Login for Business and Parvis's callback "
                    "address as a valid OAuth redirect URI. Permissions asked: %(permissions)s."
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
                _("Page"),
                _("The Page's name or id, when you manage several (optional)."),
            ),
            SettingField(
                "messenger",
                _("Messenger too"),
                _(
                    "Also read and answer the Page's Messenger conversations: asks for "
                    "pages_messaging, which your app must have (App Review)."
                ),
                kind="bool",
                default=False,
            ),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        app_id = (fields.get("app_id") or "").strip()
        app_secret = (fields.get("app_secret") or "").strip()
        if not app_id.isdigit() or not app_secret:
            raise ValueError(_("Paste the Meta app id (digits) and the app secret"))
        config_id = (fields.get("config_id") or "").strip()
        if config_id and not config_id.isdigit():
            raise ValueError(_("A login configuration id is made of digits"))
        messenger = (fields.get("messenger") or "") == "true"
        url = oauth.authorization_url(app_id, redirect_uri, state, config_id, messenger=messenger)
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
        return oauth.finish(http, pending, code, redirect_uri)

    # --- the Graph API as the Page ----------------------------------------------------------

    def page_api(self) -> tuple[graph.Api, str]:
        credentials = self.credentials()
        page_id = credentials.get("page_id", "")
        if not page_id:
            raise PermanentError(f"the Facebook account has no Page id stored: {graph.RECONNECT}")
        if self.http is None:
            raise PermanentError("no HTTP client")  # pragma: no cover (the runner gives one)
        api = graph.Api(
            self.http, credentials.get("page_access_token", ""), credentials.get("app_secret", "")
        )
        return api, page_id

    # --- reading ----------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        api, page_id = self.page_api()
        result = self.fetch_mode(api, page_id, cursor)
        if result.more and api.usage >= USAGE_CEILING:
            result.more = False  # the cursor keeps the pass: the next run goes on from there
            result.notes["usage_percent"] = api.usage
        return result

    def fetch_mode(self, api: graph.Api, page_id: str, cursor: dict[str, Any]) -> FetchResult:
        from parvis.connectors.facebook import webhook

        mode = self.source.config.get("mode")
        if mode == MENTIONS:
            return self.fetch_mentions(api, page_id, cursor)
        # Comments and Messenger sources first take what the webhook pushed for the Page.
        delivered = cursor.get("delivered")
        delivered = delivered if isinstance(delivered, int) else 0
        pushed = webhook.pending(page_id, delivered)
        polled = {k: v for k, v in cursor.items() if k != "delivered"}
        if mode == MESSAGES:
            result = self.fetch_messages(api, page_id, polled)
            pushed_items = webhook.messages_for(pushed)
        else:
            result = self.fetch_comments(api, page_id, polled)
            pushed_items = webhook.items_for(api, pushed) if pushed else []
        if pushed:
            result.items = pushed_items + result.items
            result.notes["webhook_changes"] = len(pushed_items)
            delivered = pushed[-1].pk
        if delivered:
            # Committed with the stored items: each change reaches the pipeline once.
            result.cursor = {**result.cursor, "delivered": delivered}
        return result

    def first_pages(self) -> int:
        return int(self.source.config.get("backfill_pages") or DEFAULT_BACKFILL_PAGES)

    def fetch_comments(self, api: graph.Api, page_id: str, cursor: dict[str, Any]) -> FetchResult:
        since = cursor.get("since", "")
        current = cursor.get("pass")
        if not isinstance(current, dict):
            current = {"posts": self.posts_to_read(api, page_id, since), "top": "", "pages": 0}
        posts = list(current.get("posts") or [])
        if not posts:
            return FetchResult(items=[], cursor={"since": newer(current.get("top", ""), since)})
        post_id = posts[0]
        params = {
            "filter": "stream",
            "order": "reverse_chronological",
            "fields": mapping.COMMENT_FIELDS,
            "limit": str(PAGE_SIZE),
        }
        if current.get("after"):
            params["after"] = current["after"]
        try:
            body = api.get(f"{post_id}/comments", params)
        except graph.Gone:
            body = {}  # the post was deleted meanwhile: nothing more to read on it
        items, top, oldest = self.comment_items(body, post_id, current.get("top", ""))
        pages = int(current.get("pages") or 0) + 1
        after = graph.after_cursor(body)
        reached_old = older_than(oldest, since)
        first_run_done = not since and pages >= self.first_pages()
        if not after or reached_old or first_run_done:
            posts, after, pages = posts[1:], "", 0
        if not posts:
            return FetchResult(items=items, cursor={"since": newer(top, since)})
        state = {"posts": posts, "top": top, "pages": pages}
        if after:
            state["after"] = after
        return FetchResult(items=items, cursor={"since": since, "pass": state}, more=True)

    def posts_to_read(self, api: graph.Api, page_id: str, since: str) -> list[str]:
        """The recent posts with comments past the mark (updated_time: the last comment's)."""
        limit = int(self.source.config.get("posts") or DEFAULT_POSTS)
        body = api.get(
            f"{page_id}/feed", {"fields": "id,created_time,updated_time", "limit": str(limit)}
        )
        mark = mapping.graph_time(since) if since else None
        found = []
        for post in body.get("data") or []:
            if not isinstance(post, dict) or not isinstance(post.get("id"), str):
                continue
            updated = mapping.graph_time(post.get("updated_time") or post.get("created_time"))
            if mark is not None and updated is not None and updated < mark:
                continue
            found.append(post["id"])
        return found[:limit]

    def comment_items(
        self, body: dict[str, Any], post_id: str, top: str
    ) -> tuple[list[Incoming], str, dt.datetime | None]:
        items: list[Incoming] = []
        oldest: dt.datetime | None = None
        for comment in body.get("data") or []:
            try:
                data = mapping.comment_mention(comment, post_id)
            except (mapping.Malformed, TypeError, AttributeError) as exc:
                items.append(Incoming(None, raw_text(comment), error=f"unreadable comment: {exc}"))
                continue
            items.append(Incoming(data, raw_text(comment), payload=comment))
            when = plausible(comment.get("created_time"))
            if when is not None:
                top = newer(comment["created_time"], top)
                oldest = when if oldest is None else min(oldest, when)
        return items, top, oldest

    def fetch_mentions(self, api: graph.Api, page_id: str, cursor: dict[str, Any]) -> FetchResult:
        since = cursor.get("since", "")
        current = graph.as_dict(cursor.get("pass"))
        params = {"fields": mapping.TAGGED_FIELDS, "limit": str(PAGE_SIZE)}
        if current.get("after"):
            params["after"] = current["after"]
        body = api.get(f"{page_id}/tagged", params)
        items: list[Incoming] = []
        top, oldest = current.get("top", ""), None
        for post in body.get("data") or []:
            try:
                data = mapping.tagged_mention(post)
            except (mapping.Malformed, TypeError, AttributeError) as exc:
                items.append(Incoming(None, raw_text(post), error=f"unreadable post: {exc}"))
                continue
            items.append(Incoming(data, raw_text(post), payload=post))
            when = plausible(post.get("created_time"))
            if when is not None:
                top = newer(post["created_time"], top)
                oldest = when if oldest is None else min(oldest, when)
        pages = int(current.get("pages") or 0) + 1
        after = graph.after_cursor(body)
        reached_old = older_than(oldest, since)
        if not after or reached_old or (not since and pages >= self.first_pages()):
            return FetchResult(items=items, cursor={"since": newer(top, since)})
        state = {"after": after, "top": top, "pages": pages}
        return FetchResult(items=items, cursor={"since": since, "pass": state}, more=True)

    def fetch_messages(self, api: graph.Api, page_id: str, cursor: dict[str, Any]) -> FetchResult:
        """Conversations newest updated first, down to the mark (updated_time)."""
        from parvis.connectors.facebook import messenger

        since = cursor.get("since", "")
        current = graph.as_dict(cursor.get("pass"))
        params = {
            "platform": "messenger",
            "fields": messenger.CONVERSATION_FIELDS,
            "limit": str(messenger.PAGE_SIZE),
        }
        if current.get("after"):
            params["after"] = current["after"]
        body = api.get(f"{page_id}/conversations", params, "message")
        items: list[Incoming] = []
        top, oldest = current.get("top", ""), None
        for conversation in graph.as_list(body.get("data")):
            found, updated = messenger.conversation_items(conversation, page_id, raw_text)
            items.extend(found)
            when = plausible(updated)
            if when is not None:
                top = newer(updated, top)
                oldest = when if oldest is None else min(oldest, when)
        pages = int(current.get("pages") or 0) + 1
        after = graph.after_cursor(body)
        if not after or older_than(oldest, since) or (not since and pages >= self.first_pages()):
            return FetchResult(items=items, cursor={"since": newer(top, since)})
        state = {"after": after, "top": top, "pages": pages}
        return FetchResult(items=items, cursor={"since": since, "pass": state}, more=True)

    # --- replying, moderating, publishing ---------------------------------------------------

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        from parvis.connectors.facebook import messenger, replies

        self.reply_account()
        api, page_id = self.page_api()
        if target.private or messenger.is_message(target.raw):
            return messenger.create(self, api, page_id, target, text, context.idempotency_key)
        return replies.create(self, api, page_id, target, text, context.idempotency_key)

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        from parvis.connectors.facebook import messenger, replies

        self.reply_account()
        api, page_id = self.page_api()
        if target.private or messenger.is_message(target.raw):
            return messenger.find(api, page_id, target, text, since)
        return replies.find(api, page_id, target, text, since)

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        from parvis.connectors.facebook import moderation

        self.moderation_account()
        api, _page_id = self.page_api()
        return moderation.moderate(api, target, action)

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        from parvis.connectors.facebook import publishing

        self.publish_account()
        api, page_id = self.page_api()
        return publishing.create(self, api, page_id, post, context.idempotency_key)

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        from parvis.connectors.facebook import publishing

        self.publish_account()
        api, page_id = self.page_api()
        return publishing.find(api, page_id, post, since)

    # --- metrics (the publishing app calls post_metrics; page_metrics waits for analytics) ---

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        """The Page's posts' likes (reactions), replies (top-level comments), reposts (shares)
        and views (people reached, the post's lifetime insight), 50 posts a request (see
        metrics.py); a thread part (the Page's comment) has no shares nor reach: None. Ids
        that are not Facebook object ids are left out; a post Facebook no longer has, or the
        Page cannot see, is gone."""
        from parvis.connectors.facebook import metrics

        self.acting_account("reading metrics", "the Page")
        api, page_id = self.page_api()
        return metrics.read_posts(api, page_id, external_ids, ceiling=USAGE_CEILING)

    def page_metrics(self, since: dt.date, until: dt.date) -> dict[str, list[tuple[dt.date, int]]]:
        """The Page's daily follows and people reached, from `since` to `until`."""
        from parvis.connectors.facebook import metrics

        self.acting_account("reading metrics", "the Page")
        api, page_id = self.page_api()
        return metrics.page_days(api, page_id, since, until)

    def publish_limits(self) -> PublishLimits:
        from parvis.connectors.facebook import publishing

        return publishing.LIMITS


__all__ = ["FacebookConnector"]
