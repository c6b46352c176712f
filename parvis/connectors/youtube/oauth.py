"""Google sign-in (OAuth 2 authorization code with PKCE) for YouTube channels whose comments
a key alone cannot read, and the refresh of its one-hour access tokens.

The person registers a "Web application" OAuth client in the Google Cloud console (with
Parvis's callback address) and pastes its id and secret; Google then asks them to allow
read access to their YouTube account. access_type=offline and prompt=consent make Google
return a refresh token every time, so a reconnection always leaves a working one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import httpx

from parvis.connectors.base import PermanentError, RetryLater

AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_URL = "https://oauth2.googleapis.com/token"
# Reading comment threads, channels and videos, and replying to comments (comments.insert
# needs youtube.force-ssl, which includes reading). A channel connected read-only is refused
# a reply with a 403 whose message says to reconnect.
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
RECONNECT = "reconnect the YouTube account (Google sign-in)"
# Refresh a little before the hour is up rather than on a 401.
EARLY = dt.timedelta(minutes=2)


def authorization_url(client_id: str, redirect_uri: str, state: str, challenge: str) -> str:
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": SCOPE,
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


def token_request(http: httpx.Client, form: dict[str, str]) -> dict[str, Any]:
    """POST to Google's token endpoint; its errors are {"error", "error_description"}."""
    try:
        response = http.post(TOKEN_URL, data=form, headers={"Accept": "application/json"})
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching Google's token endpoint") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryLater(f"HTTP {response.status_code} from Google's token endpoint")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400 or not isinstance(body, dict) or "access_token" not in body:
        code = body.get("error", "") if isinstance(body, dict) else ""
        if code == "invalid_client":
            raise PermanentError(f"Google refused the OAuth client id or secret: {RECONNECT}")
        raise PermanentError(
            f"Google refused the sign-in ({code or response.status_code}): {RECONNECT}"
        )
    return body


def expiry(body: dict[str, Any], now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    seconds = body.get("expires_in")
    seconds = int(seconds) if isinstance(seconds, int | str) and str(seconds).isdigit() else 3600
    return (now + dt.timedelta(seconds=seconds)).isoformat()


def exchange_code(
    http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
) -> dict[str, str]:
    body = token_request(
        http,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": pending["client_id"],
            "client_secret": pending["client_secret"],
            "redirect_uri": redirect_uri,
            "code_verifier": pending.get("code_verifier", ""),
        },
    )
    if not body.get("refresh_token"):
        raise PermanentError(f"Google gave no refresh token: {RECONNECT}")
    return {
        "client_id": pending["client_id"],
        "client_secret": pending["client_secret"],
        "access_token": str(body["access_token"]),
        "refresh_token": str(body["refresh_token"]),
        "expires_at": expiry(body),
    }


def refresh(http: httpx.Client, credentials: dict[str, str]) -> dict[str, str]:
    """A new access token (and, if Google rotates it, a new refresh token)."""
    if not credentials.get("refresh_token"):
        raise PermanentError(f"no refresh token is stored: {RECONNECT}")
    body = token_request(
        http,
        {
            "grant_type": "refresh_token",
            "refresh_token": credentials["refresh_token"],
            "client_id": credentials.get("client_id", ""),
            "client_secret": credentials.get("client_secret", ""),
        },
    )
    changes = {"access_token": str(body["access_token"]), "expires_at": expiry(body)}
    if body.get("refresh_token"):
        changes["refresh_token"] = str(body["refresh_token"])
    return changes


def expired(credentials: dict[str, str], now: dt.datetime | None = None) -> bool:
    raw = credentials.get("expires_at", "")
    if not raw:
        return False
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        return True
    return (now or dt.datetime.now(dt.UTC)) >= when - EARLY
