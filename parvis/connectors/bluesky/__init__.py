"""Bluesky (AT Protocol): search, firehose and the account's notifications.

Modes (config "mode"):
- search: app.bsky.feed.searchPosts for each search term of the workspace, newest first,
  down to what the last run read (parvis.connectors.bluesky.paging), through the account's
  PDS with the atproto-proxy header naming the AppView, or straight to an AppView;
- firehose: com.atproto.sync.subscribeRepos (relay or PDS) or Jetstream (JSON, an address
  ending in /subscribe), a bounded window per run from the last position stored; posts are
  pre-matched here, held briefly so that one deleted right away is never stored
  (firehose.settle), their authors resolved afterwards;
- notifications: app.bsky.notification.listNotifications (replies, mentions, quotes of the
  account), hydrated with app.bsky.feed.getPosts; everything is kept.

Replies (the inbox) are written by parvis.connectors.bluesky.replies, published posts (the
publishing app) by parvis.connectors.bluesky.publishing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import (
    AccountInfo,
    AccountMetrics,
    Auth,
    Capability,
    Connector,
    ConnectorError,
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
    ProfileInfo,
    PublishContext,
    PublishedPost,
    PublishLimits,
    ReplyContext,
    ReplyTarget,
    SentReply,
    SettingField,
    register,
)
from parvis.connectors.bluesky import (
    firehose,
    mapping,
    metrics,
    moderation,
    paging,
    publishing,
    replies,
    xrpc,
)
from parvis.connectors.bluesky.profiles import Profiles, Reader
from parvis.connectors.http import USER_AGENT
from parvis.connectors.options import bounded_int

logger = logging.getLogger(__name__)

DEFAULT_SERVICE_URL = "https://bsky.social"
# Anonymous reads: the cached public AppView Bluesky recommends for them.
DEFAULT_APPVIEW_URL = "https://public.api.bsky.app"
DEFAULT_APPVIEW_DID = "did:web:api.bsky.app#bsky_appview"
DEFAULT_FIREHOSE_URL = "wss://bsky.network"

MODES = ("search", "firehose", "notifications")
NOTIFICATION_REASONS = ("reply", "mention", "quote")
GET_POSTS_BATCH = 25  # the lexicon's maximum for `uris`
INCREMENTAL_PAGES = 50  # a pass that never meets what it read before stops here
AUTHOR_FEED = "author:"  # a search-mode list key: the posts of this account (getAuthorFeed)
MAX_NAMED_AUTHORS = 20  # @handles of the queries resolved to DIDs for the firehose, per run


def configured(name: str) -> str:
    """The server's setting (PARVIS_BLUESKY_*, checked at start by parvis.config)."""
    return settings.PARVIS_BLUESKY.get(name, "")


def service_url() -> str:
    """The PDS (or entryway) accounts log in at, unless they say otherwise."""
    return configured("SERVICE_URL") or DEFAULT_SERVICE_URL


def appview_url() -> str:
    return configured("APPVIEW_URL") or DEFAULT_APPVIEW_URL


def appview_did() -> str:
    """The atproto-proxy value for app.bsky.* calls through a PDS; "none" sends no header
    (the PDS then uses its own configured AppView, as a local test network does)."""
    value = configured("APPVIEW_DID") or DEFAULT_APPVIEW_DID
    return "" if value.lower() == "none" else value


def firehose_url() -> str:
    return configured("FIREHOSE_URL") or DEFAULT_FIREHOSE_URL


def terms_list(value: Any) -> list[str]:
    """Search terms separated by commas (or lines), or given as a list."""
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = str(value or "").replace(",", "\n").splitlines()
    return list(dict.fromkeys(t.strip() for t in items if t.strip()))


def optional_url(config: dict[str, Any], name: str, schemes: set[str]) -> str:
    from urllib.parse import urlsplit

    url = str(config.get(name) or "").strip()
    if url and (urlsplit(url).scheme not in schemes or not urlsplit(url).hostname):
        raise ValueError(
            _("%(name)s must start with %(schemes)s")
            % {"name": name, "schemes": " or ".join(sorted(f"{s}://" for s in schemes))}
        )
    return url.rstrip("/")


@register
class BlueskyConnector(Connector):
    kind = "bluesky"
    label = _("Bluesky")
    network = "bluesky"
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
    # Replies in the account's own threads (threadgate hiddenReplies); no deleting.
    moderation_actions = frozenset({ModerationAction.HIDE, ModerationAction.RESTORE})
    keep_unmatched = False
    auth = Auth.APP_PASSWORD
    needs_account = False  # the firehose is public; search and notifications check for one
    settings_fields = (
        SettingField(
            "mode",
            _("What to read"),
            _(
                "Search: posts that contain the words of the workspace's veilles. Every new "
                "post: the whole network as it is published, sorted here. Replies and "
                "mentions: what people send to the connected account."
            ),
            required=True,
            kind="choice",
            choices=(
                ("search", _("Search")),
                ("firehose", _("Every new post")),
                ("notifications", _("Replies and mentions of the account")),
            ),
            default="search",
        ),
        SettingField(
            "terms",
            _("Search terms"),
            _("Separated by commas; empty: the terms of the workspace's veilles."),
        ),
        SettingField(
            "service_url",
            _("Account server"),
            _(
                "Where the Bluesky account lives: bsky.social for most accounts. Change it only "
                "for a self-hosted server (a PDS)."
            ),
            kind="url",
            default=service_url(),
            advanced=True,
        ),
        SettingField(
            "appview_url",
            _("Reading service"),
            _(
                "The Bluesky service that answers searches and reads made without an account "
                "(an AppView)."
            ),
            kind="url",
            default=appview_url(),
            advanced=True,
        ),
        SettingField(
            "appview_did",
            _("Reading service identifier"),
            _(
                "For reads through the account server: the reading service it forwards them to "
                "(the atproto-proxy header); 'none' leaves the choice to the server."
            ),
            default=appview_did() or "none",
            advanced=True,
        ),
        SettingField(
            "appview_direct",
            _("Read straight from the reading service"),
            _("Reads skip the account server and are made without the account."),
            kind="bool",
            default=False,
            advanced=True,
        ),
        SettingField(
            "firehose_url",
            _("Stream address"),
            _(
                "For « Every new post »: a relay or an account server's event stream (wss://), "
                "or a Jetstream (…/subscribe)."
            ),
            kind="url",
            default=firehose_url(),
            advanced=True,
        ),
        SettingField(
            "from_start",
            _("Read the stream from its oldest event"),
            _(
                "On the first run only. Without it the stream is read from now on; a quiet server "
                "that has sent nothing yet is read from now on again at each run."
            ),
            kind="bool",
            default=False,
            advanced=True,
        ),
        SettingField(
            "window_seconds",
            _("Stream reading time per run (seconds)"),
            kind="int",
            default=20,
            advanced=True,
        ),
        SettingField(
            "max_events",
            _("Stream events per run"),
            kind="int",
            default=5000,
            advanced=True,
        ),
        SettingField("page_size", _("Results per request"), kind="int", default=100, advanced=True),
        SettingField(
            "backfill_pages",
            _("Pages read back for a new search term"),
            kind="int",
            default=10,
            advanced=True,
        ),
    )

    def __init__(self, source: Any, http: Any = None) -> None:
        super().__init__(source, http)
        self._session: xrpc.Session | None = None
        self._profiles: Profiles | None = None
        self._served: set[str] = set()  # search terms read to the end in this run
        self._refused: dict[str, xrpc.BadRequest] = {}  # search terms the service refused
        self._named_authors: dict[str, str] | None = None

    # --- settings and accounts ----------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        mode = str(config.get("mode") or "search").strip()
        if mode not in MODES:
            raise ValueError(_("The mode is one of: search, firehose, notifications."))
        appview_did_value = str(config.get("appview_did") or "").strip()
        if (
            appview_did_value
            and appview_did_value != "none"
            and (not appview_did_value.startswith("did:") or "#" not in appview_did_value)
        ):
            raise ValueError(_("The AppView service looks like did:web:api.bsky.app#bsky_appview."))
        return {
            "mode": mode,
            # Kept as the text a person types, so that the settings form shows it back as is.
            "terms": ", ".join(terms_list(config.get("terms"))),
            "service_url": optional_url(config, "service_url", {"http", "https"}),
            "appview_url": optional_url(config, "appview_url", {"http", "https"}),
            "appview_did": appview_did_value,
            "appview_direct": bool(config.get("appview_direct", False)),
            "firehose_url": optional_url(config, "firehose_url", {"ws", "wss", "http", "https"}),
            "from_start": bool(config.get("from_start", False)),
            "window_seconds": bounded_int(config, "window_seconds", 20, 1, 300),
            "max_events": bounded_int(config, "max_events", 5000, 1, 100_000),
            "page_size": bounded_int(config, "page_size", 100, 1, 100),
            "backfill_pages": bounded_int(config, "backfill_pages", 10, 1, 100),
            # Everything on our own account matters; searches and streams keep matches.
            "keep_all": mode == "notifications" or bool(config.get("keep_all", False)),
        }

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (
            SettingField(
                "handle", _("Handle"), _("For example maisonlumiere.bsky.social"), required=True
            ),
            SettingField(
                "app_password",
                _("App password"),
                _("Create one in Bluesky: Settings → Privacy and security → App passwords."),
                required=True,
            ),
            SettingField(
                "service_url",
                _("Account server"),
                _("bsky.social for most accounts; change it only for a self-hosted server."),
                kind="url",
                default=service_url(),
                advanced=True,
            ),
        )

    @classmethod
    def login(cls, http: Any, fields: dict[str, str]) -> AccountInfo:
        handle = str(fields.get("handle", "")).strip().lstrip("@")
        password = str(fields.get("app_password", "")).strip()
        if not handle or not password:
            raise ValueError(_("Give the handle and an app password."))
        try:
            service = xrpc.base_url(str(fields.get("service_url") or "") or service_url())
        except ValueError:
            raise ValueError(_("The account server's address starts with https://")) from None
        session = xrpc.create_session(xrpc.Client(http, service), handle, password)
        credentials = {"service_url": service, "app_password": password}
        credentials.update(xrpc.session_credentials(session))
        display_name = ""
        client = xrpc.Client(http, service, token=credentials["access_jwt"], proxy=appview_did())
        try:
            profile = client.query("app.bsky.actor.getProfile", {"actor": session["did"]})
            display_name = str(profile.get("displayName") or "")
        except ConnectorError as exc:  # a profile not indexed yet must not stop the connection
            logger.info("Bluesky profile of a new account not available: %s", exc)
        return AccountInfo(
            handle=str(session.get("handle") or handle),
            credentials=credentials,
            display_name=display_name,
        )

    # --- reading ------------------------------------------------------------------------

    def setting(self, name: str, default: str) -> str:
        return str(self.source.config.get(name) or "").strip() or default

    def session(self) -> xrpc.Session | None:
        if self.account is None:
            return None
        if self._session is None:
            did_setting = self.setting("appview_did", appview_did())
            try:
                self._session = xrpc.Session(
                    self.http,
                    self.credentials(),
                    identifier=self.account.handle,
                    service_url=self.setting("service_url", service_url()),
                    proxy="" if did_setting == "none" else did_setting,
                    save=self.save_credentials,
                    reload=self.stored_credentials,
                )
            except ValueError as exc:
                raise PermanentError(
                    f"the account's PDS address is not valid ({exc}): {xrpc.RECONNECT}"
                ) from exc
        return self._session

    def stored_credentials(self) -> dict[str, str]:
        """The account's credentials as stored now (see xrpc.Session.reload)."""
        from parvis.connectors.models import ConnectedAccount

        account = ConnectedAccount.objects.filter(pk=self.source.account_id).first()
        return account.credentials() if account is not None else {}

    def reader(self) -> Reader:
        """Who answers app.bsky.* queries: the account's PDS (proxied to the AppView), or the
        AppView itself, anonymously."""
        session = self.session()
        if session is not None and not self.source.config.get("appview_direct"):
            return session
        try:
            base = xrpc.base_url(self.setting("appview_url", appview_url()))
        except ValueError as exc:
            raise PermanentError(
                f"the AppView address is not valid ({exc}): fix it in the settings"
            ) from exc
        return xrpc.Client(self.http, base)

    def profiles(self) -> Profiles:
        if self._profiles is None:
            self._profiles = Profiles(self.reader())
        return self._profiles

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        mode = self.source.config.get("mode", "search")
        if mode == "firehose":
            return self.fetch_firehose(cursor, context)
        if mode == "notifications":
            if self.account is None:
                raise PermanentError("notifications need a connected Bluesky account: choose one")
            return self.fetch_notifications(cursor)
        return self.fetch_search(cursor, context)

    def with_followers(self, views: list[Any]) -> list[Incoming]:
        """postViews as Incoming, authors completed with their follower counts."""
        dids = [
            v["author"].get("did", "")
            for v in views
            if isinstance(v, dict) and isinstance(v.get("author"), dict)
        ]
        known = self.profiles().resolve(dids)
        return [mapping.from_post_view(v, known) for v in views]

    # --- replying (the inbox) -----------------------------------------------------------

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return config.get("mode") == "notifications"

    def reply_session(self) -> xrpc.Session:
        self.reply_account()
        session = self.session()
        assert session is not None  # an account gives a session
        return session

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        session = self.reply_session()
        handle = self.reply_account().handle
        return replies.create(session, self.reader(), target, text, context.idempotency_key, handle)

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        session = self.reply_session()
        handle = self.reply_account().handle
        return replies.find(
            session, self.reader(), target, text, since, context.idempotency_key, handle
        )

    # --- publishing ---------------------------------------------------------------------

    def publish_session(self) -> xrpc.Session:
        self.publish_account()
        session = self.session()
        assert session is not None  # an account gives a session
        return session

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        session = self.publish_session()
        handle = self.publish_account().handle
        return publishing.create(session, self.reader(), post, context.idempotency_key, handle)

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        session = self.publish_session()
        handle = self.publish_account().handle
        return publishing.find(session, self.reader(), post, since, context.idempotency_key, handle)

    def publish_limits(self) -> PublishLimits:
        """Bluesky's limits are the lexicon's, the same on every server: 300 graphemes (the
        counting module knows them), 4 images of 1,000,000 bytes, or one MP4 video of
        100,000,000 bytes."""
        return PublishLimits(
            max_characters=300,
            max_media=publishing.MAX_IMAGES,
            image_size_limit=publishing.MAX_IMAGE_BYTES,
            video_size_limit=publishing.MAX_VIDEO_BYTES,
            media_types=publishing.IMAGE_TYPES + publishing.VIDEO_TYPES,
        )

    # --- metrics (the counts of published posts) ----------------------------------------

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        self.acting_account("reading the counts of posts", "the account that published them")
        return metrics.read(self.reader(), external_ids)

    metrics_of_others = True

    def mention_metrics(
        self, external_ids: list[str], context: MetricsContext
    ) -> list[PostMetrics]:
        # getPosts takes any post's URI; the public AppView answers without an account.
        return metrics.read(self.reader(), external_ids)

    def account_metrics(self, context: MetricsContext) -> AccountMetrics:
        account = self.acting_account("reading the account's counts", "the account")
        session = self.session()
        if session is not None and not session.credentials.get("access_jwt"):
            session.login()  # its DID, the one name of the account that never changes
        actor = (session.did if session is not None else "") or account.handle
        return metrics.account(self.reader(), actor)

    def profile(self, context: MetricsContext) -> ProfileInfo:
        account = self.acting_account("reading the account's profile", "the account")
        session = self.session()
        if session is not None and not session.credentials.get("access_jwt"):
            session.login()
        actor = (session.did if session is not None else "") or account.handle
        return metrics.profile(self.reader(), actor)

    # --- moderating (hidden replies) ---------------------------------------------------

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        self.moderation_account()
        session = self.session()
        assert session is not None  # an account gives a session
        return moderation.moderate(session, self.reader(), target, action)

    # --- search -------------------------------------------------------------------------

    def search_terms(self, context: FetchContext) -> list[str]:
        return terms_list(self.source.config.get("terms")) or context.search_terms()

    def next_term(self, terms: list[str], cursor: dict[str, Any]) -> str | None:
        """The first term not read this run, starting where the last run stopped (round robin:
        a run's page budget must not always go to the first terms)."""
        served = self._served
        start = terms.index(cursor["next"]) if cursor.get("next") in terms else 0
        for term in terms[start:] + terms[:start]:
            if term not in served:
                return term
        return None

    def max_pages(self, state: dict[str, Any]) -> int:
        """A first pass reads back a few pages; later ones down to what they already have."""
        if state.get("newest"):
            return INCREMENTAL_PAGES
        return int(self.source.config.get("backfill_pages", 10))

    def lists(self, context: FetchContext) -> list[str]:
        """What search mode reads: each search term, and the posts of each account a term
        names (@handle also means the posts that account writes, which a text search for
        its handle does not return)."""
        terms = self.search_terms(context)
        handles = [
            token[1:]
            for term in terms
            for token in term.split()
            if token.startswith("@") and "." in token
        ]
        return terms + [AUTHOR_FEED + h for h in dict.fromkeys(handles)]

    def fetch_search(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        terms = self.lists(context)
        states = {t: s for t, s in (cursor.get("terms") or {}).items() if t in terms}
        term = self.next_term(terms, cursor)
        if term is None:
            return FetchResult(items=[], cursor=cursor, notes={"terms": len(terms)})
        state = states.get(term, {})
        try:
            body = self.search_page(term, paging.page_cursor(state))
        except xrpc.BadRequest as exc:
            if paging.page_cursor(state) is None:
                body = self.refused_term(term, terms, exc)
            else:
                # A page cursor the service no longer accepts: the pass starts again from the
                # top, down to what the last finished pass had (re-read posts are duplicates).
                logger.warning("Bluesky search cursor refused for %r, pass restarted", term)
                state = {"newest": state["newest"]} if state.get("newest") else {}
                try:
                    body = self.search_page(term, None)
                except xrpc.BadRequest as again:
                    body = self.refused_term(term, terms, again)
        views = body.get("posts") or []
        refs = [ref for v in views if (ref := post_ref(v)) is not None]
        max_pages = self.max_pages(state)
        states[term], done = paging.step(state, refs, body.get("cursor"), max_pages=max_pages)
        new_cursor = {"terms": states, "next": term}
        if done:
            self._served.add(term)
            following = terms[(terms.index(term) + 1) % len(terms)]
            new_cursor["next"] = following
        more = any(t not in self._served for t in terms)
        return FetchResult(items=self.with_followers(views), cursor=new_cursor, more=more)

    def search_page(self, term: str, cursor: str | None) -> dict[str, Any]:
        """One page of a list, as searchPosts shapes it ({"posts", "cursor"})."""
        size = int(self.source.config.get("page_size", 100))
        if term.startswith(AUTHOR_FEED):
            body = self.reader().query(
                "app.bsky.feed.getAuthorFeed",
                {
                    "actor": term.removeprefix(AUTHOR_FEED),
                    "filter": "posts_with_replies",
                    "limit": size,
                    "cursor": cursor,
                },
            )
            # Reposts (items with a reason) are other people's posts shown in this feed.
            items = [i for i in body.get("feed") or [] if isinstance(i, dict)]
            posts = [i.get("post") for i in items if not i.get("reason")]
            return {"posts": posts, "cursor": body.get("cursor")}
        return self.reader().query(
            "app.bsky.feed.searchPosts",
            {"q": term, "sort": "latest", "limit": size, "cursor": cursor},
        )

    def refused_term(self, term: str, terms: list[str], exc: xrpc.BadRequest) -> dict[str, Any]:
        """One search the service cannot run (its syntax) must not stop the others; when it
        refuses them all, the cause is ours or the service's, and the source stops to say so."""
        logger.warning("Bluesky search refused the term %r: %s", term, exc)
        self._refused[term] = exc
        if set(self._refused) >= set(terms):
            raise PermanentError(f"Bluesky search refused every search term: {exc}") from exc
        return {"posts": []}  # read to its end: the pass is over, the next term follows

    # --- notifications --------------------------------------------------------------------

    def fetch_notifications(self, cursor: dict[str, Any]) -> FetchResult:
        state = cursor.get("notifications") or {}
        reader = self.reader()
        try:
            body = self.notifications_page(reader, paging.page_cursor(state))
        except xrpc.BadRequest:
            if paging.page_cursor(state) is None:
                raise
            # A refused page cursor: read again from the newest (see fetch_search).
            logger.warning("Bluesky notifications cursor refused, pass restarted")
            state = {"newest": state["newest"]} if state.get("newest") else {}
            body = self.notifications_page(reader, None)
        notifications = [n for n in body.get("notifications") or [] if isinstance(n, dict)]
        refs = [
            paging.Ref(n["uri"], str(n.get("indexedAt", "")))
            for n in notifications
            if isinstance(n.get("uri"), str)
        ]
        wanted = [n for n in notifications if n.get("reason") in NOTIFICATION_REASONS]
        items = self.hydrate(reader, wanted)
        max_pages = self.max_pages(state)
        new_state, done = paging.step(state, refs, body.get("cursor"), max_pages=max_pages)
        return FetchResult(items=items, cursor={"notifications": new_state}, more=not done)

    def notifications_page(self, reader: Reader, cursor: str | None) -> dict[str, Any]:
        return reader.query(
            "app.bsky.notification.listNotifications",
            {
                "limit": min(int(self.source.config.get("page_size", 100)), 100),
                "reasons": list(NOTIFICATION_REASONS),
                "cursor": cursor,
            },
        )

    def hydrate(self, reader: Reader, notifications: list[dict[str, Any]]) -> list[Incoming]:
        """The posts behind notifications, with their counts; deleted ones are left out."""
        items: list[Incoming] = []
        uris: list[str] = []
        for n in notifications:
            uri = n.get("uri")
            if not isinstance(uri, str) or not uri.startswith("at://"):
                items.append(Incoming(None, mapping.dumps(n), error="a notification without uri"))
            elif uri not in uris:
                uris.append(uri)
        views: list[Any] = []
        for start in range(0, len(uris), GET_POSTS_BATCH):
            batch = uris[start : start + GET_POSTS_BATCH]
            body = reader.query("app.bsky.feed.getPosts", {"uris": batch})
            views.extend(body.get("posts") or [])
        # getPosts leaves out deleted posts: nothing to store, nothing wrong.
        by_uri = {v.get("uri"): v for v in views if isinstance(v, dict)}
        ordered = [by_uri[u] for u in uris if u in by_uri]
        return items + self.with_followers(ordered)

    # --- firehose -----------------------------------------------------------------------

    def fetch_firehose(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        base = self.setting("firehose_url", firehose_url())
        jetstream = firehose.is_jetstream(base)
        # A relay's sequence number and Jetstream's microseconds are not interchangeable:
        # each keeps its own key, so changing the address never misreads the other.
        key = "time_us" if jetstream else "seq"
        seq = cursor.get(key) if isinstance(cursor.get(key), int) else None
        if seq is None and self.source.config.get("from_start"):
            seq = 0  # the oldest event the relay, PDS or Jetstream still holds
        pending = [
            firehose.StreamPost.from_dict(p)
            for p in cursor.get("pending") or []
            if isinstance(p, dict)
        ]
        url = (firehose.jetstream_url if jetstream else firehose.stream_url)(base, seq)
        window = firehose.read_window(
            url,
            seconds=float(self.source.config.get("window_seconds", 20)),
            max_events=int(self.source.config.get("max_events", 5000)),
            user_agent=USER_AGENT,
            jetstream=jetstream,
        )
        if window.reset:
            logger.warning("firehose refused cursor %s: reading from now on", seq)
            kept = {"pending": [p.as_dict() for p in pending]} if pending else {}
            return FetchResult(items=[], cursor=kept)
        fresh = self.prefilter(window.posts, context)
        broken = [p for p in fresh if p.error]
        ready, waiting = firehose.settle(pending + [p for p in fresh if not p.error], window)
        profiles = self.profiles()
        for did, handle in window.handles.items():
            profiles.remember(mapping.Profile(did=did, handle=handle))
        known = profiles.resolve(p.did for p in ready)
        items = [Incoming(None, mapping.dumps(p.raw), error=p.error) for p in broken]
        items += [
            mapping.from_record(p.uri, p.record, known[p.did], p.raw, seen_at=p.time) for p in ready
        ]
        new_cursor: dict[str, Any] = {}
        if (last := window.seq if window.seq is not None else seq) is not None:
            new_cursor[key] = last
        if waiting:
            new_cursor["pending"] = [p.as_dict() for p in waiting]
        return FetchResult(
            items=items, cursor=new_cursor, more=window.full, notes={"events": window.events}
        )

    def named_authors(self, context: FetchContext) -> dict[str, str]:
        """{DID: handle} of the accounts the workspace's queries name (@handle): the stream
        gives a post's DID only, and "@brand" also means the posts brand writes."""
        if self._named_authors is None:
            handles = sorted(
                {
                    token[1:]
                    for term in context.search_terms(limit=MAX_NAMED_AUTHORS * 4)
                    for token in term.split()
                    if token.startswith("@") and "." in token
                }
            )[:MAX_NAMED_AUTHORS]
            self._named_authors = {}
            for handle in handles:
                try:
                    body = self.reader().query(
                        "com.atproto.identity.resolveHandle", {"handle": handle}
                    )
                except ConnectorError as exc:
                    logger.info("Bluesky handle %s not resolved: %s", handle, exc)
                    continue
                if isinstance(body.get("did"), str):
                    self._named_authors[body["did"]] = handle
        return self._named_authors

    def prefilter(
        self, posts: list[firehose.StreamPost], context: FetchContext
    ) -> list[firehose.StreamPost]:
        """Posts worth a profile lookup and the pipeline. A post with a language is matched
        exactly; one without is kept when some query could match it once its language is
        detected (the pipeline decides). Authors are known by DID only, except those the
        queries name (named_authors)."""
        if context.keep_unmatched:
            return posts
        authors = self.named_authors(context)
        kept = []
        for post in posts:
            if post.error:
                # An unreadable record from anywhere on the network is not this workspace's
                # business: logged, not quarantined.
                logger.info("unreadable firehose post %s skipped: %s", post.uri, post.error)
                continue
            record = post.record if isinstance(post.record, dict) else {}
            text = record.get("text") if isinstance(record.get("text"), str) else ""
            lang = mapping.record_lang(record)
            author = authors.get(post.did)
            if context.could_match(
                text, lang=lang or None, network=mapping.NETWORK, author_handle=author
            ):
                kept.append(post)
        return kept


def post_ref(view: Any) -> paging.Ref | None:
    """Where a search result sits in the "latest" order: its sortAt, the earlier of createdAt
    and indexedAt (a post dated in the future sorts when it was indexed)."""
    if not isinstance(view, dict) or not isinstance(view.get("uri"), str):
        return None
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    times = [
        (parsed, value)
        for value in (record.get("createdAt"), view.get("indexedAt"))
        if (parsed := paging.parse_at(value)) is not None
    ]
    return paging.Ref(view["uri"], min(times)[1] if times else "")


__all__ = ["BlueskyConnector"]
