"""Reddit's OAuth API: tokens (authorization code, refresh, script password grant), requests
with the User-Agent Reddit asks for, errors and rate-limit headers.

Reddit rules (github.com/reddit-archive/reddit/wiki/API, /wiki/OAuth2): every call to
oauth.reddit.com carries `Authorization: bearer <token>` and a descriptive User-Agent
"<platform>:<app id>:<version> (by /u/<username>)"; tokens come from
www.reddit.com/api/v1/access_token with HTTP basic auth (client id, client secret); access
tokens expire (expires_in), a `permanent` authorization gives a refresh token. Responses carry
X-Ratelimit-Used, X-Ratelimit-Remaining and X-Ratelimit-Reset (seconds until the window ends).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from parvis import __version__
from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater

API = "https://oauth.reddit.com"
WWW = "https://www.reddit.com"
TOKEN_URL = f"{WWW}/api/v1/access_token"
AUTHORIZE_URL = f"{WWW}/api/v1/authorize"
# submit: comment (replies to posts and comments); privatemessages: read and answer messages;
# modposts: remove and approve posts and comments in the subreddits the account moderates.
SCOPES = "read identity history privatemessages submit modposts"
# A token this close to its expiry is renewed before use rather than refused mid-run.
EXPIRY_MARGIN = 60


def user_agent(username: str = "") -> str:
    by = f"; by /u/{username}" if username else ""
    return f"server:parvis:{__version__} (self-hosted social listening{by})"


def authorize_url(client_id: str, redirect_uri: str, state: str) -> str:
    params = {
        "client_id": client_id,
        "response_type": "code",
        "state": state,
        "redirect_uri": redirect_uri,
        "duration": "permanent",  # a refresh token, so the account keeps working
        "scope": SCOPES,
    }
    return f"{AUTHORIZE_URL}?{urlencode(params, quote_via=quote)}"


class TokenRefused(PermanentError):
    """Reddit will not give a token with these credentials; the message says what to do."""


def request_token(
    client: httpx.Client,
    client_id: str,
    client_secret: str,
    data: dict[str, str],
    username: str = "",
) -> dict[str, Any]:
    """POST to the token endpoint; the answer's fields, or a typed error."""
    try:
        response = client.post(
            TOKEN_URL,
            data=data,
            auth=(client_id, client_secret),
            headers={"User-Agent": user_agent(username)},
        )
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching www.reddit.com") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryLater(
            f"HTTP {response.status_code} from www.reddit.com", reset_seconds(response)
        )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 401:
        raise TokenRefused(
            "Reddit refused the app's client id and secret (HTTP 401): check them at "
            "https://www.reddit.com/prefs/apps and connect the account again"
        )
    # Reddit answers some refusals with 200 and {"error": "invalid_grant"}.
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code >= 400 or error or not isinstance(body, dict):
        raise TokenRefused(
            token_refusal(data.get("grant_type", ""), str(error or response.status_code))
        )
    if not body.get("access_token"):
        raise RetryLater("Reddit's token endpoint answered without an access token")
    return body


def token_refusal(grant: str, error: str) -> str:
    if grant == "refresh_token":
        return (
            f"Reddit refused to renew the access ({error}): the authorization was revoked or "
            "the app was deleted; connect the Reddit account again, then resume the source"
        )
    if grant == "password":
        return (
            f"Reddit refused the script app's sign-in ({error}): check the username and "
            "password (accounts with two-factor authentication cannot use a script app) and "
            "that the account is a developer of the app"
        )
    return f"Reddit refused the authorization ({error}): start the connection again"


def token_fields(body: dict[str, Any], now: float | None = None) -> dict[str, str]:
    """What to store from a token answer: the access token, its expiry, a (new) refresh token."""
    now = time.time() if now is None else now
    fields = {
        "access_token": str(body["access_token"]),
        "expires_at": str(int(now + float(body.get("expires_in", 3600)))),
    }
    if body.get("refresh_token"):
        fields["refresh_token"] = str(body["refresh_token"])
    return fields


def reset_seconds(response: httpx.Response) -> float | None:
    """Seconds until the rate-limit window ends (X-Ratelimit-Reset), else Retry-After."""
    value = response.headers.get("X-Ratelimit-Reset", "").strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        return http.retry_after(response)


@dataclass
class RateLimit:
    """The last rate-limit headers seen."""

    remaining: float | None = None
    used: int | None = None
    reset: float | None = None

    def update(self, response: httpx.Response) -> None:
        headers = response.headers
        if "X-Ratelimit-Remaining" not in headers:
            return
        try:
            self.remaining = float(headers["X-Ratelimit-Remaining"])
            self.used = int(float(headers.get("X-Ratelimit-Used", "0")))
            self.reset = float(headers.get("X-Ratelimit-Reset", "0"))
        except ValueError:
            return

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining < 1


def reason(response: httpx.Response) -> str:
    """Reddit's error bodies: {"message": "Forbidden", "error": 403, "reason": "private"}."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return str(body.get("reason") or body.get("message") or "")[:100]


def check(response: httpx.Response, path: str) -> httpx.Response:
    """A usable API response, or the typed error with what the person should do."""
    status = response.status_code
    if 300 <= status < 400:
        # Reddit sends a subreddit that does not exist to its subreddit search.
        if path.startswith("/r/"):
            raise PermanentError(
                f"Reddit redirects {path} to a search (HTTP {status}): the subreddit does not "
                "exist or was renamed; fix the source's subreddits"
            )
        raise RetryLater(f"Reddit redirected {path} (HTTP {status})")
    if status < 400:
        return response
    if status == 429 or status >= 500:
        raise RetryLater(f"HTTP {status} from oauth.reddit.com", reset_seconds(response))
    why = reason(response)
    if status == 401:
        raise PermanentError(
            "Reddit refused the access token even after renewing it (HTTP 401): connect the "
            "Reddit account again, then resume the source"
        )
    if status == 403:
        detail = f" ({why})" if why else ""
        raise PermanentError(
            f"Reddit forbids {path}{detail} (HTTP 403): the subreddit may be private or "
            "quarantined, or the account suspended or connected without the read, history and "
            "privatemessages permissions; check it, connect the account again, resume the source"
        )
    if status == 404:
        raise PermanentError(
            f"Reddit has no {path} (HTTP 404{', ' + why if why else ''}): the subreddit does not "
            "exist or was banned; fix the source's subreddits"
        )
    http.check(response)
    return response


def get_json(
    client: httpx.Client, path: str, token: str, params: dict[str, Any], username: str = ""
) -> httpx.Response:
    """One GET to the OAuth API (the response is returned unchecked: 401 means renew)."""
    try:
        return client.get(
            f"{API}{path}",
            params=params,
            headers={"Authorization": f"bearer {token}", "User-Agent": user_agent(username)},
            # A redirect leaves the API (a missing subreddit goes to a search page) and would
            # carry the bearer token along: it is an answer, not a way.
            follow_redirects=False,
        )
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching oauth.reddit.com") from exc


def post_form(
    client: httpx.Client, path: str, token: str, data: dict[str, Any], username: str = ""
) -> httpx.Response:
    """One POST to the OAuth API, form-encoded (the response is returned unchecked)."""
    try:
        return client.post(
            f"{API}{path}",
            data=data,
            headers={"Authorization": f"bearer {token}", "User-Agent": user_agent(username)},
            follow_redirects=False,
        )
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching oauth.reddit.com") from exc


def me(client: httpx.Client, token: str) -> str:
    """The username the token belongs to (GET /api/v1/me, scope identity)."""
    response = check(get_json(client, "/api/v1/me", token, {"raw_json": 1}), "/api/v1/me")
    try:
        name = response.json().get("name")
    except (ValueError, AttributeError):
        name = None
    if not name:
        raise RetryLater("Reddit's /api/v1/me answered without a username")
    return str(name)
