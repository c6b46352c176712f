"""X through the official X API v2, as the connected user (OAuth 2.0 with PKCE), for accounts
whose developer app has a paid access tier: mentions of the account (own activity) and recent
search (listening), replies, publishing (text and images, 280 weighted characters), hiding
replies, deleting the account's own posts, and the counts of its posts.

Which tier each feature needs (the person declares theirs when connecting; docs/connectors.md
has the same table): Free publishes and deletes only; Basic and above read mentions, search
the last 7 days, read back the account's posts (which replying and publishing exactly once
need), hide replies and read counts.

Reading: GET /2/users/:id/mentions or GET /2/tweets/search/recent, newest first, paged with
`pagination_token` / `next_token`, down to the `since_id` kept in the cursor. The cursor's
since_id moves only with the page that ends a pass (the newest id of its first page), so a
crash mid-pass resumes from the committed cursor and the pipeline drops repeats.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import (
    CLOCK_SKEW,
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
    metric,
    not_allowed,
    register,
    same_text,
)
from parvis.connectors.x import api, mapping, oauth

MENTIONS, SEARCH = "mentions", "search"
PAGE_SIZE = 100  # max_results: X serves 5 to 100 posts a page
DEFAULT_BACKFILL_PAGES = 5
MAX_QUERY = 512  # characters of a recent-search query at Basic and Pro
OWN_PAGES = 5  # pages of the account's own posts read back to find a reply or a post
# A duplicate refused by X is taken for ours only if it was posted this recently.
DUPLICATE_WINDOW = dt.timedelta(hours=1)
IMAGE_SIZE = 5 * 1024 * 1024
VIDEO_SIZE = 512 * 1024 * 1024
MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime")
# X's epoch for post ids (snowflakes: milliseconds since it, shifted left 22 bits).
TWEPOCH_MS = 1288834974657
SHORT_LINK = re.compile(r"https://t\.co/\w+")
LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")


def snowflake_time(post_id: str) -> dt.datetime | None:
    """When X made a post, from its id (to the second, as `created_at` gives it)."""
    if not api.is_id(post_id):
        return None
    ms = (int(post_id) >> 22) + TWEPOCH_MS
    try:
        return dt.datetime.fromtimestamp(ms // 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def comparable(text: str, *, ours: bool) -> str:
    """A text as X would give it back: its links become t.co links, and a reply's text starts
    with the handles it answers (which our text does not have)."""
    from parvis.connectors import counting

    if ours:
        pieces, last = [], 0
        for span in counting.find_urls(text):
            pieces.append(text[last : span.start] + "\x00link")
            last = span.end
        return "".join(pieces) + text[last:]
    return SHORT_LINK.sub("\x00link", text)


def same_post_text(ours: str, theirs: str) -> bool:
    mine = comparable(ours, ours=True)
    given = comparable(theirs, ours=False)
    if same_text(mine, given):
        return True
    return not LEADING_MENTIONS.match(mine) and same_text(mine, LEADING_MENTIONS.sub("", given))


def x_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bigger(a: str, b: str) -> str:
    """The newer of two post ids ("" for none)."""
    if not api.is_id(a):
        return b if api.is_id(b) else ""
    if not api.is_id(b):
        return a
    return a if int(a) >= int(b) else b


def search_query(terms: list[str]) -> str:
    """X's query for the terms: each in parentheses (its words all required), OR between
    them, no reposts; terms that do not fit in 512 characters are left for a query of their
    own (the person can write one in the source's settings)."""
    suffix = " -is:retweet"
    parts: list[str] = []
    for term in terms:
        phrase = term.startswith('"') and term.endswith('"') and term.count('"') == 2
        piece = f"({term})" if " " in term and not phrase else term
        candidate = " OR ".join([*parts, piece])
        if len(candidate) + len(suffix) > MAX_QUERY:
            break
        parts.append(piece)
    return (" OR ".join(parts) + suffix) if parts else ""


@register
class XConnector(Connector):
    kind = "x"
    label = _("X (API v2, paid tier)")
    network = "x"
    capabilities = frozenset(
        {
            Capability.LISTEN,
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
    keep_unmatched = False
    auth = Auth.OAUTH2
    needs_account = True
    settings_fields = (
        SettingField(
            "mode",
            _("What to read"),
            _(
                "Both need the Basic tier or above. Mentions: posts that mention the account "
                "(they reach the inbox). Search: posts of the last 7 days matching your "
                "monitored queries."
            ),
            required=True,
            kind="choice",
            choices=(
                (MENTIONS, _("Mentions of the account")),
                (SEARCH, _("Recent search (listening)")),
            ),
            default=MENTIONS,
        ),
        SettingField(
            "query",
            _("Search query"),
            _(
                "In X's query language, at most 512 characters; empty: made from your "
                "monitored queries."
            ),
            advanced=True,
        ),
        SettingField(
            "backfill_pages",
            _("Pages read at the start"),
            _("How far back the first run reads, in pages of 100 posts."),
            kind="int",
            advanced=True,
        ),
    )

    # --- settings and connecting ------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        mode = str(config.get("mode") or MENTIONS).strip()
        if mode not in (MENTIONS, SEARCH):
            raise ValueError(_("Choose what to read: mentions or recent search"))
        # What mentions the account is for the inbox, matched or not.
        clean: dict[str, Any] = {"mode": mode, "keep_all": mode == MENTIONS}
        query = str(config.get("query") or "").strip()
        if len(query) > MAX_QUERY:
            raise ValueError(_("An X search query has at most 512 characters"))
        if query:
            clean["query"] = query
        pages = config.get("backfill_pages")
        if pages not in (None, ""):
            try:
                number = int(pages)
            except (TypeError, ValueError):
                raise ValueError(_("Pages read at the start: a number from 1 to 50")) from None
            if not 1 <= number <= 50:
                raise ValueError(_("Pages read at the start: a number from 1 to 50"))
            clean["backfill_pages"] = number
        return clean

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return config.get("mode", MENTIONS) == MENTIONS

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        scopes = "; ".join(f"{name}: {why}" for name, why in oauth.SCOPES)
        return (
            SettingField(
                "client_id",
                _("OAuth 2.0 client id"),
                _(
                    "developer.x.com → Projects & Apps → your app → User authentication "
                    "settings: OAuth 2.0, type Web App, with Parvis's callback address as "
                    "callback URI; then Keys and tokens → OAuth 2.0 Client ID. Permissions "
                    "asked: %(scopes)s."
                )
                % {"scopes": scopes},
                required=True,
            ),
            SettingField(
                "client_secret",
                _("OAuth 2.0 client secret"),
                _("For a confidential client (Web App); leave empty for a public client."),
                kind="password",
            ),
            SettingField(
                "tier",
                _("Your X API access tier"),
                _(
                    "The tier of your app's project in the developer portal. Free: publish "
                    "and delete only. Basic and above: mentions in the inbox, replies, recent "
                    "search, hiding replies, counts of your posts; replying and publishing "
                    "exactly once need Basic (Parvis reads back your posts)."
                ),
                required=True,
                kind="choice",
                choices=oauth.TIERS,
                default=oauth.BASIC,
            ),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        client_id = (fields.get("client_id") or "").strip()
        if not client_id or len(client_id) > 100 or not client_id.isascii():
            raise ValueError(_("Paste the OAuth 2.0 client id of your X app"))
        if not all(c.isalnum() or c in "-_." for c in client_id):
            raise ValueError(_("Paste the OAuth 2.0 client id of your X app"))
        tier = (fields.get("tier") or "").strip()
        if tier not in oauth.TIER_RANK:
            raise ValueError(_("Choose your X API access tier"))
        verifier, challenge = oauth.pkce_pair()
        url = oauth.authorization_url(client_id, redirect_uri, state, challenge)
        pending = {
            "client_id": client_id,
            "client_secret": (fields.get("client_secret") or "").strip()[:200],
            "code_verifier": verifier,
            "tier": tier,
        }
        return url, pending

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        info = oauth.finish(http, pending, code, redirect_uri)
        # Shown on the accounts page: what the account can do depends on it.
        tier = oauth.tier_label(info.credentials["tier"])
        info.display_name = f"{info.display_name} · X API {tier}"[:200]
        return info

    # --- the API as the account -----------------------------------------------------------

    def session(self, doing: str = "", needs: str = oauth.BASIC) -> tuple[api.Api, str]:
        """The API with a live token, and the account's user id; PermanentError when the
        declared tier does not allow `doing`."""
        account = self.acting_account(doing or "reading", "an X account")
        credentials = self.credentials()
        user_id = credentials.get("user_id", "")
        if not api.is_id(user_id):
            raise PermanentError(f"the X account has no user id stored: {api.RECONNECT}")
        tier = credentials.get("tier", oauth.BASIC)
        if oauth.TIER_RANK.get(tier, 1) < oauth.TIER_RANK[needs]:
            raise PermanentError(
                f"X: your access tier ({oauth.tier_label(tier)}) does not allow {doing or 'this'}"
                f": it needs the {oauth.tier_label(needs)} tier or above. If your project's "
                "tier changed, reconnect the account and declare it"
            )
        if self.http is None:
            raise PermanentError("no HTTP client")  # pragma: no cover (callers give one)
        token = oauth.access_token(account, self.http)
        return api.Api(self.http, token), user_id

    @staticmethod
    def sleep(seconds: float) -> None:
        """Waiting for X to process a video (tests replace it)."""
        import time

        time.sleep(seconds)

    def username(self) -> str:
        return self.credentials().get("username", "i")

    # --- reading ----------------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        mode = self.source.config.get("mode", MENTIONS)
        if mode == SEARCH:
            query = self.source.config.get("query") or search_query(context.search_terms())
            if not query:
                return FetchResult(items=[], cursor=cursor, notes={"no_query": True})
            if cursor.get("query") != query:
                cursor = {"query": query}  # a new query starts afresh
            x, _user = self.session("searching recent posts")
            params = {"query": query}
            token_name, path = "next_token", "tweets/search/recent"
        else:
            x, user_id = self.session("reading mentions")
            params, token_name, path = {}, "pagination_token", f"users/{user_id}/mentions"
        return self.read_pass(x, path, params, token_name, cursor)

    def read_pass(
        self,
        x: api.Api,
        path: str,
        params: dict[str, str],
        token_name: str,
        cursor: dict[str, Any],
    ) -> FetchResult:
        since = cursor.get("since_id", "")
        since = since if api.is_id(since) else ""
        current = api.as_dict(cursor.get("pass"))
        query = {
            **params,
            "max_results": str(PAGE_SIZE),
            "expansions": mapping.EXPANSIONS,
            "tweet.fields": mapping.TWEET_FIELDS,
            "user.fields": mapping.USER_FIELDS,
        }
        if since:
            query["since_id"] = since
        if isinstance(current.get("next"), str) and current["next"]:
            query[token_name] = current["next"][:200]
        body = x.get(path, query)
        users = mapping.users_of(body)
        items: list[Incoming] = [mapping.incoming(t, users) for t in api.as_list(body.get("data"))]
        meta = api.as_dict(body.get("meta"))
        top = bigger(str(current.get("top") or ""), str(meta.get("newest_id") or ""))
        pages = int(current.get("pages") or 0) + 1
        next_token = meta.get("next_token")
        first_run_done = not since and pages >= self.first_pages()
        base = {"query": cursor["query"]} if "query" in cursor else {}
        spent = x.budget.remaining == 0
        if not isinstance(next_token, str) or not next_token or first_run_done:
            return FetchResult(items=items, cursor={**base, "since_id": bigger(top, since)})
        state = {"next": next_token, "top": top, "pages": pages}
        notes = {"rate_limit_remaining": 0} if spent else {}
        # With the window spent, the next run goes on from the cursor once it resets.
        return FetchResult(
            items=items,
            cursor={**base, "since_id": since, "pass": state},
            more=not spent,
            notes=notes,
        )

    def first_pages(self) -> int:
        return int(self.source.config.get("backfill_pages") or DEFAULT_BACKFILL_PAGES)

    # --- reading back the account's own posts -------------------------------------------------

    def own_posts(self, x: api.Api, user_id: str, since: dt.datetime) -> list[dict[str, Any]]:
        """The account's posts made at or after `since` (less the clock skew), newest first."""
        params = {
            "max_results": str(PAGE_SIZE),
            "tweet.fields": "created_at,referenced_tweets,conversation_id",
            "start_time": x_time(since - CLOCK_SKEW),
        }
        found: list[dict[str, Any]] = []
        for _page in range(OWN_PAGES):
            body = x.get(f"users/{user_id}/tweets", params)
            found.extend(t for t in api.as_list(body.get("data")) if isinstance(t, dict))
            token = api.as_dict(body.get("meta")).get("next_token")
            if not isinstance(token, str) or not token:
                break
            params = {**params, "pagination_token": token}
        return found

    def find_own(
        self, x: api.Api, user_id: str, text: str, parent: str, since: dt.datetime
    ) -> dict[str, Any] | None:
        for post in self.own_posts(x, user_id, since):
            if not api.is_id(post.get("id")) or not isinstance(post.get("text"), str):
                continue
            if mapping.parent_of(post) != parent:
                continue
            if same_post_text(text, post["text"]):
                return post
        return None

    def published(self, post_id: str) -> PublishedPost:
        return PublishedPost(
            external_id=post_id,
            url=mapping.post_url(self.username(), post_id),
            published_at=snowflake_time(post_id),
            raw={"id": post_id},
        )

    def create(
        self, x: api.Api, body: dict[str, Any], text: str, parent: str, user_id: str
    ) -> PublishedPost:
        """POST /2/tweets; a duplicate refused by X is looked for among the account's recent
        posts (ours, whose answer was lost), else the refusal stands."""
        try:
            answer = x.call("POST", "tweets", body=body, needs=oauth.FREE)
        except api.Duplicate as exc:
            since = dt.datetime.now(dt.UTC) - DUPLICATE_WINDOW
            found = self.find_own(x, user_id, text, parent, since)
            if found is None:
                raise PermanentError(
                    f"{exc}: X refuses the same text twice from an account; change the text"
                ) from exc
            return self.published(found["id"])
        made = api.as_dict(answer.get("data"))
        if not api.is_id(made.get("id")):
            raise PermanentError("X accepted the post but gave no id: check the account on X")
        return self.published(made["id"])

    # --- replying ---------------------------------------------------------------------------

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        self.reply_account()
        if not api.is_id(target.external_id):
            raise PermanentError("this message is not an X post: it cannot be answered on X")
        x, user_id = self.session("replying", needs=oauth.FREE)
        body = {"text": text, "reply": {"in_reply_to_tweet_id": target.external_id}}
        post = self.create(x, body, text, target.external_id, user_id)
        return SentReply(post.external_id, post.url, post.published_at)

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        self.reply_account()
        x, user_id = self.session("reading back your replies (to send each once)")
        found = self.find_own(x, user_id, text, target.external_id, since)
        if found is None:
            return None
        post = self.published(found["id"])
        return SentReply(post.external_id, post.url, post.published_at)

    # --- publishing -------------------------------------------------------------------------

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        from parvis.connectors.x import media

        self.publish_account()
        x, user_id = self.session("publishing", needs=oauth.FREE)
        body: dict[str, Any] = {"text": post.text}
        parent = ""
        if post.reply_to is not None:
            parent = post.reply_to.external_id
            if not api.is_id(parent):
                raise PermanentError("the post this one follows is not an X post")
            body["reply"] = {"in_reply_to_tweet_id": parent}
        if post.media:
            body["media"] = {"media_ids": media.upload_all(x, post.media, self.sleep)}
        return self.create(x, body, post.text, parent, user_id)

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        self.publish_account()
        x, user_id = self.session("reading back your posts (to publish each once)")
        parent = post.reply_to.external_id if post.reply_to is not None else ""
        found = self.find_own(x, user_id, post.text, parent, since)
        return None if found is None else self.published(found["id"])

    def publish_limits(self) -> PublishLimits:
        return PublishLimits(
            max_characters=280,
            characters_per_url=23,
            max_media=4,
            image_size_limit=IMAGE_SIZE,
            video_size_limit=VIDEO_SIZE,
            media_types=MEDIA_TYPES,
        )

    def delete_post(self, external_id: str) -> bool:
        """Delete one of the account's own posts (DELETE /2/tweets/:id); True once X no longer
        has it (already gone included)."""
        x, _user = self.session("deleting your posts", needs=oauth.FREE)
        if not api.is_id(external_id):
            raise PermanentError("not an X post id")
        try:
            answer = x.call("DELETE", f"tweets/{external_id}", needs=oauth.FREE)
        except api.NotFound:
            return True
        return api.as_dict(answer.get("data")).get("deleted") is True

    # --- moderating -------------------------------------------------------------------------

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        self.moderation_account()
        if not api.is_id(target.external_id):
            return not_allowed(action, "this item is not an X post")
        url = f"https://x.com/i/status/{target.external_id}"
        if action == ModerationAction.DELETE:
            own = f"@{self.username()}".casefold()
            if target.author_handle.casefold() != own:
                return not_allowed(
                    action,
                    "X does not let an account delete others' posts: hide the reply, or "
                    "report the post on X",
                    url,
                )
            self.delete_post(target.external_id)
            return ModerationResult(action=str(action), message="deleted on X")
        hidden = action == ModerationAction.HIDE
        x, _user = self.session("hiding replies")
        try:
            answer = x.call("PUT", f"tweets/{target.external_id}/hidden", body={"hidden": hidden})
        except api.NotFound:
            return not_allowed(action, "X no longer has this post", url)
        except api.Forbidden as exc:
            # X hides only replies in the account's own conversations.
            return not_allowed(
                action, f"X refused ({exc}): only replies to your posts can be hidden", url
            )
        if api.as_dict(answer.get("data")).get("hidden") is not hidden:
            return not_allowed(action, "X did not confirm the change: check the post on X", url)
        return ModerationResult(
            action=str(action), message="hidden on X" if hidden else "shown again on X"
        )

    # --- metrics ----------------------------------------------------------------------------

    # Any public post's counts are read the same way (others' mentions too).
    metrics_of_others = True

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        ids = [i for i in dict.fromkeys(external_ids) if api.is_id(i)]
        if not ids:
            return []
        x, _user = self.session("reading the counts of your posts")
        answers: dict[str, PostMetrics] = {}
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            body = x.get("tweets", {"ids": ",".join(chunk), "tweet.fields": "public_metrics"})
            for post in api.as_list(body.get("data")):
                if not isinstance(post, dict) or post.get("id") not in chunk:
                    continue
                counts = api.as_dict(post.get("public_metrics"))
                answers[post["id"]] = PostMetrics(
                    external_id=post["id"],
                    likes=metric(counts.get("like_count")),
                    reposts=metric(counts.get("retweet_count")),
                    replies=metric(counts.get("reply_count")),
                    quotes=metric(counts.get("quote_count")),
                    views=metric(counts.get("impression_count")),
                )
            for error in api.as_list(body.get("errors")):
                gone = api.as_dict(error).get("resource_id") or api.as_dict(error).get("value")
                if gone in chunk and gone not in answers:
                    answers[gone] = PostMetrics(gone, gone=True)
        return [answers[i] for i in ids if i in answers]


__all__ = ["XConnector"]
