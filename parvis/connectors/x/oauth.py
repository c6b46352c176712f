"""Connecting an X account: OAuth 2.0 Authorization Code with PKCE (user context), and the
refresh of its two-hour access tokens, whose refresh tokens rotate.

From X's documentation (docs.x.com/resources/fundamentals/authentication/oauth-2-0/
authorization-code and user-access-token):
- the browser goes to https://x.com/i/oauth2/authorize with response_type=code, client_id,
  redirect_uri, scope, state, code_challenge and code_challenge_method=S256;
- POST https://api.x.com/2/oauth2/token (form) with grant_type=authorization_code, code,
  redirect_uri, code_verifier, and client_id in the body (a public client) or HTTP Basic with
  the client id and secret (a confidential client) gives {"token_type", "expires_in",
  "access_token", "scope", "refresh_token"} (offline.access gives the refresh token);
- grant_type=refresh_token with the refresh token gives a new pair: the refresh token used is
  then dead. Two workers refreshing with the same one would leave one of them holding a dead
  token, so a refresh is claimed first (a lease in the stored credentials, written under the
  account row's lock), then done, then stored; the others meanwhile wait for it.
- errors are {"error", "error_description"} (invalid_request for a dead or used token).
The PKCE verifier waits server-side, in the flow's encrypted pending data, never in the URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import AccountInfo, PermanentError, RetryLater
from parvis.connectors.x.api import RECONNECT, Api, as_dict, is_id, text

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_URL = "https://api.x.com/2/oauth2/token"
# What each scope is for, shown before connecting.
SCOPES: tuple[tuple[str, Any], ...] = (
    ("tweet.read", _("read posts: mentions, searches, your own posts and their counts")),
    ("users.read", _("know which account is connected, and the authors of mentions")),
    ("tweet.write", _("publish, reply and delete your posts")),
    ("tweet.moderate.write", _("hide replies to your posts")),
    ("media.write", _("upload the images of a post")),
    ("offline.access", _("stay connected: a refresh token renews the two-hour access token")),
)
SCOPE = " ".join(name for name, _why in SCOPES)
# Refresh a little before the two hours are up rather than on a 401.
EARLY = dt.timedelta(minutes=2)
# How long a worker may take to refresh before another one may try.
LEASE = dt.timedelta(seconds=60)

FREE, BASIC, PRO, ENTERPRISE = "free", "basic", "pro", "enterprise"
TIERS: tuple[tuple[str, Any], ...] = (
    (FREE, _("Free: publish and delete only (no reading: no mentions, no search, no counts)")),
    (BASIC, _("Basic: mentions, replies, recent search (7 days), hiding replies, counts")),
    (PRO, _("Pro: as Basic, with higher monthly caps")),
    (ENTERPRISE, _("Enterprise: as Pro, with the caps of your contract")),
)
TIER_RANK = {FREE: 0, BASIC: 1, PRO: 2, ENTERPRISE: 3}


def tier_label(tier: str) -> str:
    return {FREE: "Free", BASIC: "Basic", PRO: "Pro", ENTERPRISE: "Enterprise"}.get(tier, "?")


def pkce_pair() -> tuple[str, str]:
    """A code verifier (43+ characters of the unreserved set) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(client_id: str, redirect_uri: str, state: str, challenge: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


def token_request(
    http: httpx.Client, form: dict[str, str], client_id: str, client_secret: str
) -> dict[str, Any]:
    try:
        if client_secret:  # a confidential client
            auth = httpx.BasicAuth(client_id, client_secret)
            response = http.post(TOKEN_URL, data=form, auth=auth)
        else:
            response = http.post(TOKEN_URL, data={**form, "client_id": client_id})
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching X's token endpoint") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryLater(f"HTTP {response.status_code} from X's token endpoint")
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = as_dict(body)
    if response.status_code >= 400 or not isinstance(body.get("access_token"), str):
        code = text(body.get("error"), 60) or str(response.status_code)
        said = text(body.get("error_description"))
        if code in {"invalid_client", "unauthorized_client"}:
            raise PermanentError(f"X refused the app's client id or secret ({said}): {RECONNECT}")
        raise PermanentError(f"X refused the sign-in ({code}: {said}): {RECONNECT}")
    return body


def expiry(body: dict[str, Any], now: dt.datetime) -> str:
    seconds = body.get("expires_in")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds < 10**7:
        seconds = 7200
    return (now + dt.timedelta(seconds=seconds)).isoformat()


def finish(
    http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
) -> AccountInfo:
    """Exchange the code, then ask X who the account is."""
    now = dt.datetime.now(dt.UTC)
    body = token_request(
        http,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.get("code_verifier", ""),
        },
        pending["client_id"],
        pending.get("client_secret", ""),
    )
    if not isinstance(body.get("refresh_token"), str):
        raise PermanentError(f"X gave no refresh token (offline.access refused): {RECONNECT}")
    me = as_dict(Api(http, body["access_token"]).get("users/me", {}, needs="Free").get("data"))
    if not is_id(me.get("id")) or not isinstance(me.get("username"), str):
        raise PermanentError("X did not say which account is connected")
    username = text(me["username"], 50)
    return AccountInfo(
        handle=f"@{username}",
        display_name=text(me.get("name"), 200) or username,
        credentials={
            "client_id": pending["client_id"],
            "client_secret": pending.get("client_secret", ""),
            "access_token": body["access_token"],
            "refresh_token": body["refresh_token"],
            "expires_at": expiry(body, now),
            "scope": text(body.get("scope"), 500),
            "user_id": me["id"],
            "username": username,
            "tier": pending.get("tier", BASIC),
        },
    )


def moment(raw: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def expired(credentials: dict[str, str], now: dt.datetime) -> bool:
    if not credentials.get("expires_at"):
        return False
    when = moment(credentials["expires_at"])
    return when is None or now >= when - EARLY


def access_token(account: Any, http: httpx.Client, now: dt.datetime | None = None) -> str:
    """A live access token for the account, refreshed if it is (nearly) expired: claimed,
    refreshed, stored, so that a rotated refresh token is never lost to a second worker."""
    now = now or dt.datetime.now(dt.UTC)
    credentials = account.credentials()
    if not expired(credentials, now):
        return credentials.get("access_token", "")
    claimed = claim(account, now)
    if claimed is None:  # refreshed meanwhile by another worker
        return account.credentials().get("access_token", "")
    try:
        body = token_request(
            http,
            {"grant_type": "refresh_token", "refresh_token": claimed.get("refresh_token", "")},
            claimed.get("client_id", ""),
            claimed.get("client_secret", ""),
        )
    except PermanentError:
        release(account)
        # The refresh token is dead: the sign-in ended now (the accounts page and the bell
        # say so, listening/expiry.py).
        from parvis.connectors.services import do_mark_sign_in_dead

        do_mark_sign_in_dead(account, now)
        raise
    except BaseException:
        release(account)
        raise
    changes = {"access_token": body["access_token"], "expires_at": expiry(body, now)}
    if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
        changes["refresh_token"] = body["refresh_token"]
    store(account, changes)
    return changes["access_token"]


def locked(account: Any) -> Any:
    from parvis.connectors.models import ConnectedAccount

    return ConnectedAccount.objects.select_for_update().get(pk=account.pk)


def write(account: Any, row: Any, credentials: dict[str, str]) -> None:
    from parvis.connectors.services import set_credentials

    set_credentials(row, credentials)
    # Not token_expires_at: X's tokens renew forever, and a refusal marked by
    # do_mark_sign_in_dead must outlive the lease's release.
    row.save(update_fields=["credentials_encrypted", "credential_names", "credentials_updated_at"])
    # The caller's copy reads what is stored from now on.
    account.credentials_encrypted = row.credentials_encrypted
    account.credential_names = row.credential_names


def claim(account: Any, now: dt.datetime) -> dict[str, str] | None:
    """Under the account row's lock: None if the stored token is live again (another worker
    refreshed), RetryLater while another worker's refresh is under way, else the stored
    credentials, with this worker's lease written."""
    with transaction.atomic():
        row = locked(account)
        current = row.credentials()
        if not expired(current, now):
            account.credentials_encrypted = row.credentials_encrypted
            return None
        until = moment(current.get("refreshing_until", ""))
        if until is not None and until > now:
            raise RetryLater(
                "another worker is renewing the X access token", (until - now).total_seconds()
            )
        write(account, row, {**current, "refreshing_until": (now + LEASE).isoformat()})
        return current


def release(account: Any) -> None:
    with transaction.atomic():
        row = locked(account)
        current = row.credentials()
        current.pop("refreshing_until", None)
        write(account, row, current)


def store(account: Any, changes: dict[str, str]) -> None:
    with transaction.atomic():
        row = locked(account)
        current = {**row.credentials(), **changes}
        current.pop("refreshing_until", None)
        write(account, row, current)
