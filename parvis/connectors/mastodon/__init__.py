"""Mastodon (any instance): search, live stream, and the account's own mentions and messages.

Modes (config "mode"):
- "search": each search term of the workspace's queries (FetchContext.search_terms) is read
  from GET /api/v2/search?type=statuses (full-text search of statuses needs a user token), and
  each #hashtag term from the hashtag timeline GET /api/v1/timelines/tag/:hashtag (public).
  One page per fetch, terms in turns, a position per term (parvis.connectors.mastodon.feeds).
- "stream": the streaming API (public, or one hashtag) for a bounded window per run, after
  catching up through the matching timeline since the newest status seen: the stream has no
  resume position, the timeline covers what was posted between runs.
- "notifications": the account's mentions and quotes (GET /api/v1/notifications) and its direct
  conversations (GET /api/v1/conversations), all kept (own activity).

Replies (the inbox) are posted by parvis.connectors.mastodon.replies, always on the account's
own instance.

External ids are "<instance host>:<status id>" (see mapping.py for why). The access token is
only sent to the account's own instance; another instance set on the source is read publicly.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlencode

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
    MetricsContext,
    ModerationAction,
    ModerationContext,
    ModerationResult,
    OutgoingPost,
    PermanentError,
    PostMetrics,
    ProfileInfo,
    PublishContext,
    PublishedPost,
    PublishLimits,
    ReplyContext,
    ReplyTarget,
    SentReply,
    SettingField,
    not_allowed,
    register,
)
from parvis.connectors.mastodon import feeds, mapping, metrics, publishing, replies, streaming
from parvis.connectors.mastodon.api import (
    Api,
    error_text,
    host_of,
    newest_of,
    normalize_instance,
)
from parvis.connectors.options import bounded_int, pkce_pair

MODES = ("search", "stream", "notifications")
SEARCH_LIMIT = 40  # statuses per page, the documented maximum
NOTIFICATION_LIMIT = 80
# Re-read this far below the newest status seen: remote posts that federate late get the id of
# their publication time (api.lowered). Must stay longer than a stream window.
LOOKBACK_SECONDS = 300
DEFAULT_BACKFILL_DAYS = 7
HASHTAG = re.compile(r"#(\w+)")
LONE_HANDLE = re.compile(r"@\S+$")
# Reading, posting replies and posts (write:statuses) with their images and videos
# (write:media), nothing else that writes: a leaked token cannot follow, block or change the
# profile. Accounts connected with fewer scopes are refused with a 403, whose message says to
# reconnect.
SCOPES = "read write:statuses write:media"
NOTIFICATION_TYPES = ("mention", "quote")


def hashtag(term: str) -> str | None:
    match = HASHTAG.fullmatch(term.strip())
    return match.group(1) if match else None


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


@register
class MastodonConnector(Connector):
    kind = "mastodon"
    label = _("Mastodon")
    network = "mastodon"
    capabilities = frozenset(
        {
            Capability.LISTEN,
            Capability.OWN_ACTIVITY,
            Capability.REPLY,
            Capability.PUBLISH,
            Capability.METRICS,
        }
    )
    keep_unmatched = False
    auth = Auth.OAUTH2
    needs_account = False  # hashtags can be read publicly; the modes that need one say so
    # Each instance sets its own limits (configuration.statuses.max_characters…).
    limits_per_server = True
    settings_fields = (
        SettingField(
            "mode",
            _("What to read"),
            _(
                "Search: the posts matching your queries (needs a connected account for words; "
                "hashtags are public). Live stream: public posts as they arrive. Notifications: "
                "mentions of and messages to the connected account."
            ),
            required=True,
            kind="choice",
            choices=(
                ("search", _("Search")),
                ("stream", _("Live stream")),
                ("notifications", _("Notifications and messages")),
            ),
            default="search",
        ),
        SettingField(
            "instance_url",
            _("Instance"),
            _(
                "Another instance to read publicly (hashtags only). Leave empty to read "
                "through the connected account's instance."
            ),
            kind="url",
        ),
        SettingField(
            "tag",
            _("Hashtag to stream"),
            _("Live stream only: follow this hashtag instead of all public posts."),
        ),
        SettingField(
            "local",
            _("This instance's posts only"),
            _("Live stream only: leave out posts from other instances."),
            kind="bool",
            default=False,
        ),
        SettingField(
            "window_seconds",
            _("Listening time per run (seconds)"),
            kind="int",
            default=20,
        ),
        SettingField(
            "backfill_days",
            _("History to read (days)"),
            _("How far back the first run reads; 0 reads all the instance returns."),
            kind="int",
            default=DEFAULT_BACKFILL_DAYS,
        ),
        SettingField(
            "keep_all",
            _("Keep every post"),
            _(
                "Search and stream: also keep posts that match no query "
                "(notifications are all kept)."
            ),
            kind="bool",
        ),
    )

    def __init__(self, source: Any, http: httpx.Client | None = None) -> None:
        super().__init__(source, http)
        self.caught_up = False  # stream mode: the timeline was read in this run

    # --- settings -------------------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        mode = str(config.get("mode") or "search").strip()
        if mode not in MODES:
            raise ValueError(_("Choose what to read: search, stream or notifications"))
        clean: dict[str, Any] = {"mode": mode}
        if str(config.get("instance_url") or "").strip():
            try:
                clean["instance_url"] = normalize_instance(config["instance_url"])
            except ValueError:
                raise ValueError(
                    _("An instance address looks like https://mastodon.social")
                ) from None
        # Everything on the account matters (own activity): notifications are always all kept.
        clean["keep_all"] = mode == "notifications" or flag(config.get("keep_all", False))
        clean["backfill_days"] = bounded_int(config, "backfill_days", DEFAULT_BACKFILL_DAYS, 0, 365)
        if mode == "stream":
            tag = str(config.get("tag") or "").strip().lstrip("#")
            if tag and not HASHTAG.fullmatch(f"#{tag}"):
                raise ValueError(_("A hashtag has only letters, digits and underscores"))
            clean["tag"] = tag
            clean["local"] = flag(config.get("local", False))
            clean["window_seconds"] = bounded_int(config, "window_seconds", 20, 1, 60)
            clean["max_events"] = bounded_int(config, "max_events", 500, 1, 5000)
        return clean

    # --- reading --------------------------------------------------------------------------

    def api(self) -> Api:
        """The instance to read and the token to read it with (only its own account's)."""
        credentials = self.credentials() if self.account is not None else {}
        home = credentials.get("instance_url", "")
        home = normalize_instance(home) if home else ""
        base = self.source.config.get("instance_url") or home
        if not base:
            raise PermanentError(
                "this Mastodon source has no instance: connect a Mastodon account or set the "
                "instance address in the source settings"
            )
        same = bool(home) and host_of(base) == host_of(home)
        token = credentials.get("access_token", "") if same else ""
        who = self.account.handle if self.account is not None else host_of(base)
        return Api(self.http, base, token, who=who)

    def need_token(self, api: Api, reason: str) -> None:
        if api.token:
            return
        if self.account is not None:  # an instance set on the source that is not the account's
            raise PermanentError(
                f"{self.account.handle} cannot be used on {api.host}: remove the instance "
                "from the source settings to read through the account's own instance"
            )
        raise PermanentError(reason)

    def cutoff(self) -> dt.datetime | None:
        days = int(self.source.config.get("backfill_days", DEFAULT_BACKFILL_DAYS) or 0)
        return dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        mode = self.source.config.get("mode", "search")
        if mode == "stream":
            return self.fetch_stream(cursor)
        if mode == "notifications":
            return self.fetch_own(cursor)
        return self.fetch_search(cursor, context)

    def fetch_search(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        api = self.api()
        terms = context.search_terms()
        # Without a user token an instance returns no statuses for words: hashtags only. A lone
        # @handle is never searched in statuses by Mastodon (it looks the account up instead):
        # mentions of our own account come through the notifications mode.
        readable = [t for t in terms if (api.token or hashtag(t)) and not LONE_HANDLE.match(t)]
        notes = {"skipped_terms": [t for t in terms if t not in readable]}
        if not readable:
            if any(not LONE_HANDLE.match(t) for t in terms):
                self.need_token(
                    api,
                    "searching words on Mastodon needs a connected account (instances only "
                    "search statuses for signed-in users): connect one and choose it for this "
                    "source; hashtags are read without one",
                )
            return FetchResult(items=[], cursor=cursor, notes=notes)
        states = {t: s for t, s in (cursor.get("terms") or {}).items() if t in readable}
        queue = [t for t in cursor.get("queue") or [] if t in readable] or list(readable)
        term = queue.pop(0)
        page = self.term_page(api, term, states.get(term, {}))
        if not page.done:
            queue.append(term)  # its next page after the other terms' turn
        states[term] = page.state
        items = [mapping.incoming(s, api.host) for s in page.entries]
        more = bool(queue) and not api.exhausted
        cursor = {"terms": states, "queue": queue}
        return FetchResult(items=items, cursor=cursor, more=more, notes=notes)

    def term_page(self, api: Api, term: str, state: dict[str, Any]) -> feeds.Page:
        tag = hashtag(term)
        if tag:
            # A hashtag nobody used on this instance yet answers 404: nothing to read.
            return feeds.timeline_page(
                api,
                f"/api/v1/timelines/tag/{quote(tag, safe='')}",
                [],
                state,
                limit=SEARCH_LIMIT,
                lookback=LOOKBACK_SECONDS,
                cutoff=self.cutoff(),
                missing_ok=True,
            )
        return feeds.search_page(
            api, term, state, limit=SEARCH_LIMIT, lookback=LOOKBACK_SECONDS, cutoff=self.cutoff()
        )

    def stream_paths(self) -> tuple[str, list[tuple[str, Any]], str, dict[str, str]]:
        """(timeline path, its params, streaming path, its params) for the configured stream."""
        config = self.source.config
        local = bool(config.get("local"))
        tag = config.get("tag") or ""
        timeline_params = [("local", "true")] if local else []
        suffix = "/local" if local else ""
        if tag:
            timeline = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
            return timeline, timeline_params, f"/api/v1/streaming/hashtag{suffix}", {"tag": tag}
        return "/api/v1/timelines/public", timeline_params, f"/api/v1/streaming/public{suffix}", {}

    def fetch_stream(self, cursor: dict[str, Any]) -> FetchResult:
        api = self.api()
        self.need_token(
            api,
            "the live stream needs a connected account on this instance (Mastodon 4.2 and "
            "later refuse anonymous streams): connect one, or use the search mode",
        )
        state = cursor.get("timeline") or {}
        timeline, params, stream_path, stream_params = self.stream_paths()
        if not self.caught_up:
            # First read what was posted since the last run; the very first run starts from
            # the last few minutes rather than the whole public history.
            cutoff = self.cutoff() if state.get("newest") else self.recent()
            page = feeds.timeline_page(
                api,
                timeline,
                params,
                state,
                limit=SEARCH_LIMIT,
                lookback=LOOKBACK_SECONDS,
                cutoff=cutoff,
                missing_ok=bool(self.source.config.get("tag")),
            )
            self.caught_up = page.done
            items = [mapping.incoming(s, api.host) for s in page.entries]
            return FetchResult(items=items, cursor={"timeline": page.state}, more=not api.exhausted)
        config = self.source.config
        statuses = streaming.listen(
            api,
            streaming.streaming_base(api),
            stream_path,
            stream_params,
            window=float(config.get("window_seconds", 20)),
            max_events=int(config.get("max_events", 500)),
        )
        # The stream opened after the catch-up ended: the seconds between are re-read by the
        # next catch-up, whose floor is LOOKBACK_SECONDS below the newest status seen here.
        # Positions are the timeline's own ids (a boost's, not the boosted status's).
        newest = newest_of(state.get("newest"), *map(feeds.status_position, statuses))
        items = [mapping.incoming(s, api.host) for s in statuses]
        return FetchResult(items=items, cursor={"timeline": {"newest": newest}}, more=False)

    @staticmethod
    def recent() -> dt.datetime:
        return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=LOOKBACK_SECONDS)

    def fetch_own(self, cursor: dict[str, Any]) -> FetchResult:
        api = self.api()
        self.need_token(
            api,
            "notifications are read through the account they belong to: connect the "
            "Mastodon account and choose it for this source",
        )
        feeds_state = dict(cursor.get("feeds") or {})
        queue = [f for f in cursor.get("queue") or [] if f in OWN_FEEDS] or list(OWN_FEEDS)
        name = queue.pop(0)
        page, statuses = OWN_FEEDS[name](api, feeds_state.get(name, {}), self.cutoff())
        if not page.done:
            queue.append(name)
        feeds_state[name] = page.state
        items = [mapping.incoming(s, api.host) for s in statuses]
        more = bool(queue) and not api.exhausted
        return FetchResult(items=items, cursor={"feeds": feeds_state, "queue": queue}, more=more)

    # --- replying (the inbox) -------------------------------------------------------------

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return config.get("mode") == "notifications"

    @classmethod
    def is_private(cls, raw: dict[str, Any]) -> bool:
        return replies.is_direct(raw)

    def home_api(self, publishing: bool = False) -> Api:
        """The account's own instance with its token: replies and posts are written there
        only."""
        account = self.publish_account() if publishing else self.reply_account()
        credentials = self.credentials()
        home = credentials.get("instance_url", "")
        token = credentials.get("access_token", "")
        if not home or not token:
            raise PermanentError(
                f"{account.handle} has no instance or access token stored: reconnect the "
                "Mastodon account"
            )
        return Api(self.http, normalize_instance(home), token, who=account.handle)

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        return replies.create(self.home_api(), target, text, context.idempotency_key)

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        """Mastodon's API lets an account delete its own statuses only: hiding or deleting a
        reply by someone else is for the instance's moderators (moderation_actions is empty)."""
        raw = target.raw if isinstance(target.raw, dict) else {}
        url = raw.get("url") or raw.get("uri") or ""
        return not_allowed(
            action,
            "Mastodon ne permet pas de masquer la réponse d'un autre compte : signalez-la à "
            "votre instance ou bloquez l'auteur",
            url if isinstance(url, str) and url.startswith("https://") else "",
        )

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        return replies.find(self.home_api(), target, text, since)

    # --- publishing -----------------------------------------------------------------------

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        return publishing.create(self.home_api(publishing=True), post, context.idempotency_key)

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        return publishing.find(self.home_api(publishing=True), post, since)

    def publish_limits(self) -> PublishLimits:
        return publishing.limits(self.home_api(publishing=True))

    # --- metrics (the counts of published statuses) ----------------------------------------

    # Any public post's counts are read the same way (others' mentions too).
    metrics_of_others = True

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        return metrics.read(self.home_api(publishing=True), external_ids)

    def account_metrics(self, context: MetricsContext) -> AccountMetrics:
        return metrics.account(self.home_api(publishing=True))

    def profile(self, context: MetricsContext) -> ProfileInfo:
        return metrics.profile(self.home_api(publishing=True))

    # --- connecting an account ------------------------------------------------------------

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (
            SettingField(
                "instance_url",
                _("Instance"),
                _("The address of your Mastodon server, for example mastodon.social"),
                required=True,
                kind="text",
            ),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        """Register Parvis on the instance (each instance is its own OAuth server), then send
        the browser to its authorization page, with PKCE (S256) for instances that check it."""
        try:
            instance = normalize_instance(fields.get("instance_url", ""))
        except ValueError:
            raise ValueError(_("An instance address looks like https://mastodon.social")) from None
        api = Api(http, instance)
        app = sign_in_post(
            api,
            "/api/v1/apps",
            {"client_name": "Parvis", "redirect_uris": redirect_uri, "scopes": SCOPES},
        )
        if not isinstance(app, dict) or not app.get("client_id") or not app.get("client_secret"):
            raise PermanentError(f"{api.host} did not register the application")
        verifier, challenge = pkce_pair()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": app["client_id"],
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        pending = {
            "instance_url": instance,
            "client_id": str(app["client_id"]),
            "client_secret": str(app["client_secret"]),
            "code_verifier": verifier,
        }
        return f"{instance}/oauth/authorize?{query}", pending

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        instance = normalize_instance(pending["instance_url"])
        api = Api(http, instance)
        token = sign_in_post(
            api,
            "/oauth/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": pending["client_id"],
                "client_secret": pending["client_secret"],
                "redirect_uri": redirect_uri,
                "code_verifier": pending.get("code_verifier", ""),
                "scope": SCOPES,
            },
        )
        access_token = token.get("access_token") if isinstance(token, dict) else None
        if not access_token:
            raise PermanentError(f"{api.host} did not give an access token")
        api.token = str(access_token)
        me = feeds.decode(api.get("/api/v1/accounts/verify_credentials"), api.host)
        if not isinstance(me, dict) or not me.get("username"):
            raise PermanentError(f"{api.host} did not say which account this is")
        return AccountInfo(
            handle=f"@{me['username']}@{api.host}",
            credentials={
                "instance_url": instance,
                "client_id": pending["client_id"],
                "client_secret": pending["client_secret"],
                "access_token": api.token,
            },
            display_name=str(me.get("display_name") or me["username"]),
        )


def sign_in_post(api: Api, path: str, data: dict[str, str]) -> Any:
    """A POST of the connection flow; a refusal says to start connecting again, not to
    reconnect an account that does not exist yet."""
    response = api.post(path, data, raw=True)
    status = response.status_code
    if status == 429 or status >= 500:
        api.check(response)  # RetryLater: the instance is busy, not refusing
    if status >= 400:
        detail = error_text(response) or f"HTTP {status}"
        raise PermanentError(
            f"{api.host} refused to connect Parvis ({detail}): check the instance address "
            "and start connecting again"
        )
    return feeds.decode(response, api.host)


def notifications_page(
    api: Api, state: dict[str, Any], cutoff: dt.datetime | None
) -> tuple[feeds.Page, list[Any]]:
    """Mentions (replies and private mentions included) and quotes of the account's posts.
    include_filtered: messages from strangers that the instance's policy set aside (4.3+)
    are exactly what a brand must not miss; older instances ignore the parameter."""
    params = [("types[]", t) for t in NOTIFICATION_TYPES] + [("include_filtered", "true")]
    page = feeds.timeline_page(
        api,
        "/api/v1/notifications",
        params,
        state,
        limit=NOTIFICATION_LIMIT,
        position=lambda n: str(n["id"]) if isinstance(n, dict) and n.get("id") else None,
        created=feeds.status_created,  # a notification has its own created_at
        cutoff=cutoff,
    )
    # A notification whose status was deleted comes without one: nothing to ingest.
    statuses = [n.get("status") if isinstance(n, dict) else n for n in page.entries]
    return page, [s for s in statuses if s is not None]


def conversations_page(
    api: Api, state: dict[str, Any], cutoff: dt.datetime | None
) -> tuple[feeds.Page, list[Any]]:
    """Direct conversations, newest first; each gives its last status. Pages go by the last
    status's id (what the Link header carries), not the conversation's."""

    def last(conversation: Any) -> dict[str, Any] | None:
        status = conversation.get("last_status") if isinstance(conversation, dict) else None
        return status if isinstance(status, dict) else None

    page = feeds.timeline_page(
        api,
        "/api/v1/conversations",
        [],
        state,
        limit=SEARCH_LIMIT,
        position=lambda c: feeds.status_position(last(c)),
        created=lambda c: feeds.status_created(last(c)),
        cutoff=cutoff,
    )
    return page, [s for s in map(last, page.entries) if s is not None]


OWN_FEEDS = {"notifications": notifications_page, "conversations": conversations_page}
