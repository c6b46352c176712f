"""YouTube through the Data API v3 with an API key: comments on the channel's own videos
(own activity) and video search for the monitored queries (listening), within a daily quota.

Both modes read newest first and keep a high-water mark. While a pass pages towards older
items, the cursor holds the pass (its page token and the newest time it saw) and the old
mark; the new mark is committed only with the page that ends the pass. A crash mid-pass
resumes from the last committed page token; a refused token restarts the pass (the pipeline
drops the repeats).

Replies (the inbox) need Google sign-in (youtube_oauth): parvis.connectors.youtube.replies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
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
    ModerationAction,
    ModerationContext,
    ModerationResult,
    PermanentError,
    ReplyContext,
    ReplyTarget,
    SentReply,
    SettingField,
    register,
)
from parvis.connectors.options import pkce_pair
from parvis.connectors.youtube import api, moderation, oauth, quota
from parvis.connectors.youtube import replies as replying
from parvis.connectors.youtube.mapping import (
    Malformed,
    comment_mention,
    thread_comments,
    video_mention,
)

COMMENTS, SEARCH = "comments", "search"
CHANNEL_ID = re.compile(r"UC[0-9A-Za-z_-]{22}")
VIDEO_ID = re.compile(r"^[0-9A-Za-z_-]{11}$")
VIDEO_IN_URL = re.compile(r"(?:[?&]v=|youtu\.be/|/shorts/|/live/|/embed/)([0-9A-Za-z_-]{11})")
MAX_VIDEOS = 50
HANDLE = re.compile(r"(?:^|youtube\.com/)(@[0-9A-Za-z._-]{3,30})/?$")
DEFAULT_BACKFILL = {COMMENTS: 50, SEARCH: 4}  # pages read when a source starts
DEFAULT_OVERLAP_MINUTES = 60
MAX_SEEN = 500
MAX_KNOWN_THREADS = 1000  # threads whose reply count the cursor remembers
MAX_REPLY_PAGES = 5  # 500 replies per thread and run at most
CHANNEL_ID_HELP = _("A channel id starts with UC and has 24 characters (see the channel's address)")
CHANNEL_HELP = _("The channel's id (UC…), its handle (@…) or its address")


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def valid_time(value: Any) -> str:
    """The API timestamp if it reads as one (with a zone), else ""."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return value if parsed.tzinfo is not None else ""


def rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def newer(a: str, b: str) -> str:
    """The later of two API timestamps ("" counts as the earliest)."""
    if not a or not b:
        return a or b
    return a if parse_time(a) >= parse_time(b) else b


def channel_from(value: Any) -> str:
    """A channel id, from the id itself or a youtube.com/channel/UC… address."""
    found = CHANNEL_ID.search(str(value or ""))
    return found.group(0) if found else ""


def handle_from(value: Any) -> str:
    """A channel handle, from "@name" or a youtube.com/@name address ("" if none)."""
    found = HANDLE.search(str(value or "").strip())
    return found.group(1) if found else ""


def video_ids(value: Any) -> list[str]:
    """Video ids from ids or watch / youtu.be / shorts addresses, separated by spaces or commas."""
    words = value if isinstance(value, list) else re.split(r"[\s,]+", str(value or ""))
    found: list[str] = []
    for word in (str(w).strip() for w in words):
        if not word:
            continue
        match = VIDEO_IN_URL.search(word)
        video = match.group(1) if match else word
        if not VIDEO_ID.match(video):
            raise ValueError(
                _("%(value)s is neither a video id nor a video address") % {"value": word[:80]}
            )
        if video not in found:
            found.append(video)
    if len(found) > MAX_VIDEOS:
        raise ValueError(_("At most %(count)s videos per source") % {"count": MAX_VIDEOS})
    return found


def positive_int(config: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = config.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ValueError(
            _("%(name)s must be a whole number from %(low)s to %(high)s")
            % {"name": name, "low": low, "high": high}
        )
    return number


def raw_text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


@register
class YouTubeConnector(Connector):
    kind = "youtube"
    label = _("YouTube")
    network = "youtube"
    capabilities = frozenset({Capability.LISTEN, Capability.OWN_ACTIVITY})
    keep_unmatched = False
    auth = Auth.API_KEY
    needs_account = True
    settings_fields = (
        SettingField(
            "mode",
            _("What to read"),
            required=True,
            kind="choice",
            choices=(
                (COMMENTS, _("Comments on the channel's videos")),
                (SEARCH, _("Videos matching the monitored queries")),
            ),
            default=COMMENTS,
        ),
        SettingField(
            "channel_id",
            _("Channel id"),
            _("UC… (or the channel's address). Empty: the connected account's channel."),
        ),
        SettingField(
            "videos",
            _("Only these videos"),
            _(
                "Comments only: video ids or addresses, separated by spaces or commas (any "
                "channel's). Empty: every video of the channel."
            ),
        ),
        SettingField(
            "daily_quota",
            _("Daily quota (units)"),
            _(
                "What the key's Google Cloud project may spend a day; Google's default is "
                "10,000. Empty: PARVIS_YOUTUBE_DAILY_QUOTA or 10,000."
            ),
            kind="int",
        ),
        SettingField(
            "daily_searches",
            _("Daily searches"),
            _("Search calls a day (Google's default: 100). Empty: PARVIS_YOUTUBE_DAILY_SEARCHES."),
            kind="int",
        ),
        SettingField(
            "backfill_pages",
            _("Pages read at the start"),
            _("How far back the first run reads: comment pages of 100, search pages of 50."),
            kind="int",
        ),
        SettingField(
            "keep_all",
            _("Keep every video"),
            _("Searches only: keep videos that match no query exactly."),
            kind="bool",
            default=False,
        ),
    )

    def __init__(self, source: Any, http: httpx.Client | None = None) -> None:
        super().__init__(source, http)
        self._api: api.Client | None = None

    # --- settings and accounts --------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        mode = str(config.get("mode") or "").strip()
        if mode not in (COMMENTS, SEARCH):
            raise ValueError(_("Choose what to read: comments or search"))
        clean: dict[str, Any] = {"mode": mode}
        raw_channel = str(config.get("channel_id") or "").strip()
        if raw_channel:
            clean["channel_id"] = channel_from(raw_channel)
            if not clean["channel_id"]:
                raise ValueError(CHANNEL_ID_HELP)
        videos = video_ids(config.get("videos"))
        if videos:
            if mode != COMMENTS:
                raise ValueError(_("Videos are chosen for comments only"))
            clean["videos"] = " ".join(videos)  # as the form shows it back
        for name, low, high in (
            ("daily_quota", 1, 10**9),
            ("daily_searches", 1, 10**6),
            ("backfill_pages", 1, 1000),
            ("overlap_minutes", 0, 7 * 24 * 60),
        ):
            value = positive_int(config, name, low, high)
            if value is not None:
                clean[name] = value
        # Everything on our own channel matters; searches keep matches unless told otherwise.
        clean["keep_all"] = True if mode == COMMENTS else bool(config.get("keep_all", False))
        return clean

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (
            SettingField(
                "api_key",
                _("API key"),
                _(
                    "Google Cloud console → APIs & Services → Credentials, with the YouTube "
                    "Data API v3 enabled."
                ),
                required=True,
                kind="password",
            ),
            SettingField(
                "channel_id",
                _("Channel id"),
                _("UC… or @handle: youtube.com → your channel → Settings → Advanced settings."),
                required=True,
            ),
        )

    @classmethod
    def login(cls, http: httpx.Client, fields: dict[str, str]) -> AccountInfo:
        """Check the key and the channel with channels.list (1 unit of the key's quota)."""
        key = (fields.get("api_key") or "").strip()
        raw = fields.get("channel_id") or ""
        channel, handle = channel_from(raw), handle_from(raw)
        if not key:
            raise ValueError(_("Paste the API key"))
        if not channel and not handle:
            raise ValueError(CHANNEL_HELP)
        client = api.Client(http, {"api_key": key}, workspace_id=None, budget=quota.Budget())
        items = client.channel(channel, handle=handle).get("items") or []
        if not items or not items[0].get("id"):
            raise PermanentError(f"YouTube has no channel {channel or handle}: check the channel")
        channel = items[0]["id"]
        snippet = items[0].get("snippet") or {}
        return AccountInfo(
            handle=snippet.get("customUrl") or channel,
            credentials={"api_key": key, "channel_id": channel},
            display_name=snippet.get("title") or "",
        )

    # --- fetching ---------------------------------------------------------------------------

    @property
    def api(self) -> api.Client:
        if self._api is None:
            credentials = self.credentials()
            if not credentials.get("api_key") and not credentials.get("access_token"):
                raise PermanentError("the YouTube account has no API key: paste one in the account")
            self._api = api.Client(
                self.http,
                credentials,
                workspace_id=self.source.workspace_id,
                budget=quota.budget_for(self.source.config),
                on_refresh=self.save_credentials,
            )
        return self._api

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return config.get("mode") == COMMENTS

    def backfill_pages(self, mode: str) -> int:
        return self.source.config.get("backfill_pages") or DEFAULT_BACKFILL[mode]

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        if self.source.config.get("mode") == SEARCH:
            return self.fetch_search(cursor, context)
        return self.fetch_comments(cursor)

    # --- comments on the channel's videos ---------------------------------------------------

    def channel_id(self) -> str:
        channel = self.source.config.get("channel_id") or channel_from(
            self.credentials().get("channel_id")
        )
        if not channel:
            raise PermanentError("no YouTube channel id: set one on the source or the account")
        return channel

    def fetch_comments(self, cursor: dict[str, Any]) -> FetchResult:
        channel = self.channel_id()
        videos = video_ids(self.source.config.get("videos"))
        if videos:
            return self.fetch_video_comments(cursor, channel, videos)
        try:
            items, state, finished = self.comment_page(cursor, channel)
        except api.ItemUnavailable as exc:  # comments disabled on the whole channel
            return FetchResult(items=[], cursor=cursor, notes={"unavailable": str(exc)})
        return FetchResult(items=items, cursor=state, more=not finished)

    def fetch_video_comments(
        self, cursor: dict[str, Any], channel: str, videos: list[str]
    ) -> FetchResult:
        """One page of the first video in this round's queue; each video keeps its own mark."""
        states = {v: s for v, s in (cursor.get("videos") or {}).items() if v in videos}
        queue = [v for v in cursor.get("queue") or [] if v in videos] or list(videos)
        video = queue[0]
        notes: dict[str, Any] = {}
        try:
            items, states[video], finished = self.comment_page(
                states.get(video) or {}, channel, video
            )
        except api.ItemUnavailable as exc:  # comments disabled, video gone: skip this one
            items, finished, notes = [], True, {"unavailable": {video: str(exc)}}
        queue = queue[1:] if finished else queue
        new_cursor: dict[str, Any] = {"videos": states}
        if queue:
            new_cursor["queue"] = queue
        return FetchResult(items=items, cursor=new_cursor, more=bool(queue), notes=notes)

    def comment_page(
        self, state: dict[str, Any], channel: str, video: str = ""
    ) -> tuple[list[Incoming], dict[str, Any], bool]:
        """One page of a pass over the threads of the channel (or one video), newest first:
        its items, the new state ({"since"} or {"since", "pass"}), whether the pass ended."""
        since = state.get("since", "")
        current = state.get("pass") or {}
        try:
            body = self.api.comment_threads(channel, current.get("token", ""), video_id=video)
        except api.PageTokenRefused:
            current = {}
            body = self.api.comment_threads(channel, video_id=video)
        items: list[Incoming] = []
        top, last = current.get("top", ""), ""
        known = dict(state.get("replies") or {})
        for thread in body.get("items") or []:
            # Older threads on the page are kept too: the pipeline drops what it has, and a
            # new reply to an old thread arrives this way.
            items.extend(self.thread_items(thread, channel, known))
            if published := thread_time(thread):
                top, last = newer(top, published), published
        # Past the mark once the page ends older than it: the rest was read by earlier passes.
        reached_old = bool(since and last and parse_time(last) < parse_time(since))
        pages = current.get("pages", 0) + 1
        token = body.get("nextPageToken") or ""
        done = reached_old or not token or (not since and pages >= self.backfill_pages(COMMENTS))
        new_state: dict[str, Any] = {"since": newer(top, since) if done else since}
        if known:
            new_state["replies"] = dict(list(known.items())[-MAX_KNOWN_THREADS:])
        if not done:
            new_state["pass"] = {"token": token, "top": top, "pages": pages}
        return items, new_state, done

    def thread_items(self, thread: Any, channel: str, known: dict[str, int]) -> list[Incoming]:
        """The thread's comments; when it has more replies than it carries and more than we
        read last time (`known`: thread id -> replies read), all of them from comments.list."""
        try:
            if thread["snippet"].get("isPublic") is False:
                return []  # not visible to everyone (held for review, private video)
            comments = thread_comments(thread)
            video = thread["snippet"].get("videoId") or ""
            thread_id, total = str(thread["id"]), comments[0][1]
        except (Malformed, KeyError, TypeError, AttributeError) as exc:
            return [Incoming(None, raw_text(thread), error=f"unreadable comment thread: {exc}")]
        if total > len(comments) - 1 and known.get(thread_id) != total:
            included = {c.get("id") for c, _ in comments if isinstance(c, dict)}
            try:
                more = self.all_replies(thread_id)
            except api.ItemUnavailable:
                more = []  # the thread went away meanwhile: what it carried is enough
            comments += [(r, 0) for r in more if r.get("id") not in included]
            known.pop(thread_id, None)
            known[thread_id] = total  # most recent last, for trimming
        items = []
        for comment, replies in comments:
            try:
                data = comment_mention(comment, video_id=video, channel_id=channel, replies=replies)
            except (Malformed, TypeError, AttributeError) as exc:
                items.append(Incoming(None, raw_text(comment), error=f"unreadable comment: {exc}"))
                continue
            items.append(Incoming(data, raw_text(comment), payload=comment))
        return items

    def all_replies(self, thread_id: str) -> list[dict[str, Any]]:
        """Replies to a top-level comment (comments.list parentId, 1 unit per page of 100)."""
        replies: list[dict[str, Any]] = []
        token = ""
        for _page in range(MAX_REPLY_PAGES):
            body = self.api.replies(thread_id, token)
            replies += [r for r in body.get("items") or [] if isinstance(r, dict)]
            token = body.get("nextPageToken") or ""
            if not token:
                break
        return replies

    # --- searches for the monitored queries -------------------------------------------------

    def fetch_search(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        terms = context.search_terms()
        states = {t: s for t, s in (cursor.get("terms") or {}).items() if t in terms}
        queue = [t for t in cursor.get("queue") or [] if t in terms] or list(terms)
        if not queue:
            return FetchResult(items=[], cursor={"terms": {}}, notes={"no_terms": True})
        # A page is one search call, then one videos and one channels call: all must fit.
        if not self.api.can_afford(quota.Cost(units=2, searches=1)):
            raise quota.QuotaExhausted(
                "the YouTube daily quota of this key is spent; it resets at midnight Pacific time",
                quota.seconds_until_reset(),
            )
        term = queue[0]
        items, states[term], finished = self.search_page(term, states.get(term) or {})
        if finished:
            queue = queue[1:]
        new_cursor: dict[str, Any] = {"terms": states}
        if queue:
            new_cursor["queue"] = queue
        return FetchResult(items=items, cursor=new_cursor, more=bool(queue))

    def search_page(
        self, term: str, state: dict[str, Any]
    ) -> tuple[list[Incoming], dict[str, Any], bool]:
        """One page of one term's pass: its items, the term's new state, whether the pass ended."""
        current = state.get("pass") or {}
        after = state.get("after", "")
        seen: dict[str, str] = dict(state.get("seen") or {})
        published_after = ""
        if after:
            # YouTube's search index lags behind publishing: look back over the overlap.
            overlap = self.source.config.get("overlap_minutes", DEFAULT_OVERLAP_MINUTES)
            published_after = rfc3339(parse_time(after) - dt.timedelta(minutes=overlap))
        try:
            body = self.api.search(term, published_after, current.get("token", ""))
        except api.PageTokenRefused:
            current = {}
            body = self.api.search(term, published_after)
        items: list[Incoming] = []
        fresh: list[str] = []
        top = current.get("top", "")
        for result in body.get("items") or []:
            video_id, published = search_result_key(result)
            if not video_id or not published:
                items.append(
                    Incoming(None, raw_text(result), error="search result without video id or date")
                )
                continue
            top = newer(top, published)
            if video_id not in seen:
                fresh.append(video_id)
                seen[video_id] = published
        if fresh:
            items.extend(self.video_items(fresh))
        pages = current.get("pages", 0) + 1
        token = body.get("nextPageToken") or ""
        finished = not token or (not after and pages >= self.backfill_pages(SEARCH))
        if finished:
            after = newer(top, after)
            return items, {"after": after, "seen": self.recent(seen, after)}, True
        state = {"after": after, "seen": seen, "pass": {"token": token, "top": top, "pages": pages}}
        return items, state, False

    def recent(self, seen: dict[str, str], after: str) -> dict[str, str]:
        """Ids still inside the next search's overlap window, so they are not fetched again."""
        if not after:
            return {}
        overlap = self.source.config.get("overlap_minutes", DEFAULT_OVERLAP_MINUTES)
        limit = parse_time(after) - dt.timedelta(minutes=overlap)
        kept = sorted(
            ((v, t) for v, t in seen.items() if parse_time(t) >= limit),
            key=lambda pair: pair[1],
            reverse=True,
        )
        return dict(kept[:MAX_SEEN])

    def video_items(self, ids: list[str]) -> list[Incoming]:
        """Full description and counts; ids missing from the answer (deleted, private) skipped.
        The channels' subscriber counts become the authors' followers (reach, influence)."""
        videos = self.api.videos(ids).get("items") or []  # ids: one search page, at most 50
        subscribers = self.subscribers(videos)
        items = []
        for video in videos:
            try:
                data = video_mention(video)
            except (Malformed, TypeError, AttributeError, KeyError) as exc:
                items.append(Incoming(None, raw_text(video), error=f"unreadable video: {exc}"))
                continue
            data["author"]["followers"] = subscribers.get(data["author"]["handle"], 0)
            items.append(Incoming(data, raw_text(video), payload=video))
        return items

    def subscribers(self, videos: list[Any]) -> dict[str, int]:
        """Subscriber counts of the videos' channels (one channels.list call, 1 unit); hidden
        counts are 0."""
        ids = []
        for video in videos:
            channel = ((video or {}).get("snippet") or {}).get("channelId")
            if isinstance(channel, str) and channel and channel not in ids:
                ids.append(channel)
        if not ids:
            return {}
        counts = {}
        for channel in self.api.channel_statistics(ids[:50]).get("items") or []:
            statistics = (channel or {}).get("statistics") or {}
            if statistics.get("hiddenSubscriberCount"):
                continue
            try:
                counts[channel["id"]] = max(0, int(statistics.get("subscriberCount") or 0))
            except (KeyError, TypeError, ValueError):
                continue
        return counts


@register
class YouTubeOAuthConnector(YouTubeConnector):
    """The same sources, through a channel connected with Google sign-in instead of a key:
    for channels whose comments a key alone cannot read."""

    kind = "youtube_oauth"
    label = _("YouTube (Google sign-in)")
    auth = Auth.OAUTH2
    # An API key cannot write: replies and moderation go through a signed-in channel only.
    capabilities = YouTubeConnector.capabilities | {Capability.REPLY, Capability.MODERATE}
    # comments.setModerationStatus: heldForReview, published, rejected.
    moderation_actions = frozenset(
        {ModerationAction.HIDE, ModerationAction.RESTORE, ModerationAction.DELETE}
    )

    def reply_client(self) -> api.Client:
        self.reply_account()
        if not self.credentials().get("access_token"):
            raise PermanentError(
                "replying on YouTube needs the channel connected with Google sign-in: "
                "connect an account that way"
            )
        return self.api

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        return replying.create(self.reply_client(), target, text)

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        self.moderation_account()
        if not self.credentials().get("access_token"):
            raise PermanentError(
                "moderating on YouTube needs the channel connected with Google sign-in: "
                "connect an account that way"
            )
        return moderation.moderate(self.api, target, action)

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        client = self.reply_client()
        channel = channel_from(self.credentials().get("channel_id"))
        if not channel:
            raise PermanentError("the YouTube account has no channel id stored: reconnect it")
        return replying.find(client, channel, target, text, since)

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (
            SettingField(
                "client_id",
                _("OAuth client id"),
                _(
                    "Google Cloud console → APIs & Services → Credentials → OAuth client "
                    "(Web application), with Parvis's callback address as redirect URI."
                ),
                required=True,
            ),
            SettingField("client_secret", _("OAuth client secret"), required=True, kind="password"),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        client_id = (fields.get("client_id") or "").strip()
        client_secret = (fields.get("client_secret") or "").strip()
        if not client_id or not client_secret:
            raise ValueError(_("Paste the OAuth client id and secret"))
        verifier, challenge = pkce_pair()
        url = oauth.authorization_url(client_id, redirect_uri, state, challenge)
        pending = {"client_id": client_id, "client_secret": client_secret}
        return url, {**pending, "code_verifier": verifier}

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        """Tokens for the code, then which channel they belong to (channels.list mine=true)."""
        credentials = oauth.exchange_code(http, pending, code, redirect_uri)
        client = api.Client(http, credentials, workspace_id=None, budget=quota.Budget())
        items = client.channel().get("items") or []
        if not items or not items[0].get("id"):
            raise PermanentError("this Google account has no YouTube channel: sign in with another")
        channel = items[0]
        snippet = channel.get("snippet") or {}
        return AccountInfo(
            handle=snippet.get("customUrl") or channel["id"],
            credentials={**client.credentials, "channel_id": channel["id"]},
            display_name=snippet.get("title") or "",
        )


def search_result_key(result: Any) -> tuple[str, str]:
    """The video id and publication time of a search result ("" where missing)."""
    try:
        video_id = result["id"]["videoId"]
        published = valid_time(result["snippet"]["publishedAt"])
    except (KeyError, TypeError):
        return "", ""
    return (video_id if isinstance(video_id, str) else ""), published


def thread_time(thread: Any) -> str:
    try:
        return valid_time(thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"])
    except (KeyError, TypeError):
        return ""


__all__ = ["YouTubeConnector", "YouTubeOAuthConnector"]
