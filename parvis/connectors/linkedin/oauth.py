"""Connecting a LinkedIn page: LinkedIn's 3-legged OAuth as a member who administers the page,
then the page chosen among the organizations the member administers.

From LinkedIn's documentation (learn.microsoft.com/linkedin/shared/authentication/
authorization-code-flow, programmatic-refresh-tokens; community-management/
organizations/organization-access-control-by-role):
- the browser goes to https://www.linkedin.com/oauth/v2/authorization with
  response_type=code, client_id, redirect_uri, state and scope (space-separated);
- POST https://www.linkedin.com/oauth/v2/accessToken (form) with grant_type=
  authorization_code, code, client_id, client_secret and redirect_uri gives {"access_token",
  "expires_in" (60 days), "refresh_token", "refresh_token_expires_in" (365 days), "scope"};
  the refresh token comes to apps LinkedIn enabled for programmatic refresh (Community
  Management API apps are);
- grant_type=refresh_token with the refresh token gives a new access token; the refresh
  token keeps its first expiry (it is not extended), after which the member must sign in
  again: that date is what the expiry warning reads (`refresh_expires_at`);
- errors are {"error", "error_description"};
- GET /rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED lists the
  organizations the member administers; GET /rest/organizations/{id} gives the page's
  localizedName and vanityName.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import AccountInfo, PermanentError, RetryLater, parse_time
from parvis.connectors.linkedin.api import (
    ORGANIZATION,
    RECONNECT,
    Api,
    as_dict,
    as_list,
    body_of,
    organization_id,
    text,
)

AUTHORIZE_URL = "https://www.linkedin.com/oauth/v2/authorization"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
# What each permission is for, shown before connecting (docs/connectors.md says the same).
PERMISSIONS: tuple[tuple[str, Any], ...] = (
    ("r_organization_social", _("read the page's posts and the comments on them")),
    ("w_organization_social", _("publish, comment and delete comments as the page")),
    ("rw_organization_admin", _("list the pages you administer, and their statistics")),
    ("r_organization_admin", _("read the page's follower and share statistics")),
)
SCOPE = " ".join(name for name, _why in PERMISSIONS)
# The access token is renewed when this little of its 60 days is left (or on expiry).
EARLY = dt.timedelta(days=1)
ACL_PAGES = 5  # organizationAcls pages of 100 read to find the page


def authorization_url(client_id: str, redirect_uri: str, state: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": SCOPE,
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"


def token_request(http: httpx.Client, form: dict[str, str], doing: str) -> dict[str, Any]:
    try:
        # The client secret travels in the form body, never in a URL a log would keep.
        response = http.post(TOKEN_URL, data=form)
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching LinkedIn's token endpoint") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryLater(f"HTTP {response.status_code} from LinkedIn's token endpoint")
    body = body_of(response)
    if response.status_code >= 400 or not isinstance(body.get("access_token"), str):
        code = text(body.get("error"), 60) or str(response.status_code)
        said = text(body.get("error_description"))
        if code in {"invalid_client", "unauthorized_client"}:
            raise PermanentError(
                f"LinkedIn refused the app's client id or secret ({said}): {RECONNECT}"
            )
        raise PermanentError(f"LinkedIn refused {doing} ({code}: {said}): {RECONNECT}")
    return body


def later(now: dt.datetime, seconds: Any, default: int) -> str:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds < 10**9:
        seconds = default
    return (now + dt.timedelta(seconds=seconds)).isoformat()


def token_fields(body: dict[str, Any], now: dt.datetime) -> dict[str, str]:
    """The credentials a token answer sets (the refresh token's expiry only when given)."""
    fields = {
        "access_token": body["access_token"],
        "expires_at": later(now, body.get("expires_in"), 60 * 24 * 3600),
    }
    if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
        fields["refresh_token"] = body["refresh_token"]
        fields["refresh_expires_at"] = later(
            now, body.get("refresh_token_expires_in"), 365 * 24 * 3600
        )
    return fields


def wanted_organization(raw: str) -> str:
    """What the person typed to choose the page, as LinkedIn writes it: an id (digits), an
    organization URN, a page address (…/company/<vanity>/) or a vanity name; "" for none."""
    value = (raw or "").strip()[:300]
    if not value:
        return ""
    if value.isdigit():
        return value
    if ORGANIZATION.fullmatch(value):
        return organization_id(value)
    if "/company/" in value:
        value = value.split("/company/", 1)[1].split("/")[0]
    return value.casefold()


def administered(api: Api) -> list[str]:
    """The ids of the organizations the member administers (approved role)."""
    found: list[str] = []
    start = 0
    for _page in range(ACL_PAGES):
        body = api.get(
            "organizationAcls",
            f"q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start={start}&count=100",
        )
        elements = as_list(body.get("elements"))
        for acl in elements:
            org = organization_id(str(as_dict(acl).get("organization") or ""))
            if org and org not in found:
                found.append(org)
        if len(elements) < 100:
            break
        start += 100
    return found


def choose(api: Api, ids: list[str], wanted: str) -> dict[str, Any]:
    """The page to connect among those the member administers."""
    if not ids:
        raise PermanentError(
            "this LinkedIn member administers no page: sign in as an administrator of the "
            "page (Page admin → Manage admins on LinkedIn)"
        )
    pages = [as_dict(api.get(f"organizations/{org}")) | {"id": org} for org in ids[:20]]
    if wanted:
        for page in pages:
            vanity = str(page.get("vanityName") or "").casefold()
            if wanted in (page["id"], vanity):
                return page
        raise PermanentError(
            f"this member does not administer the page « {wanted[:100]} »; it administers: "
            + ", ".join(describe(p) for p in pages)
        )
    if len(pages) > 1:
        raise PermanentError(
            "this member administers several pages: connect again and type the page's id or "
            "address in « LinkedIn page » (" + ", ".join(describe(p) for p in pages) + ")"
        )
    return pages[0]


def describe(page: dict[str, Any]) -> str:
    name = text(page.get("localizedName"), 100) or "?"
    return f"{name} ({page['id']})"


def finish(
    http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
) -> AccountInfo:
    now = dt.datetime.now(dt.UTC)
    body = token_request(
        http,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": pending.get("client_id", ""),
            "client_secret": pending.get("client_secret", ""),
            "redirect_uri": redirect_uri,
        },
        "the sign-in (check the client id, the client secret and the redirect URL)",
    )
    api = Api(http, body["access_token"])
    page = choose(api, administered(api), pending.get("organization", ""))
    org = page["id"]
    name = text(page.get("localizedName"), 200)
    credentials = {
        "client_id": pending.get("client_id", ""),
        "client_secret": pending.get("client_secret", ""),
        "organization": f"urn:li:organization:{org}",
        "vanity_name": text(page.get("vanityName"), 200),
        "scope": text(body.get("scope"), 500),
        "connected_at": now.isoformat(),
        **token_fields(body, now),
    }
    return AccountInfo(
        handle=f"urn:li:organization:{org}", display_name=name or org, credentials=credentials
    )


def due(credentials: dict[str, str], now: dt.datetime) -> bool:
    """Whether the access token must be renewed before use."""
    expires = parse_time(credentials.get("expires_at"))
    return expires is not None and now >= expires - EARLY


def access_token(connector: Any, now: dt.datetime | None = None) -> str:
    """A live access token: the stored one, or a new one from the refresh token (kept,
    encrypted). LinkedIn's refresh tokens do not rotate, so two workers refreshing at once
    both get good tokens and no claim is needed."""
    now = now or dt.datetime.now(dt.UTC)
    credentials = connector.credentials()
    if not due(credentials, now):
        return credentials.get("access_token", "")
    refresh = credentials.get("refresh_token", "")
    refresh_ends = parse_time(credentials.get("refresh_expires_at"))
    if not refresh or (refresh_ends is not None and refresh_ends <= now):
        ended = parse_time(credentials.get("expires_at")) or now
        raise PermanentError(
            f"the LinkedIn sign-in expired on {ended:%Y-%m-%d} (LinkedIn asks the member to "
            f"sign in again once a year): {RECONNECT}"
        )
    body = token_request(
        connector.http,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": credentials.get("client_id", ""),
            "client_secret": credentials.get("client_secret", ""),
        },
        "to renew the access token",
    )
    changes = token_fields(body, now)
    # The refresh token keeps its first expiry: do not push it back on LinkedIn's word alone
    # when the answer repeats the same token.
    if changes.get("refresh_token") == refresh and refresh_ends is not None:
        given = parse_time(changes.get("refresh_expires_at"))
        if given is None or given > refresh_ends:
            changes["refresh_expires_at"] = refresh_ends.isoformat()
    connector.save_credentials(changes)
    return changes["access_token"]


def token_expires_at(credentials: dict[str, str]) -> dt.datetime | None:
    """When the member must sign in again: the refresh token's end, or without one the
    access token's."""
    if credentials.get("refresh_token"):
        return parse_time(credentials.get("refresh_expires_at"))
    return parse_time(credentials.get("expires_at"))
