"""Reddit through its OAuth API (oauth.reddit.com), read with a connected account.

Modes:
- search: each search term of the workspace (FetchContext.search_terms), GET /search
  sort=new type=link: posts, newest first;
- subreddit: GET /r/{a+b}/new (posts) and /r/{a+b}/comments (comments) of chosen subreddits;
- inbox: GET /message/inbox, the account's own activity (comment and post replies, username
  mentions, private messages), all kept (keep_all).

Each listing ("stream") is read newest first and paged older with `after`. Its cursor is a
high-water mark in seconds (`since`) and, while paging, an open window: the `after` fullname
to resume from and the newest time read (`top`). The mark moves when the window is complete
(the listing ends or reaches items older than the mark), with the window's last page, so a
crash re-reads and never loses. Reddit's search index lags minutes behind, so each window reads
OVERLAP seconds below the mark; repeats are dropped by fullname in the pipeline.

Rate limits: after each response the X-Ratelimit-* headers are read; when Remaining is below
one, paging stops, what was read is returned, and the source waits for X-Ratelimit-Reset
before the next request. 429 raises RetryLater with the reset.

Accounts: a "web app" registered at https://www.reddit.com/prefs/apps (redirect URI: Parvis's
OAuth callback) connects through the authorization-code flow (oauth_start / oauth_finish);
access tokens are renewed with the refresh token when expired or refused (401). A "script"
app (single-user install) connects with `login` (client id, secret, username, password) and
renews with the password grant.

Replies (the inbox): parvis.connectors.reddit.replies (POST /api/comment).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import time
from dataclasses import dataclass, field
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
    ModerationAction,
    ModerationContext,
    ModerationResult,
    PermanentError,
    ReplyContext,
    ReplyTarget,
    RetryLater,
    SentReply,
    SettingField,
    not_allowed,
    register,
)
from parvis.connectors.options import parse_since, plausible_seconds, start_time
from parvis.connectors.reddit import api
from parvis.connectors.reddit import moderation as moderating
from parvis.connectors.reddit import replies as replying
from parvis.connectors.reddit.mapping import incoming

LIMIT = 100  # the most a listing gives per request
OVERLAP = 300  # seconds re-read below the mark: Reddit's search index lag
BACKFILL = dt.timedelta(days=1)  # how far back a new stream starts without a `since` setting
MAX_SUBREDDITS = 25
SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
MODES = ("search", "subreddit", "inbox")


@dataclass(frozen=True)
class Stream:
    """One listing read newest first: its key in the cursor, its path and parameters."""

    key: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)


def parse_subreddits(value: Any) -> list[str]:
    """ "r/france, bougies" or ["france", "/r/bougies"] → ["france", "bougies"]."""
    parts = value if isinstance(value, list) else re.split(r"[\s,+]+", str(value or ""))
    names: list[str] = []
    for part in parts:
        name = re.sub(r"^/?r/", "", str(part).strip(), flags=re.IGNORECASE).strip("/")
        if not name:
            continue
        if not SUBREDDIT.match(name):
            raise ValueError(
                _("“%(name)s” is not a subreddit name (letters, digits and _, 2 to 21).")
                % {"name": name[:40]}
            )
        if name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return names


def replies(child: Any) -> list[Any]:
    """A private message's answers, nested in its `replies` listing ("" when none)."""
    data = child.get("data") if isinstance(child, dict) else None
    nested = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(nested, dict) or not isinstance(nested.get("data"), dict):
        return []
    children = nested["data"].get("children")
    return [c for c in children if isinstance(c, dict)] if isinstance(children, list) else []


def created_utc(thing: Any) -> float | None:
    """The thing's time for the listing's window and mark; None for a forged one (Infinity,
    year 9999), which the pipeline quarantines and which must not move the mark."""
    data = thing.get("data") if isinstance(thing, dict) else None
    value = plausible_seconds(data.get("created_utc") if isinstance(data, dict) else None)
    return None if value is None else float(value)


@register
class RedditConnector(Connector):
    kind = "reddit"
    label = _("Reddit")
    network = "reddit"
    capabilities = frozenset(
        {Capability.LISTEN, Capability.OWN_ACTIVITY, Capability.REPLY, Capability.MODERATE}
    )
    # /api/remove and /api/approve, in the subreddits the account moderates.
    moderation_actions = frozenset({ModerationAction.HIDE, ModerationAction.RESTORE})
    keep_unmatched = False
    auth = Auth.OAUTH2
    needs_account = True  # oauth.reddit.com answers only with a token
    settings_fields = (
        SettingField(
            "mode",
            _("What to read"),
            kind="choice",
            required=True,
            choices=(
                ("search", _("Search Reddit for the monitored queries")),
                ("subreddit", _("New posts and comments of subreddits")),
                ("inbox", _("The account's inbox: replies, mentions, messages")),
            ),
            default="search",
        ),
        SettingField(
            "subreddits",
            _("Subreddits"),
            help_text=_("For the subreddit mode: names separated by commas, e.g. france, bougies."),
        ),
        SettingField(
            "since",
            _("Read from"),
            help_text=_("Date of the oldest items to read the first time (default: the last day)."),
        ),
        SettingField(
            "keep_all",
            _("Keep everything"),
            help_text=_("Keep items that match no monitored query (always on for the inbox)."),
            kind="bool",
            default=False,
        ),
    )

    def __init__(self, source: Any, http: httpx.Client | None = None) -> None:
        super().__init__(source, http)
        self.finished: set[str] = set()  # streams whose window completed during this run
        self.rate = api.RateLimit()
        self._credentials: dict[str, str] | None = None

    # --- settings --------------------------------------------------------------------

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        mode = str(config.get("mode") or "search")
        if mode not in MODES:
            raise ValueError(_("“What to read” must be one of: search, subreddit, inbox."))
        cleaned: dict[str, Any] = {"mode": mode, "keep_all": bool(config.get("keep_all", False))}
        if mode == "subreddit":
            subreddits = parse_subreddits(config.get("subreddits"))
            if not subreddits:
                raise ValueError(_("Name at least one subreddit to read."))
            if len(subreddits) > MAX_SUBREDDITS:
                raise ValueError(_("At most %(n)d subreddits per source.") % {"n": MAX_SUBREDDITS})
            cleaned["subreddits"] = subreddits
        if mode == "inbox":
            cleaned["keep_all"] = True  # everything on our own account matters
        if parse_since(config.get("since")) is not None:
            cleaned["since"] = str(config["since"]).strip()
        return cleaned

    def streams(self, context: FetchContext) -> list[Stream]:
        config = self.source.config
        mode = config.get("mode", "search")
        if mode == "inbox":
            # mark=false: reading through Parvis must not mark the messages read on Reddit.
            return [Stream("inbox", "/message/inbox", {"mark": "false"})]
        if mode == "subreddit":
            path = "/r/" + "+".join(config["subreddits"])
            return [Stream("posts", f"{path}/new"), Stream("comments", f"{path}/comments")]
        return [
            Stream(f"search:{term}", "/search", {"q": term, "sort": "new", "type": "link"})
            for term in context.search_terms()
        ]

    # --- tokens ----------------------------------------------------------------------

    @property
    def creds(self) -> dict[str, str]:
        if self._credentials is None:
            self._credentials = dict(self.credentials())
            if not (self._credentials.get("client_id") and self._credentials.get("client_secret")):
                raise PermanentError(
                    "the Reddit account has no client id and secret: connect it again"
                )
        return self._credentials

    @property
    def username(self) -> str:
        account = self.account
        handle = account.handle if account is not None else ""
        return handle.removeprefix("u/").removeprefix("/u/")

    def access_token(self, *, renew: bool = False) -> str:
        creds = self.creds
        token = creds.get("access_token", "")
        fresh = float(creds.get("expires_at") or 0) > time.time() + api.EXPIRY_MARGIN
        if token and fresh and not renew:
            return token
        if creds.get("refresh_token"):
            grant = {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]}
        elif creds.get("username") and creds.get("password"):
            grant = {
                "grant_type": "password",
                "username": creds["username"],
                "password": creds["password"],
            }
        else:
            raise PermanentError(
                "the Reddit account has no refresh token nor script sign-in: connect it again"
            )
        body = api.request_token(
            self.http, creds["client_id"], creds["client_secret"], grant, self.username
        )
        changes = api.token_fields(body)
        self.save_credentials(changes)
        creds.update(changes)
        return changes["access_token"]

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET a listing; a refused token is renewed once, then the refusal is permanent."""
        response = api.get_json(self.http, path, self.access_token(), params, self.username)
        if response.status_code == 401:
            token = self.access_token(renew=True)
            response = api.get_json(self.http, path, token, params, self.username)
        self.rate.update(response)
        api.check(response, path)
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryLater(f"Reddit answered {path} with something that is not JSON") from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("children"), list):
            raise RetryLater(f"Reddit answered {path} without a listing")
        return data

    # --- fetching --------------------------------------------------------------------

    def start(self) -> int:
        return start_time(self.source.config, BACKFILL)

    def next_stream(self, streams: list[Stream], states: dict[str, Any]) -> Stream | None:
        """Open windows first, then the streams read longest ago."""
        pending = [s for s in streams if s.key not in self.finished]
        if not pending:
            return None
        order = {s.key: i for i, s in enumerate(streams)}
        return min(
            pending,
            key=lambda s: (
                "window" not in states.get(s.key, {}),
                states.get(s.key, {}).get("done_at", 0),
                order[s.key],
            ),
        )

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        streams = self.streams(context)
        keys = {s.key for s in streams}
        states = {k: v for k, v in copy.deepcopy(cursor.get("streams", {})).items() if k in keys}
        resume_at = float(cursor.get("resume_at") or 0)
        if resume_at > time.time():
            # The rate-limit window is spent: no request before it resets.
            kept = {"streams": states, "resume_at": resume_at}
            return FetchResult(items=[], cursor=kept, notes={"rate_limited_until": resume_at})
        stream = self.next_stream(streams, states)
        if stream is None:
            return FetchResult(items=[], cursor={"streams": states})
        state = states.setdefault(stream.key, {"since": self.start()})
        items = self.read_page(stream, state)
        new_cursor: dict[str, Any] = {"streams": states}
        if self.rate.exhausted:
            new_cursor["resume_at"] = time.time() + (self.rate.reset or 60.0)
            return FetchResult(items=items, cursor=new_cursor, notes={"rate_limited": True})
        more = "window" in state or self.next_stream(streams, states) is not None
        return FetchResult(items=items, cursor=new_cursor, more=more)

    def read_page(self, stream: Stream, state: dict[str, Any]) -> list[Incoming]:
        """One listing page of the stream; moves its window (or closes it) in `state`."""
        window = state.setdefault("window", {})
        params = {**stream.params, "limit": LIMIT, "raw_json": 1}
        if window.get("after"):
            params["after"] = window["after"]
        listing = self.get(stream.path, params)
        lower = int(state["since"]) - OVERLAP
        items: list[Incoming] = []
        crossed = False
        for child in listing["children"]:
            # A private message comes with its answers; the thread is as new as its newest.
            family = [child, *replies(child)]
            times = [created_utc(thing) for thing in family]
            known = [t for t in times if t is not None]
            if known and max(known) < lower:
                crossed = True  # newest first: the rest was read by an earlier window
                continue
            for thing, created in zip(family, times, strict=True):
                if created is not None and created < lower:
                    continue
                if created is not None:
                    window["top"] = max(float(window.get("top", 0)), created)
                item = incoming(thing)
                if item is not None:
                    items.append(item)
        after = listing.get("after")
        if crossed or not after or not listing["children"]:
            self.close_window(stream.key, state)
        else:
            window["after"] = str(after)
        return items

    def close_window(self, key: str, state: dict[str, Any]) -> None:
        window = state.pop("window", {})
        state["since"] = max(int(state["since"]), int(window.get("top", 0)))
        state["done_at"] = int(time.time())
        self.finished.add(key)

    # --- replying (the inbox) --------------------------------------------------------

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return config.get("mode") == "inbox"

    @classmethod
    def is_private(cls, raw: dict[str, Any]) -> bool:
        return replying.is_message(raw)

    def post(self, path: str, data: dict[str, Any]) -> Any:
        """POST a form; a refused token is renewed once. Reddit's own refusals come in the
        body (replying.answered)."""
        response = api.post_form(self.http, path, self.access_token(), data, self.username)
        if response.status_code == 401:
            token = self.access_token(renew=True)
            response = api.post_form(self.http, path, token, data, self.username)
        self.rate.update(response)
        if response.status_code == 403:
            raise PermanentError(
                f"Reddit forbids {path} (HTTP 403 {api.reason(response)}): the account may "
                "be suspended or banned there, or connected without the submit permission; "
                "connect the Reddit account again"
            )
        if response.status_code == 404:
            raise PermanentError(
                "Reddit has no such post, comment or message (HTTP 404): it was deleted"
            )
        api.check(response, path)
        try:
            return response.json()
        except ValueError as exc:
            raise RetryLater(f"Reddit answered {path} with something that is not JSON") from exc

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        self.reply_account()
        form = {
            "thing_id": replying.thing_id(target),
            "text": text,
            "api_type": "json",
            "raw_json": 1,
        }
        return replying.answered(self.post("/api/comment", form))

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        self.reply_account()
        parent = replying.thing_id(target)
        username = self.username or api.me(self.http, self.access_token())
        # A message's answer is among the sent messages; a comment's among the comments.
        path = "/message/sent" if parent.startswith("t4_") else f"/user/{username}/comments"
        params: dict[str, Any] = {"sort": "new", "limit": 100, "raw_json": 1}
        for _page in range(replying.PAGES):
            listing = self.get(path, params)
            for child in listing["children"]:
                if replying.matches(child, parent, text, since):
                    return replying.sent_from(child)
            times = [t for c in listing["children"] if (t := created_utc(c)) is not None]
            after = listing.get("after")
            older = bool(times) and min(times) < (since - CLOCK_SKEW).timestamp()
            if older or not after:
                return None
            params["after"] = str(after)
        return None

    # --- moderating ------------------------------------------------------------------

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        self.moderation_account()
        url = moderating.item_url(target)
        if action == ModerationAction.DELETE:
            return not_allowed(
                action,
                "Reddit lets only its author delete a post or comment; a moderator removes it "
                "(hide) instead",
                url,
            )
        name = moderating.fullname(target)
        if name is None:
            return not_allowed(
                action,
                "only posts and comments can be removed on Reddit (a private message cannot): "
                "block its author or report it on Reddit",
                url,
            )
        path = moderating.PATHS[action]
        data = moderating.form(action, name)
        response = api.post_form(self.http, path, self.access_token(), data, self.username)
        if response.status_code == 401:
            token = self.access_token(renew=True)
            response = api.post_form(self.http, path, token, data, self.username)
        self.rate.update(response)
        if response.status_code == 403:
            return moderating.answered(response, action, target)
        if response.status_code == 404:
            return ModerationResult(
                str(action),
                done=action == ModerationAction.HIDE,
                message="Reddit no longer has this post or comment (deleted)",
                url=url,
            )
        api.check(response, path)
        return moderating.done(action, target)

    # --- connecting an account -------------------------------------------------------

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (
            SettingField(
                "client_id",
                _("Client ID"),
                help_text=_(
                    "Create a “web app” at https://www.reddit.com/prefs/apps with Parvis's "
                    "redirect address; its ID is under the app's name."
                ),
                required=True,
            ),
            SettingField("client_secret", _("Client secret"), kind="password", required=True),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        client_id = (fields.get("client_id") or "").strip()
        client_secret = (fields.get("client_secret") or "").strip()
        if not client_id or not client_secret:
            raise PermanentError(
                "give the client ID and secret of the web app registered at "
                "https://www.reddit.com/prefs/apps"
            )
        pending = {"client_id": client_id, "client_secret": client_secret}
        return api.authorize_url(client_id, redirect_uri, state), pending

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        client_id, client_secret = pending["client_id"], pending["client_secret"]
        grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        body = api.request_token(http, client_id, client_secret, grant)
        tokens = api.token_fields(body)
        if "refresh_token" not in tokens:
            raise PermanentError(
                "Reddit gave no refresh token (the authorization was not permanent): "
                "start the connection again"
            )
        name = api.me(http, tokens["access_token"])
        credentials = {"client_id": client_id, "client_secret": client_secret, **tokens}
        return AccountInfo(handle=f"u/{name}", credentials=credentials, display_name=name)

    @classmethod
    def login(cls, http: httpx.Client, fields: dict[str, str]) -> AccountInfo:
        """A "script" app of a single-user install: the password grant, no browser round trip.
        Reddit gives such apps no refresh token; the password renews the access token."""
        needed = ("client_id", "client_secret", "username", "password")
        values = {k: (fields.get(k) or "").strip() for k in needed}
        if not all(values.values()):
            raise PermanentError(
                "a Reddit script app needs its client ID and secret, and the username and "
                "password of an account listed as the app's developer"
            )
        grant = {
            "grant_type": "password",
            "username": values["username"],
            "password": values["password"],
        }
        body = api.request_token(
            http, values["client_id"], values["client_secret"], grant, values["username"]
        )
        tokens = api.token_fields(body)
        name = api.me(http, tokens["access_token"])
        return AccountInfo(handle=f"u/{name}", credentials={**values, **tokens}, display_name=name)
