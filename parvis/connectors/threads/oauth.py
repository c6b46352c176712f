"""Connecting a Threads profile: Threads' own OAuth (not Facebook Login), then the
short-lived token exchanged for a long-lived one (60 days), refreshed before it dies.

From Meta's Threads documentation (get-started, long-lived-tokens):
- the browser goes to https://threads.net/oauth/authorize with client_id (the Threads app
  id), redirect_uri, scope (comma-separated), response_type=code and state;
- POST https://graph.threads.net/oauth/access_token with client_id, client_secret,
  grant_type=authorization_code, redirect_uri and code gives {"access_token", "user_id"}: a
  short-lived token (one hour);
- GET /access_token?grant_type=th_exchange_token&client_secret&access_token=<short> gives
  {"access_token", "token_type", "expires_in"}: a long-lived token (60 days);
- GET /refresh_access_token?grant_type=th_refresh_token&access_token=<long> gives a new
  long-lived token, for a token at least 24 hours old and not yet expired;
- GET /me?fields=id,username,name says who the profile is.

Stored, encrypted: the long-lived token, when it expires (`token_expires_at`, what the
expiry warning reads) and when it was last refreshed, the profile's id and username, the app
id and secret.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any
from urllib.parse import urlencode

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import AccountInfo, PermanentError, RetryLater, parse_time
from parvis.connectors.facebook.oauth import expiry
from parvis.connectors.threads.api import API, HOST, RECONNECT, refusal

AUTHORIZE = "https://threads.net/oauth/authorize"
TOKEN_URL = f"{HOST}oauth/access_token"
EXCHANGE_URL = f"{HOST}access_token"
REFRESH_URL = f"{HOST}refresh_access_token"

# What each feature needs, shown before connecting (docs/connectors.md says the same).
PERMISSIONS: tuple[tuple[str, Any], ...] = (
    ("threads_basic", _("read the profile and its posts (needed by every call)")),
    ("threads_read_replies", _("read the replies to the profile's posts")),
    ("threads_manage_replies", _("reply, and hide or unhide replies")),
    ("threads_content_publish", _("publish posts, images and carousels")),
    ("threads_manage_insights", _("read the posts' views, likes, replies, reposts and quotes")),
)
SCOPE = ",".join(name for name, _why in PERMISSIONS)
# A long-lived token is refreshed once it has this little left (it lives 60 days and may be
# refreshed once a day old): a profile used at least every few weeks never expires.
REFRESH_WHEN_LEFT = dt.timedelta(days=30)
MIN_AGE = dt.timedelta(hours=24)


SECRET_IN_QUERY = re.compile(r"((?:access_token|client_secret)=)[^&\s\"']+")


class HideSecretsInUrls(logging.Filter):
    """httpx logs every request's URL at INFO. Meta documents the token exchange and the
    refresh as GET with the app secret and the token in the query: those values are replaced
    by « … » in what is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                SECRET_IN_QUERY.sub(r"\1…", str(arg)) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


def hide_secrets_in_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, HideSecretsInUrls) for f in logger.filters):
        logger.addFilter(HideSecretsInUrls())


hide_secrets_in_logs()


def authorization_url(app_id: str, redirect_uri: str, state: str) -> str:
    query = {
        "client_id": app_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "response_type": "code",
        "state": state,
    }
    return f"{AUTHORIZE}?{urlencode(query)}"


def token_call(
    http: httpx.Client, method: str, url: str, params: dict[str, str], doing: str
) -> dict[str, Any]:
    try:
        # The exchange and the refresh are documented as GET only.
        post = method == "POST"
        response = http.post(url, data=params) if post else http.get(url, params=params)
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching graph.threads.net") from exc
    if response.status_code >= 400:
        error = refusal(response)
        if isinstance(error, RetryLater):
            raise error
        raise PermanentError(f"Threads refused {doing}: {error}")
    try:
        body = response.json()
    except ValueError as exc:
        raise RetryLater("Threads answered the sign-in with something that is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise PermanentError(f"Threads gave no access token: {RECONNECT}")
    return body


def profile(http: httpx.Client, token: str) -> dict[str, Any]:
    try:
        response = http.get(
            f"{API}me",
            params={"fields": "id,username,name"},
            headers={"Authorization": f"Bearer {token}"},
        )
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching graph.threads.net") from exc
    if response.status_code >= 400:
        raise refusal(response)
    body = response.json()
    if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
        raise PermanentError(f"Threads did not say who the profile is: {RECONNECT}")
    return body


def finish(
    http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
) -> AccountInfo:
    app_id, app_secret = pending.get("app_id", ""), pending.get("app_secret", "")
    short = token_call(
        http,
        "POST",
        TOKEN_URL,
        {
            "client_id": app_id,
            "client_secret": app_secret,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "code": code,
        },
        "the sign-in (check the app id, the app secret and the redirect URI)",
    )
    long = token_call(
        http,
        "GET",
        EXCHANGE_URL,
        {
            "grant_type": "th_exchange_token",
            "client_secret": app_secret,
            "access_token": short["access_token"],
        },
        "the long-lived token",
    )
    who = profile(http, long["access_token"])
    username = str(who.get("username") or "")[:200]
    now = dt.datetime.now(dt.UTC).isoformat()
    return AccountInfo(
        handle=username or who["id"],
        display_name=str(who.get("name") or "")[:200],
        credentials={
            "user_id": who["id"],
            "username": username,
            "access_token": long["access_token"],
            "token_expires_at": expiry(long),
            "refreshed_at": now,
            "app_id": app_id,
            "app_secret": app_secret,
            "scopes": SCOPE,
            "connected_at": now,
        },
    )


def refresh_due(credentials: dict[str, str], now: dt.datetime) -> bool:
    """Whether the long-lived token should be refreshed now: little time left, and at least a
    day old (Threads refuses younger ones). Raises PermanentError once it has expired."""
    expires = parse_time(credentials.get("token_expires_at"))
    if expires is None:
        return False  # unknown expiry (a token pasted by hand): used as is
    if expires <= now:
        raise PermanentError(f"the Threads access token expired on {expires:%Y-%m-%d}: {RECONNECT}")
    refreshed = parse_time(credentials.get("refreshed_at") or credentials.get("connected_at"))
    old_enough = refreshed is None or now - refreshed >= MIN_AGE
    return old_enough and expires - now <= REFRESH_WHEN_LEFT


def refresh(http: httpx.Client, token: str, now: dt.datetime) -> dict[str, str]:
    """A new long-lived token: the credentials that change."""
    body = token_call(
        http,
        "GET",
        REFRESH_URL,
        {"grant_type": "th_refresh_token", "access_token": token},
        "to refresh the token",
    )
    return {
        "access_token": body["access_token"],
        "token_expires_at": expiry(body, now),
        "refreshed_at": now.isoformat(),
    }
