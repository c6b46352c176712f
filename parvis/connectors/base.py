"""The connector contract: what every network connector is, says it can do, and raises.

A connector is one package under parvis/connectors/ (rss, demo, …), a subclass of Connector
registered by its `kind`. It turns its network's payloads into items (`Incoming`) shaped as
normalized mentions, and keeps a cursor so that restarts neither lose nor repeat.

This module is the bottom of the network layers: connectors depend on it, on core and on
workspaces, never on the apps built on them (listening, and later inbox, moderation,
publishing, analytics). What a connector needs to know of those apps comes in a context
object, given by the caller of each operation (`fetch(cursor, context)`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import httpx

    from parvis.connectors.models import ConnectedAccount

# More searches than this in one run would spend a network's rate limit.
MAX_TERMS = 30


class Capability(StrEnum):
    LISTEN = "listen"  # search or stream public posts matching the monitored queries
    OWN_ACTIVITY = "own_activity"  # comments, replies, mentions, messages on our accounts
    REPLY = "reply"  # answer a message as the connected account (reply, find_reply)
    PUBLISH = "publish"
    MODERATE = "moderate"  # hide / restore / delete others' items (moderate, moderation_actions)
    METRICS = "metrics"


class ConnectorError(Exception):
    """Base of the errors a connector raises; `retryable` tells the scheduler what to do."""

    retryable: ClassVar[bool] = True


class RetryLater(ConnectorError):
    """Rate limit, server error, timeout: try again, not before `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Revoked token, deleted account, feed gone: the source is paused until a person acts.
    The message says what to do."""

    retryable: ClassVar[bool] = False


@dataclass(slots=True)
class Incoming:
    """One item as a source received it: parsed data, its raw text, where it came from."""

    data: Any
    raw: str = ""
    line: int | None = None
    error: str = ""  # set when the item could not even be parsed
    payload: Any = None  # the network's own payload, kept as received (default: data)


class SourceSettings(Protocol):
    """What a connector reads of the source it works for (listening's Source model, or any
    object with these attributes)."""

    workspace_id: int
    account_id: int | None
    config: dict[str, Any]

    @property
    def account(self) -> ConnectedAccount | None: ...


class Context:
    """What the caller of a connector operation tells it about the workspace. Each operation
    gets its own kind (fetching: FetchContext; replying, publishing, hiding and metrics
    later); the defaults describe a caller that knows nothing, which tests use."""

    def __init__(self, workspace_id: int | None = None) -> None:
        self.workspace_id = workspace_id


class FetchContext(Context):
    """For `fetch`: what to search for and what to keep, derived by listening from the
    workspace's monitored queries (parvis.listening.fetch_context)."""

    # Sources that keep every item (feeds, files, `keep_all`) need no filtering here.
    keep_unmatched: bool = True

    def search_terms(self, limit: int = MAX_TERMS) -> list[str]:
        """The plain searches (space-separated terms that all must appear, phrases in double
        quotes, folded) that together find every mention the queries can match."""
        return []

    def could_match(
        self, text: str, *, lang: str | None, network: str, author_handle: str | None
    ) -> bool:
        """Whether an item may match a query: exactly when its language is known, else
        whether it could once its language is detected. Lets a stream drop most of its
        items before costlier lookups; the pipeline still decides."""
        return True


class ReplyContext(Context):
    """For `reply` / `find_reply`: the idempotency key of this reply (the same on every attempt)."""

    def __init__(self, workspace_id: int | None = None, idempotency_key: str = "") -> None:
        super().__init__(workspace_id)
        self.idempotency_key = idempotency_key


@dataclass(frozen=True)
class ReplyTarget:
    """The message a reply answers, as the inbox stored it."""

    network: str
    # The message answered (Bluesky at:// uri, Mastodon status id, Reddit fullname
    # t1_/t3_/t4_, YouTube comment id).
    external_id: str
    root_external_id: str = ""  # the thread's first post when known
    author_handle: str = ""  # who wrote the message (for a Mastodon @mention, a DM)
    private: bool = False  # a private message (Reddit t4, Mastodon direct)
    # The stored network payload of that message (Bluesky cid, YouTube snippet…).
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SentReply:
    external_id: str
    url: str = ""
    published_at: dt.datetime | None = None


class ModerationAction(StrEnum):
    """What the moderation app asks a connector to do to an item someone else posted."""

    # Out of public view, restorable (Bluesky hiddenReplies, YouTube heldForReview, Reddit
    # remove).
    HIDE = "hide"
    # Undo HIDE (or DELETE where the network allows: Reddit approve).
    RESTORE = "restore"
    # For good where the network allows (YouTube rejected: cannot be published again).
    DELETE = "delete"


@dataclass(frozen=True)
class ModerationResult:
    """What came of a moderation action on the network."""

    action: str
    # False: the network cannot do it for this item — a person must act on the network (the
    # message says what, `url` where).
    done: bool = True
    message: str = ""  # the network's answer, or what a person has to do, in plain words
    url: str = ""


class ModerationContext(Context):
    """For `moderate`: the action's idempotency key (the same on every attempt)."""

    def __init__(self, workspace_id: int | None = None, idempotency_key: str = "") -> None:
        super().__init__(workspace_id)
        self.idempotency_key = idempotency_key


# --- publishing (the publishing app calls these) -------------------------------------------


@dataclass(frozen=True)
class MediaFile:
    """An image or a video attached to a post, a file in the data directory."""

    path: str  # absolute path of the stored file
    mime_type: str  # image/jpeg, image/png, image/gif, image/webp, video/mp4…
    alt_text: str = ""
    size: int = 0  # bytes
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class OutgoingPost:
    """One post as one account publishes it: the variant of a post for that account."""

    text: str
    media: tuple[MediaFile, ...] = ()
    # In a thread, the post this one follows, as it was published (its external_id, and in
    # `raw` what the network needs to answer it: Bluesky's uri/cid and the thread's root).
    reply_to: ReplyTarget | None = None
    language: str = ""  # BCP 47 (« fr », « en »), where the network records it


@dataclass(frozen=True)
class PublishedPost:
    """A post the network has: what the publishing app records, and a thread's next post
    answers (`raw`: Bluesky {"uri", "cid", "root": {"uri", "cid"}})."""

    external_id: str
    url: str = ""
    published_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishLimits:
    """What the account's server accepts when the network says it (Mastodon's instance
    `configuration`); None where the network's documented default applies."""

    max_characters: int | None = None
    characters_per_url: int | None = None
    max_media: int | None = None
    image_size_limit: int | None = None  # bytes
    video_size_limit: int | None = None  # bytes
    media_types: tuple[str, ...] = ()
    # A publishing quota over a rolling window, where the network documents one and says how
    # much is used (Threads: 250 posts in 24 hours; Instagram's content_publishing_limit):
    # its size, and what is left of it now.
    posts_per_window: int | None = None
    posts_left: int | None = None
    window_seconds: int | None = None


class PublishContext(Context):
    """For `publish` / `find_post`: the idempotency key of this post on this account (the same
    on every attempt)."""

    def __init__(self, workspace_id: int | None = None, idempotency_key: str = "") -> None:
        super().__init__(workspace_id)
        self.idempotency_key = idempotency_key


# --- metrics (the publishing app reads the counts of what it published) ----------------------


@dataclass(frozen=True)
class PostMetrics:
    """The public counts of one of the account's posts as the network gives them now; None
    where the network does not give that figure (Mastodon has no quotes nor views)."""

    external_id: str
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    views: int | None = None  # people reached or impressions, where the network says
    # The network does not have the post any more (deleted, taken down, not visible to the
    # account): its counts are None and there is no point asking again.
    gone: bool = False


class MetricsContext(Context):
    """For `post_metrics`: nothing more than the workspace for now."""


# A count above this is a broken figure (the listening app's MAX_COUNT): read as unknown.
MAX_METRIC = 10**12


def metric(value: Any) -> int | None:
    """A count from a network's answer: a non-negative integer up to MAX_METRIC, else None (a
    string, a bool, a float, 10^30, a negative number)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_METRIC else None


@dataclass
class AccountSettings:
    """What `Connector.for_account` gives a connector acting outside any source (replying):
    the account, the workspace it belongs to, and settings of the connector's kind."""

    workspace_id: int
    account_id: int | None
    account: ConnectedAccount | None
    config: dict[str, Any] = field(default_factory=dict)


SPACES = re.compile(r"\s+")


def same_text(a: str, b: str) -> bool:
    """Whether two texts are the same reply once whitespace is folded (networks trim and
    re-wrap what they are sent)."""
    return SPACES.sub(" ", a).strip() == SPACES.sub(" ", b).strip()


# A network's clock and ours differ: a reply the network dates this much before `since` is
# still taken for ours by find_reply.
CLOCK_SKEW = dt.timedelta(minutes=2)


def posted_since(published: dt.datetime | None, since: dt.datetime) -> bool:
    """Whether a post the network dates `published` can be the reply sent at `since` or later
    (an undated one can)."""
    if published is None:
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return published >= since - CLOCK_SKEW


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time as networks write it ("Z" included), aware; None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass
class FetchResult:
    items: list[Incoming]
    cursor: dict[str, Any]  # the source's cursor once these items are stored
    more: bool = False  # another page is ready now
    notes: dict[str, Any] = field(default_factory=dict)


class Auth(StrEnum):
    """How an account on the connector's network is connected."""

    NONE = "none"  # public API, no account (Hacker News, RSS)
    APP_PASSWORD = "app_password"  # handle + app password exchanged for a session (Bluesky)
    OAUTH2 = "oauth2"  # authorization-code flow in the browser (Mastodon, Reddit, YouTube)
    API_KEY = "api_key"  # a key pasted once (YouTube's read-only key)


@dataclass(frozen=True)
class SettingField:
    """One setting of a source of this kind, for the form that adds one and for the CLI help."""

    name: str
    label: str
    help_text: str = ""
    required: bool = False
    kind: str = "text"  # text | url | int | bool | choice
    choices: tuple[tuple[str, str], ...] = ()
    default: Any = None
    # Shown folded under « Advanced » in the forms: technical, and the default fits most people.
    advanced: bool = False


@dataclass
class AccountInfo:
    """What connecting an account gives: who it is and the credentials to store encrypted."""

    handle: str
    credentials: dict[str, str]
    display_name: str = ""


class Connector:
    kind: ClassVar[str]
    label: ClassVar[str]
    # The network code (parvis.core.networks) of the mentions this connector produces.
    network: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # Sources of this kind keep only mentions that match a monitored query.
    keep_unmatched: ClassVar[bool] = False
    settings_fields: ClassVar[tuple[SettingField, ...]] = ()
    auth: ClassVar[Auth] = Auth.NONE
    # True when every source of this kind reads through a connected account.
    needs_account: ClassVar[bool] = False
    # False for kinds that only the server's operator may add (from the command line): those
    # that read the server's own files, or exist for the demo.
    web_ui: ClassVar[bool] = True
    # The largest HTTP answer read for a source of this kind, in MB once decompressed: a
    # larger one pauses the source. PARVIS_<KIND>_MAX_BODY_MB overrides it.
    max_body_mb: ClassVar[int] = 8
    # What this network lets an account do to OTHERS' items (moderate); empty: nothing.
    moderation_actions: ClassVar[frozenset[ModerationAction]] = frozenset()
    # True when each server of the network sets its own publishing limits (a Mastodon
    # instance): `publish_limits` then asks the server, and connectors/limits.py keeps a copy
    # on the account. False: the network's limits are the same everywhere (counting.py).
    limits_per_server: ClassVar[bool] = False
    # True when `publish_limits` says how much of a rolling publishing quota is left
    # (Instagram's content_publishing_limit, Threads' threads_publishing_limit): the composer
    # shows what is left, read in the background at most every few minutes (limits.py).
    publishing_quota: ClassVar[bool] = False

    @classmethod
    def http_client(cls) -> httpx.Client:
        """The HTTP client for a run of a source of this kind, with its body cap."""
        from django.conf import settings

        from parvis.connectors import http

        mb = settings.CONNECTOR_MAX_BODY_MB.get(cls.kind, cls.max_body_mb)
        return http.client(max_body=mb * http.MB, max_body_setting=max_body_setting(cls.kind))

    def __init__(self, source: SourceSettings, http: httpx.Client | None = None) -> None:
        self.source = source
        self.http = http

    @property
    def account(self) -> ConnectedAccount | None:
        return self.source.account if self.source.account_id else None

    def credentials(self) -> dict[str, str]:
        account = self.account
        if account is None:
            if self.needs_account:
                raise PermanentError("this source needs a connected account: choose one")
            return {}
        return account.credentials()

    def save_credentials(self, changes: dict[str, str]) -> None:
        """Keep refreshed tokens (a new access token, a rotated refresh token), encrypted."""
        from parvis.connectors.services import do_refresh_credentials

        if self.account is not None:
            do_refresh_credentials(self.account, changes)

    # --- connecting an account (the UI's guided flow calls these) ---------------------

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        """What the user types to start connecting: instance address, client id, app password."""
        return ()

    @classmethod
    def login(cls, http: httpx.Client, fields: dict[str, str]) -> AccountInfo:
        """APP_PASSWORD / API_KEY: check the fields against the network and say who it is."""
        raise NotImplementedError

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        """OAUTH2: the authorization URL to send the browser to, and what to keep (encrypted)
        until the network redirects back (registered client id and secret, PKCE verifier)."""
        raise NotImplementedError

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        """OAUTH2: exchange the code for tokens and say who the account is."""
        raise NotImplementedError

    @classmethod
    def sign_in_expires_at(cls, credentials: dict[str, str]) -> dt.datetime | None:
        """When these stored credentials stop working unless the person connects the account
        again (a token that cannot be renewed past that date); None when there is no known
        end (renewed forever, or never expiring). Read whenever credentials are stored, for
        the expiry warnings."""
        return None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Check and normalise a source's settings; raise ValueError with a clear message."""
        return config

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        raise NotImplementedError

    # --- replying (the inbox calls these) ------------------------------------------------

    @classmethod
    def for_account(
        cls,
        account: ConnectedAccount,
        config: dict[str, Any] | None = None,
        http: httpx.Client | None = None,
    ) -> Connector:
        """A connector acting for a connected account outside any source (replying): a small
        settings object with the account's workspace_id, account_id, account and config."""
        settings = AccountSettings(
            workspace_id=account.workspace_id,
            account_id=account.pk,
            account=account,
            config=dict(config or {}),
        )
        return cls(settings, http)

    def acting_account(self, doing: str, which: str) -> ConnectedAccount:
        """The account an action on the network is done as; without one, a PermanentError
        that says which account to connect."""
        account = self.account
        if account is None:
            raise PermanentError(
                f"{doing} on {self.network or self.kind} needs a connected account: connect "
                f"{which} and choose it"
            )
        return account

    def reply_account(self) -> ConnectedAccount:
        """The account a reply is posted as."""
        return self.acting_account("replying", "an account")

    def moderation_account(self) -> ConnectedAccount:
        """The account a moderation action is done as."""
        return self.acting_account("moderating", "the account the items were posted to")

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        """Post `text` as the connected account's answer to `target`. Raises RetryLater /
        PermanentError (message says what to do)."""
        raise NotImplementedError

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        """Read back the account's recent posts: the reply to `target` with this text posted
        at or after `since`, if the network has it (crash reconciliation: was it sent before
        we could record it?)."""
        raise NotImplementedError

    # --- publishing (the publishing app calls these) ---------------------------------------

    def publish_account(self) -> ConnectedAccount:
        """The account a post is published as."""
        return self.acting_account("publishing", "the account to publish as")

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        """Publish `post` as the connected account. Raises RetryLater / PermanentError (the
        message says what to do). Where the network takes an idempotency key, send
        `context.idempotency_key`."""
        raise PermanentError(
            f"Parvis cannot publish on {self.network or self.kind}: post it on the network itself"
        )

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        """Read back the account's recent posts: the one with this text (and, in a thread,
        answering `post.reply_to`) published at or after `since`, if the network has it (crash
        reconciliation: was it published before we could record it?)."""
        raise NotImplementedError

    def publish_limits(self) -> PublishLimits:
        """What the account's server accepts (may ask the network: Mastodon's instance);
        RetryLater when it cannot be read now."""
        return PublishLimits()

    # --- metrics (the publishing app calls this) ---------------------------------------------

    # How many posts one `post_metrics` call should be given at most (the caller's batches);
    # the connector splits them further into what one request of its network takes.
    metrics_batch: ClassVar[int] = 100

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        """The counts of the account's own posts `external_ids` (as `publish` returned them):
        one PostMetrics per post the network answered for, `gone=True` for those it no longer
        has; an id the connector cannot read is left out. Raises RetryLater (rate limit,
        server error) or PermanentError (the message says what to do) for the whole call."""
        raise PermanentError(
            f"Parvis cannot read the counts of posts on {self.network or self.kind}"
        )

    # Whether the network lets the source read anyone's public posts' counts (Bluesky's
    # getPosts, X's tweet lookup, a Mastodon instance's statuses): listening then refreshes its
    # young mentions' likes, reposts and replies (parvis/listening/engagement.py).
    metrics_of_others: ClassVar[bool] = False

    def mention_metrics(
        self, external_ids: list[str], context: MetricsContext
    ) -> list[PostMetrics]:
        """The counts of mentions this source stored (`external_ids` as it mapped them), read
        as the source reads (through its account when it has one). Same answers and errors as
        `post_metrics`, which it is unless the connector says otherwise."""
        return self.post_metrics(external_ids, context)

    # --- moderating (the moderation app calls this) ---------------------------------------

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        """Do `action` on the item as the connected account. Raises RetryLater /
        PermanentError; an action the network does not allow for this item returns
        ModerationResult(done=False, message=what to do by hand).

        Idempotent: hiding twice leaves one hidden item and no error; restoring something
        that is not hidden is fine. `target` is the stored item (ReplyTarget reused)."""
        return not_allowed(
            action,
            f"Parvis cannot {action} items on {self.network or self.kind}: do it on the "
            "network itself",
        )

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        """Whether a source of this kind with these settings reads what is addressed to the
        account (notifications, inbox, comments on its videos): its items go to the inbox."""
        return False

    @classmethod
    def is_private(cls, raw: dict[str, Any]) -> bool:
        """Whether the stored payload of an item is a private message."""
        return False

    # --- account metrics (the analytics app calls this, daily) ------------------------------

    def account_metrics(self, context: MetricsContext) -> AccountMetrics:
        """The connected account's own counts now (followers, accounts it follows, posts),
        None where the network does not give one. Raises RetryLater (rate limit, server
        error) or PermanentError (the message says what to do)."""
        raise PermanentError(
            f"Parvis cannot read the account's counts on {self.network or self.kind}"
        )

    def profile(self, context: MetricsContext) -> ProfileInfo:
        """The connected account's public profile now (the presence audit). Raises RetryLater
        or PermanentError; a connector that cannot read profiles keeps this default."""
        raise PermanentError(
            f"Parvis cannot read the account's profile on {self.network or self.kind}"
        )


@dataclass(frozen=True)
class ProfileInfo:
    """An account's public profile as its network shows it now: its name, bio (plain text),
    the addresses of its avatar and banner ("" when none is set), its links (the website
    field, the profile's link fields, addresses written in the bio) and its pinned post's
    address; None where the network does not say (not "" — "" means « none set »)."""

    name: str | None = None
    bio: str | None = None
    avatar: str | None = None
    banner: str | None = None
    links: tuple[str, ...] | None = None
    pinned: str | None = None


# Caps on what a profile's fields may hold: a network's answer is data to check, and a
# megabyte bio must not reach the page or the database whole.
PROFILE_TEXT_MAX = 5_000
PROFILE_LINKS_MAX = 10
_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def profile_text(value: Any, cap: int = PROFILE_TEXT_MAX) -> str | None:
    """A profile field from a network's answer: a string without NUL or lone surrogates (which
    PostgreSQL's text refuses), trimmed and cut at `cap`; None for anything not a string."""
    if not isinstance(value, str):
        return None
    cleaned = "".join(c for c in value if c != "\x00" and not 0xD800 <= ord(c) <= 0xDFFF)
    return cleaned.strip()[:cap]


def links_in(text: str) -> list[str]:
    """The web addresses written in a text, in order, without the punctuation that ends a
    sentence."""
    return [m.group(0).rstrip(".,;:!?)»") for m in _LINK.finditer(text)]


def profile_links(*groups: Any) -> tuple[str, ...]:
    """Links from several places of a profile, each once, at most PROFILE_LINKS_MAX."""
    found: list[str] = []
    for group in groups:
        for value in group:
            link = profile_text(value, 2_000)
            if link and link not in found:
                found.append(link)
    return tuple(found[:PROFILE_LINKS_MAX])


@dataclass(frozen=True)
class AccountMetrics:
    """An account's public counts as its network gives them now; None where it does not."""

    followers: int | None = None
    following: int | None = None
    posts: int | None = None


def not_allowed(action: str, message: str, url: str = "") -> ModerationResult:
    """The answer to an action the network does not allow: a person must act there."""
    return ModerationResult(action=str(action), done=False, message=message, url=url)


def max_body_setting(kind: str) -> str:
    return f"PARVIS_{kind.upper()}_MAX_BODY_MB"


REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    if cls.kind in REGISTRY and REGISTRY[cls.kind] is not cls:
        raise ValueError(f"two connectors named {cls.kind!r}")
    REGISTRY[cls.kind] = cls
    return cls


def get(kind: str) -> type[Connector]:
    load_all()
    try:
        return REGISTRY[kind]
    except KeyError:
        raise PermanentError(f"no connector named {kind!r} is installed") from None


ENTRY_POINT_GROUP = "parvis.connectors"
_loaded = False


def connector_packages() -> list[str]:
    """Every subpackage of parvis.connectors (one per network), then third-party plugins
    declared under the `parvis.connectors` entry point group."""
    import pkgutil
    from importlib.metadata import entry_points

    import parvis.connectors as here

    names = [f"{here.__name__}.{m.name}" for m in pkgutil.iter_modules(here.__path__) if m.ispkg]
    names = [n for n in names if not n.endswith((".migrations", ".templates"))]
    return sorted(names) + [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]


def load_all() -> dict[str, type[Connector]]:
    """Import the connector packages, which register themselves."""
    import importlib

    global _loaded
    if not _loaded:
        for name in connector_packages():
            importlib.import_module(name)
        _loaded = True
    return REGISTRY
