"""Talking to the Graph API for one Facebook Page: the pinned version, the Page access token,
the error object, and the usage headers that say how long to wait.

Facts from Meta's documentation (developers.facebook.com/docs/graph-api):
- every error is {"error": {"message", "type", "code", "error_subcode", "error_user_title",
  "error_user_msg", "fbtrace_id", "is_transient"?}} (guides/error-handling);
- codes 1 and 2 (API unknown / service) are temporary; 4 (app), 17 (user), 32 (Page), 613
  (calls within one hour) and the 80001-series (Business Use Case: 80001 Pages) are
  throttling; 341 (application limit) too; 368 (blocked for policy) wait and retry; 10 and
  200-299 are a permission not granted or removed; 190 (and 102) an access token expired,
  revoked or invalid, its subcode saying why (458 app removed, 459 checkpoint, 460 password
  changed, 463 expired, 464 unconfirmed user, 467 invalid); 506 a duplicate post; 100 an
  invalid parameter (often an object gone);
- Page access tokens count against Business Use Case limits: X-Business-Use-Case-Usage is
  {"<business id>": [{"type", "call_count", "total_cputime", "total_time",
  "estimated_time_to_regain_access"}]}, the last in minutes; app and user tokens count
  against Platform limits, X-App-Usage {"call_count", "total_cputime", "total_time"} in
  percent of a rolling hour (overview/rate-limiting).

The token travels in the Authorization header, never in a URL that a log could keep, with
appsecret_proof (HMAC-SHA256 of the token keyed by the app secret) when the app secret is known.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from typing import Any

import httpx

from parvis.connectors.base import PermanentError, RetryLater

# Pinned: Meta changes fields and permissions from one version to the next, and each version
# lives about two years. Move it on purpose, with the fakes' fixtures.
GRAPH_VERSION = "v25.0"
GRAPH = f"https://graph.facebook.com/{GRAPH_VERSION}/"
WWW = "https://www.facebook.com/"
RECONNECT = "reconnect the Facebook Page (Connected accounts → Connect → Facebook)"

THROTTLED = {4, 17, 32, 341, 613}
TRANSIENT = {1, 2}
# Waits when a throttled answer carries no usable header: the Platform window is a rolling
# hour, and Meta's advice is to wait and lower the volume.
DEFAULT_WAIT = {4: 600.0, 17: 600.0, 32: 600.0, 341: 1800.0, 613: 3600.0}
BUC_WAIT = 600.0
TRANSIENT_WAIT = 60.0
POLICY_WAIT = 3600.0  # 368: blocked for a while for policy reasons
PERMISSION_CODES = {3, 10} | set(range(200, 300))
TOKEN_SUBCODES = {
    458: "the app was removed from the account that gave the token",
    459: "Facebook asks that person to log in on facebook.com to unlock the account",
    460: "the password of the person who connected the Page changed",
    463: "the token expired",
    464: "the person who connected the Page has not confirmed their account",
    467: "the token is no longer valid",
    492: "the person who connected the Page lost their role on it",
}
# Which permission each kind of call needs, to name it when Facebook says one is missing.
PERMISSION_FOR = {
    "read": "pages_read_engagement, pages_read_user_content",
    "reply": "pages_manage_engagement",
    "moderate": "pages_manage_engagement",
    "publish": "pages_manage_posts",
    "metrics": "read_insights",
    "message": "pages_messaging",
    "pages": "pages_show_list",
}


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# An object id then an edge ("123_456/comments", "m_Ab-9", "me/accounts"): what a stored or
# pushed id may be, so that no id ever reaches another endpoint ("../", "?", "#", "%2F").
GRAPH_PATH = re.compile(r"[A-Za-z0-9_:-]{1,200}(?:/[a-z_]{1,40})?")
# An object id the Page created: a post ("<page-id>_<post-id>"), a comment ("<post-id>_<id>"),
# a photo (digits). What a multiple-ids read takes.
OBJECT_ID = re.compile(r"[0-9]{1,32}(?:_[0-9]{1,32})?")
# Multiple-ids reads (GET /?ids=a,b&fields=...) take at most 50 ids: more is error 100
# "Too many IDs. Maximum: 50" for the whole request.
MAX_IDS = 50


def is_buc(code: int) -> bool:
    return 80001 <= code <= 80099


def error_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def header_json(response: httpx.Response, name: str) -> Any:
    raw = response.headers.get(name, "")
    if not raw or len(raw) > 10_000:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def buc_wait(response: httpx.Response) -> float | None:
    """The longest estimated_time_to_regain_access (minutes) in X-Business-Use-Case-Usage, in
    seconds; None when the header says nothing about it."""
    usage = header_json(response, "X-Business-Use-Case-Usage")
    if not isinstance(usage, dict):
        return None
    minutes: list[float] = []
    for entries in usage.values():
        for entry in entries if isinstance(entries, list) else []:
            value = as_dict(entry).get("estimated_time_to_regain_access")
            if finite_number(value) and 0 < float(value or 0) <= 7 * 24 * 60:
                minutes.append(float(value or 0))
    return max(minutes) * 60 if minutes else None


def usage_percent(response: httpx.Response) -> float:
    """The highest share of a limit used, 0 to 100, from X-App-Usage and
    X-Business-Use-Case-Usage (call_count, total_cputime, total_time)."""
    seen: list[float] = []

    def take(entry: Any) -> None:
        if not isinstance(entry, dict):
            return
        for key in ("call_count", "total_cputime", "total_time"):
            value = entry.get(key)
            if finite_number(value):
                seen.append(min(max(float(value or 0), 0.0), 100.0))

    take(header_json(response, "X-App-Usage"))
    buc = header_json(response, "X-Business-Use-Case-Usage")
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                take(entry)
    return max(seen, default=0.0)


def throttle_wait(response: httpx.Response, code: int) -> float:
    """How long to wait after a throttled answer: the BUC header's estimate; else, when
    X-App-Usage shows the hour's budget spent, the default for the code."""
    estimate = buc_wait(response)
    if estimate is not None:
        return estimate
    if is_buc(code):
        return BUC_WAIT
    return DEFAULT_WAIT.get(code, BUC_WAIT)


def refusal(
    response: httpx.Response,
    doing: str = "read",
    permission_for: dict[str, str] | None = None,
    reconnect: str = RECONNECT,
) -> Exception:
    """The typed error for a Graph API answer that is not a success. `permission_for` and
    `reconnect` name the permissions and the way back for another product on the Graph API
    (Instagram through the Page)."""
    status = response.status_code
    error = error_object(response)
    code = as_int(error.get("code"))
    subcode = as_int(error.get("error_subcode"))
    said = str(error.get("message") or "")[:300]
    detail = f" ({said})" if said else ""
    if code in THROTTLED or is_buc(code):
        return RetryLater(
            f"Facebook is limiting this Page's calls (code {code}){detail}",
            throttle_wait(response, code),
        )
    if code == 368:
        return RetryLater(
            f"Facebook has blocked this action for a while for policy reasons{detail}",
            POLICY_WAIT,
        )
    if code in TRANSIENT or error.get("is_transient") is True or status >= 500 or status == 429:
        return RetryLater(f"Facebook had a temporary problem (HTTP {status}){detail}", None)
    if code in (190, 102) or (status == 401 and not code):
        why = TOKEN_SUBCODES.get(subcode, "the token was refused (expired or revoked)")
        return PermanentError(f"Facebook refused the Page access token: {why}; {reconnect}")
    if code in PERMISSION_CODES:
        names = permission_for or PERMISSION_FOR
        needed = names.get(doing, names["read"])
        return PermanentError(
            f"Facebook refused: the Page was connected without a permission this needs "
            f"({needed}), or the person lost their role on the Page{detail}; {reconnect} "
            "and grant every permission asked"
        )
    if code == 506:
        return PermanentError(
            f"Facebook refuses a duplicate of the Page's previous post{detail}: change the text"
        )
    if code == 100 and subcode == 33:
        return PermanentError(
            f"Facebook no longer has this item, or the Page cannot see it{detail}"
        )
    if status == 404 or code == 803:
        return PermanentError(f"Facebook has no such item{detail}")
    return PermanentError(f"Facebook refused the request (HTTP {status}, code {code}){detail}")


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


class Gone(PermanentError):
    """The object asked for is gone (deleted comment or post; error 100 subcode 33, or 803 for
    an id Facebook does not know): not a reason to pause."""


class InvalidParameter(PermanentError):
    """Error 100 otherwise: a field or metric Facebook does not (or no longer) take."""


class Api:
    """Calls as one Page (its access token)."""

    # Overridden by the Instagram connector, which calls the same Graph API through the Page.
    permission_for: dict[str, str] = PERMISSION_FOR
    reconnect: str = RECONNECT

    def __init__(self, http: httpx.Client, token: str, app_secret: str = "") -> None:
        if not token:
            raise PermanentError(f"no Page access token is stored: {self.reconnect}")
        self.http, self.token, self.app_secret = http, token, app_secret
        self.usage = 0.0  # the highest share of a limit the last answer said was used

    def params(self, params: dict[str, Any] | None) -> dict[str, Any]:
        merged = dict(params or {})
        if self.app_secret:
            merged["appsecret_proof"] = appsecret_proof(self.token, self.app_secret)
        return merged

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        doing: str = "read",
    ) -> dict[str, Any]:
        if not GRAPH_PATH.fullmatch(path):
            raise PermanentError(f"not a Facebook object id: {path[:60]!r}")
        return self.send(method, GRAPH + path, params, data, files, doing)

    def send(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        data: dict[str, Any] | None,
        files: dict[str, Any] | None,
        doing: str,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self.http.request(
                method, url, params=self.params(params), data=data, files=files, headers=headers
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching graph.facebook.com") from exc
        self.usage = usage_percent(response)
        if response.status_code >= 400:
            error = error_object(response)
            refused = self.refusal(response, doing)
            code = as_int(error.get("code"))
            if code == 803:
                raise Gone(str(refused))
            if code == 100:
                if as_int(error.get("error_subcode")) == 33:
                    raise Gone(str(refused))
                if isinstance(refused, PermanentError):
                    raise InvalidParameter(str(refused))
            raise refused
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryLater("Facebook answered with something that is not JSON") from exc
        if not isinstance(body, dict):
            raise RetryLater("Facebook answered with an unexpected shape")
        return body

    def refusal(self, response: httpx.Response, doing: str) -> Exception:
        return refusal(response, doing, self.permission_for, self.reconnect)

    def get(self, path: str, params: dict[str, Any] | None = None, doing: str = "read") -> dict:
        return self.call("GET", path, params=params, doing=doing)

    def get_ids(
        self, ids: list[str], params: dict[str, Any] | None = None, doing: str = "read"
    ) -> dict[str, Any]:
        """A multiple-ids read: {"<id>": {the object's fields}, ...} for up to MAX_IDS ids."""
        if not ids or len(ids) > MAX_IDS or not all(OBJECT_ID.fullmatch(i) for i in ids):
            raise PermanentError("not a list of up to 50 Facebook object ids")
        return self.send("GET", GRAPH, {**(params or {}), "ids": ",".join(ids)}, None, None, doing)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        doing: str = "publish",
    ) -> dict:
        return self.call("POST", path, data=data, files=files, doing=doing)

    def delete(self, path: str, doing: str = "moderate") -> dict:
        return self.call("DELETE", path, doing=doing)


def after_cursor(body: dict[str, Any]) -> str:
    """The `after` cursor of a page that has a next one ("" on the last page): Graph API
    cursor paging answers paging.cursors.after always, and paging.next only when more follow."""
    paging = as_dict(body.get("paging"))
    if not paging.get("next"):
        return ""
    cursors = as_dict(paging.get("cursors"))
    after = cursors.get("after")
    return after if isinstance(after, str) else ""
