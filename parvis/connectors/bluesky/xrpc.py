"""XRPC over HTTP (AT Protocol): queries (GET) and procedures (POST) against a service, the
errors they answer mapped to the connector's typed errors, and the app-password session.

An XRPC error is a JSON body {"error": "Name", "message": "..."}; a rate limit is a 429 with
`ratelimit-reset` (Unix seconds). An expired access token is a 400 "ExpiredToken": the
session is refreshed (refreshSession), and when the refresh token is gone too, created again
from the app password (createSession is rate-limited, so tokens are kept between runs).
Tokens and passwords never appear in messages or logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater

logger = logging.getLogger(__name__)

# Errors that mean the account itself cannot be used any more: only a person can fix them.
ACCOUNT_ERRORS = {
    "AuthenticationRequired": "Bluesky refused the credentials",
    "InvalidToken": "Bluesky refused the session",
    "AccountTakedown": "the Bluesky account was taken down",
    "AccountDeactivated": "the Bluesky account is deactivated",
    "AuthFactorTokenRequired": "the Bluesky account asks for a sign-in code (2FA)",
}
RECONNECT = "reconnect the account with a new app password (Bluesky: Settings → App passwords)"
SESSION_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired"}
MAX_MESSAGE = 300


class BadRequest(PermanentError):
    """The service refused this request's parameters (400 InvalidRequest and the like)."""


class SessionRefused(PermanentError):
    """The access (or refresh) token is expired or refused: refresh or log in again."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def error_body(response: httpx.Response) -> tuple[str, str]:
    """The XRPC error name and message, when the body is the documented JSON object."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    name, message = body.get("error"), body.get("message")
    return (
        name if isinstance(name, str) else "",
        message[:MAX_MESSAGE] if isinstance(message, str) else "",
    )


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait: `ratelimit-reset` (Unix time of the window's reset), else Retry-After."""
    reset = response.headers.get("ratelimit-reset", "").strip()
    if reset.isdigit():
        now = time.time() if now is None else now
        return max(0.0, float(reset) - now)
    return http.retry_after(response)


def check(response: httpx.Response, nsid: str) -> httpx.Response:
    """A usable response, or the typed error for the scheduler (see the module docstring)."""
    status = response.status_code
    if status < 400:
        return response
    host = response.url.host
    name, message = error_body(response)
    detail = f"{name}: {message}" if name and message else name or message
    if status == 429 or status >= 500:
        raise RetryLater(
            f"HTTP {status} from {host} on {nsid}" + (f" ({detail})" if detail else ""),
            retry_after(response),
        )
    if name in SESSION_ERRORS or (status == 401 and name not in ACCOUNT_ERRORS):
        raise SessionRefused(
            f"{ACCOUNT_ERRORS.get(name, 'the session expired')}: {RECONNECT}", name
        )
    if name in ACCOUNT_ERRORS:
        raise PermanentError(f"{ACCOUNT_ERRORS[name]} ({host}): {RECONNECT}")
    if status == 403:
        raise PermanentError(
            f"HTTP 403 from {host} on {nsid}"
            + (f" ({detail})" if detail else "")
            + ": this call needs a connected Bluesky account with access to it"
        )
    error = BadRequest if status == 400 else PermanentError
    raise error(f"HTTP {status} from {host} on {nsid}" + (f": {detail}" if detail else ": refused"))


def base_url(url: str) -> str:
    """A service address without a trailing slash; http(s) only."""
    url = url.strip().rstrip("/")
    if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
        raise ValueError(f"not an http(s) address: {url[:100]!r}")
    return url


@dataclass
class Client:
    """Calls one XRPC service; `token` and `proxy` (atproto-proxy header) are optional."""

    http: httpx.Client
    base: str
    token: str = ""
    proxy: str = ""

    def headers(self, nsid: str, token: str | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        token = self.token if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Only app.bsky.* calls are served by the AppView behind the PDS.
        if self.proxy and nsid.startswith("app.bsky."):
            headers["atproto-proxy"] = self.proxy
        return headers

    def url(self, nsid: str) -> str:
        return f"{self.base}/xrpc/{nsid}"

    def query(self, nsid: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "", [])}
        return self.send("GET", nsid, params=clean)

    def procedure(
        self, nsid: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        return self.send("POST", nsid, json=body, token=token)

    def upload(self, nsid: str, data: bytes, mime_type: str) -> dict[str, Any]:
        """A procedure whose input is raw bytes (com.atproto.repo.uploadBlob)."""
        return self.send("POST", nsid, content=data, content_type=mime_type)

    def send(
        self,
        method: str,
        nsid: str,
        token: str | None = None,
        content_type: str = "",
        **kwargs: Any,
    ) -> dict:
        headers = self.headers(nsid, token)
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self.http.request(method, self.url(nsid), headers=headers, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            host = urlsplit(self.base).hostname
            raise RetryLater(f"{type(exc).__name__} reaching {host} ({nsid})") from exc
        check(response, nsid)
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryLater(f"{nsid} answered something that is not JSON") from exc
        if not isinstance(body, dict):
            raise RetryLater(f"{nsid} answered JSON that is not an object")
        return body


# --- sessions ---------------------------------------------------------------------------


def session_credentials(session: dict[str, Any]) -> dict[str, str]:
    """What a createSession / refreshSession answer gives us to keep (encrypted)."""
    kept = {
        "access_jwt": session.get("accessJwt", ""),
        "refresh_jwt": session.get("refreshJwt", ""),
        "did": session.get("did", ""),
    }
    return {k: v for k, v in kept.items() if isinstance(v, str) and v}


def create_session(client: Client, identifier: str, password: str) -> dict[str, Any]:
    """Log in with an app password. A refusal is permanent (a person must give a new one)."""
    try:
        session = client.procedure(
            "com.atproto.server.createSession",
            {"identifier": identifier, "password": password},
            token="",
        )
    except SessionRefused as exc:
        raise PermanentError(f"Bluesky refused the app password: {RECONNECT}") from exc
    if not session.get("accessJwt") or not session.get("did"):
        raise RetryLater("createSession answered without a session")
    return session


class Session:
    """The account's session: calls the PDS with the access token, refreshing or logging in
    again as needed, and saves new tokens through `save` (the account's encrypted store)."""

    def __init__(
        self,
        http_client: httpx.Client,
        credentials: dict[str, str],
        *,
        identifier: str,
        service_url: str,
        proxy: str = "",
        save: Callable[[dict[str, str]], None] | None = None,
        reload: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self.http = http_client
        self.credentials = dict(credentials)
        self.identifier = identifier
        self.service_url = base_url(credentials.get("service_url") or service_url)
        self.proxy = proxy
        self.save = save or (lambda changes: None)
        # The stored credentials as they are now: another source on the same account may
        # have renewed the session since we read them (a refresh token works only once).
        self.reload = reload

    @property
    def did(self) -> str:
        return self.credentials.get("did", "")

    def client(self) -> Client:
        # Everything goes to the address the account signs in at: its own PDS, or the
        # bsky.social entryway, which serves each account's PDS behind it.
        base = self.service_url
        return Client(
            self.http, base, token=self.credentials.get("access_jwt", ""), proxy=self.proxy
        )

    def keep(self, session: dict[str, Any]) -> None:
        changes = session_credentials(session)
        self.credentials.update(changes)
        self.save(changes)

    def login(self) -> None:
        password = self.credentials.get("app_password", "")
        if not password:
            raise PermanentError(f"the Bluesky account has no app password stored: {RECONNECT}")
        identifier = self.credentials.get("did") or self.identifier
        logger.info("creating a Bluesky session for %s", identifier)
        self.keep(create_session(Client(self.http, self.service_url), identifier, password))

    def refresh(self) -> bool:
        """Renew the access token with the refresh token; False when that is refused too."""
        refresh_jwt = self.credentials.get("refresh_jwt", "")
        if not refresh_jwt:
            return False
        try:
            session = self.client().procedure(
                "com.atproto.server.refreshSession", token=refresh_jwt
            )
        except SessionRefused:
            return False
        if not session.get("accessJwt"):
            return False
        self.keep(session)
        return True

    def renewed_elsewhere(self) -> bool:
        """Adopt a session another run stored since we read the credentials."""
        if self.reload is None:
            return False
        stored = self.reload()
        if not stored.get("access_jwt") or stored["access_jwt"] == self.credentials.get(
            "access_jwt"
        ):
            return False
        self.credentials.update(stored)
        return True

    def query(self, nsid: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call(lambda client: client.query(nsid, params))

    def procedure(self, nsid: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A write (POST) as the account. Sent again after a refused session only: the
        service refused it before doing anything."""
        return self.call(lambda client: client.procedure(nsid, body))

    def upload(self, nsid: str, data: bytes, mime_type: str) -> dict[str, Any]:
        """Raw bytes as the account (a blob: stored unreferenced, so sending it again after a
        refused session is harmless)."""
        return self.call(lambda client: client.upload(nsid, data, mime_type))

    def call(self, send: Callable[[Client], dict[str, Any]]) -> dict[str, Any]:
        if not self.credentials.get("access_jwt"):
            self.login()
        try:
            return send(self.client())
        except SessionRefused:
            # Checked again after a refused refresh: the other run may have just won the race.
            if not (self.renewed_elsewhere() or self.refresh() or self.renewed_elsewhere()):
                self.login()
        try:
            return send(self.client())
        except SessionRefused as exc:
            # A brand-new session refused: the account itself is the problem.
            raise PermanentError(str(exc)) from exc
