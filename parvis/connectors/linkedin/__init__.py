"""LinkedIn pages through LinkedIn's Community Management API (versioned REST API, pinned
version in api.py), as a member who administers the page, acting as the organization: the
comments on the page's recent posts (own activity), replying as the page, deleting comments,
publishing (text, article link, images, PDF documents) and the page's statistics.

Reading comments: the page's recent posts (/rest/posts?q=author), then one batch call to
/rest/socialMetadata for their comment counts; only the posts whose count changed since the
last pass are read (/rest/socialActions/{post}/comments, `start`/`count` paging), and a
comment's own replies the same way under the comment's URN (LinkedIn nests one level). The
counts seen move into the cursor only with the page that ends a pass, so a crash mid-pass
reads those posts again next time (repeats are dropped by the pipeline). LinkedIn does not
document the order of comments, so no time mark is relied on.

LinkedIn has no idempotency key: a reply whose answer was lost is found again among the
comments on the item answered (find_reply), a post among the page's recent posts (find_post);
a post LinkedIn refuses as a duplicate of a recent one is taken for ours when that post has
the same text.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import (
    AccountInfo,
    AccountMetrics,
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
from parvis.connectors.linkedin import api as li
from parvis.connectors.linkedin import mapping, oauth

DEFAULT_POSTS = 25  # recent posts whose comments are watched
PAGE_SIZE = 50  # comments a page (LinkedIn's `count`)
MAX_PAGES = 20  # pages read on one post or comment in a pass


def raw_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@register
class LinkedInConnector(Connector):
    kind = "linkedin"
    label = _("LinkedIn page")
    network = "linkedin"
    capabilities = frozenset(
        {
            Capability.OWN_ACTIVITY,
            Capability.REPLY,
            Capability.PUBLISH,
            Capability.MODERATE,
            Capability.METRICS,
        }
    )
    # LinkedIn's API deletes comments; it has no hiding.
    moderation_actions = frozenset({ModerationAction.DELETE})
    keep_unmatched = True
    auth = Auth.OAUTH2
    needs_account = True
    metrics_batch = 100
    settings_fields = (
        SettingField(
            "posts",
            _("Recent posts watched"),
            _("Comments are read on this many of the page's latest posts (default 25)."),
            kind="int",
            advanced=True,
        ),
    )

    # --- settings and connecting ------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        clean: dict[str, Any] = {"keep_all": True}
        raw = config.get("posts")
        if raw not in (None, ""):
            try:
                value = int(raw)
            except (TypeError, ValueError):
                value = 0
            if not 1 <= value <= 100:
                raise ValueError(_("Recent posts watched: a whole number from 1 to 100"))
            clean["posts"] = value
        return clean

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return True  # every comment read is on the page's own posts

    @classmethod
    def sign_in_expires_at(cls, credentials: dict[str, str]) -> Any:
        return oauth.token_expires_at(credentials)

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        permissions = "; ".join(f"{name}: {why}" for name, why in oauth.PERMISSIONS)
        return (
            SettingField(
                "client_id",
                _("LinkedIn app client id"),
                _(
                    "linkedin.com/developers → My apps → your app (verified by the page, with "
                    "the Community Management API product approved) → Auth: the client id, "
                    "with Parvis's callback address among the authorized redirect URLs. "
                    "Permissions asked: %(permissions)s."
                )
                % {"permissions": permissions},
                required=True,
            ),
            SettingField(
                "client_secret", _("LinkedIn app client secret"), required=True, kind="password"
            ),
            SettingField(
                "organization",
                _("LinkedIn page"),
                _(
                    "The page's id, or its address (linkedin.com/company/…). Needed only when "
                    "you administer several pages."
                ),
            ),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        client_id = (fields.get("client_id") or "").strip()
        secret = (fields.get("client_secret") or "").strip()
        plain = client_id.isascii() and client_id.isalnum()
        if not client_id or len(client_id) > 100 or not plain or not secret:
            raise ValueError(_("Paste the client id and the client secret of your LinkedIn app"))
        pending = {
            "client_id": client_id,
            "client_secret": secret[:200],
            "organization": oauth.wanted_organization(fields.get("organization") or ""),
        }
        return oauth.authorization_url(client_id, redirect_uri, state), pending

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        return oauth.finish(http, pending, code, redirect_uri)

    # --- the API as the page ----------------------------------------------------------------

    def session(self, doing: str = "reading") -> tuple[li.Api, str]:
        """The API with a live token, and the organization's URN."""
        self.acting_account(doing, "a LinkedIn page")
        organization = self.credentials().get("organization", "")
        if not li.organization_id(organization):
            raise PermanentError(f"the LinkedIn account has no page stored: {li.RECONNECT}")
        if self.http is None:
            raise PermanentError("no HTTP client")  # pragma: no cover (callers give one)
        return li.Api(self.http, oauth.access_token(self)), organization

    # --- reading ----------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        api, organization = self.session()
        seen = {
            k: v
            for k, v in li.as_dict(cursor.get("seen")).items()
            if li.is_post(k) and isinstance(v, int)
        }
        current = cursor.get("pass")
        if not isinstance(current, dict):
            current = self.start_pass(api, organization, seen)
        queue = [
            q
            for q in li.as_list(current.get("queue"))
            if isinstance(q, list) and len(q) == 2 and all(isinstance(p, str) for p in q)
        ]
        counts = li.as_dict(current.get("counts"))
        if not queue:
            return FetchResult(items=[], cursor={"seen": counts})
        target, post = queue[0]
        start = current.get("start") if isinstance(current.get("start"), int) else 0
        pages = current.get("pages") if isinstance(current.get("pages"), int) else 0
        try:
            body = api.get(
                f"socialActions/{li.encode(target)}/comments",
                f"start={start}&count={PAGE_SIZE}",
            )
        except li.NotFound:
            body = {}  # deleted meanwhile: nothing more to read there
        elements = li.as_list(body.get("elements"))
        items = []
        for comment in elements:
            try:
                data = mapping.comment_mention(comment, post)
            except (mapping.Malformed, TypeError, AttributeError) as exc:
                items.append(Incoming(None, raw_text(comment), error=f"unreadable comment: {exc}"))
                continue
            items.append(Incoming(data, raw_text(comment), payload=comment))
            if target == post and mapping.replies_waiting(comment):
                nested = [data["external_id"], post]
                if nested not in queue:
                    queue.append(nested)
        total = li.as_dict(body.get("paging")).get("total")
        read = start + len(elements)
        more_here = len(elements) >= PAGE_SIZE or (isinstance(total, int) and read < total)
        if not elements or not more_here or pages + 1 >= MAX_PAGES:
            queue, start, pages = queue[1:], 0, 0
        else:
            start, pages = read, pages + 1
        if not queue:
            return FetchResult(items=items, cursor={"seen": counts})
        state = {"queue": queue, "start": start, "pages": pages, "counts": counts}
        return FetchResult(items=items, cursor={"seen": seen, "pass": state}, more=True)

    def start_pass(self, api: li.Api, organization: str, seen: dict[str, int]) -> dict[str, Any]:
        """The posts whose comment count changed since the last pass, and the new counts."""
        limit = int(self.source.config.get("posts") or DEFAULT_POSTS)
        posts = self.recent_posts(api, organization, limit)
        counts: dict[str, int] = {}
        if posts:
            listed = ",".join(li.encode(p) for p in posts)
            results = li.as_dict(api.get("socialMetadata", f"ids=List({listed})").get("results"))
            for urn in posts:
                summary = li.as_dict(li.as_dict(results.get(urn)).get("commentSummary"))
                number = summary.get("count")
                if isinstance(number, int) and not isinstance(number, bool):
                    counts[urn] = number
        queue = [[p, p] for p in posts if p not in counts or counts[p] != seen.get(p, 0)]
        return {"queue": queue, "counts": counts}

    def recent_posts(self, api: li.Api, organization: str, limit: int) -> list[str]:
        body = api.get(
            "posts",
            f"author={li.encode(organization)}&q=author&count={min(limit, 100)}"
            "&sortBy=LAST_MODIFIED",
        )
        found = []
        for post in li.as_list(body.get("elements")):
            urn = li.as_dict(post).get("id")
            if li.is_post(urn) and urn not in found:
                found.append(urn)
        return found[:limit]

    # --- replying, moderating, publishing, metrics -----------------------------------------

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        from parvis.connectors.linkedin import outgoing

        self.reply_account()
        api, organization = self.session("replying")
        return outgoing.reply(api, organization, target, text)

    def find_reply(
        self, target: ReplyTarget, text: str, since: Any, context: ReplyContext
    ) -> SentReply | None:
        from parvis.connectors.linkedin import outgoing

        self.reply_account()
        api, organization = self.session("reading back your replies")
        return outgoing.find_reply(api, organization, target, text, since)

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        from parvis.connectors.linkedin import outgoing

        self.moderation_account()
        if action != ModerationAction.DELETE:
            return outgoing.cannot_hide(action, target)
        api, organization = self.session("deleting comments")
        return outgoing.delete_comment(api, organization, target)

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        from parvis.connectors.linkedin import outgoing

        self.publish_account()
        api, organization = self.session("publishing")
        return outgoing.publish(api, organization, post)

    def find_post(
        self, post: OutgoingPost, since: Any, context: PublishContext
    ) -> PublishedPost | None:
        from parvis.connectors.linkedin import outgoing

        self.publish_account()
        api, organization = self.session("reading back your posts")
        return outgoing.find_post(api, organization, post, since)

    def publish_limits(self) -> PublishLimits:
        from parvis.connectors.linkedin import outgoing

        return outgoing.LIMITS

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        from parvis.connectors.linkedin import outgoing

        ids = [i for i in dict.fromkeys(external_ids) if li.is_post(i)]
        if not ids:
            return []
        api, organization = self.session("reading the statistics of your posts")
        return outgoing.post_metrics(api, organization, ids)

    def account_metrics(self, context: MetricsContext) -> AccountMetrics:
        from parvis.connectors.linkedin import outgoing

        api, organization = self.session("reading the page's followers")
        return outgoing.account_metrics(api, organization)


def token_expires_at(credentials: dict[str, str]) -> Any:
    """When the member must sign in again (for expiry warnings)."""
    return oauth.token_expires_at(credentials)


__all__ = ["LinkedInConnector", "token_expires_at"]
