"""Connecting a Facebook Page: Facebook Login (for Business), code → user token → long-lived
user token → the Page's own token from /me/accounts.

From Meta's documentation (facebook-login/guides/advanced/manual-flow, access-tokens):
- the browser goes to https://www.facebook.com/{version}/dialog/oauth with client_id,
  redirect_uri, state and either `scope` (the permissions, comma-separated) or, with Facebook
  Login for Business, `config_id` (a configuration made in the App Dashboard that lists them);
- /{version}/oauth/access_token with client_id, redirect_uri, client_secret and code gives
  {"access_token", "token_type", "expires_in"}: a short-lived user token (about two hours);
- the same endpoint with grant_type=fb_exchange_token and fb_exchange_token gives a
  long-lived user token (about 60 days). The docs show these as GET; like every Graph call they
  are taken as POST too, which Parvis uses so that the app secret, the code and the tokens
  travel in the body, never in a URL that an access log or httpx's log would keep;
- GET /me/accounts with that token lists the Pages the person can act on, each with its own
  `access_token`; a Page token obtained from a long-lived user token has no expiry date.

The user token is not kept: Parvis acts as the Page only. What is stored, encrypted: the Page
token, the Page id and name, the app id and secret (appsecret_proof, webhooks), and when the
user token behind it would have expired (the Page token dies with it if the person's session is
invalidated, e.g. a password change: Facebook then answers code 190).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import AccountInfo, PermanentError, RetryLater
from parvis.connectors.facebook.graph import GRAPH, GRAPH_VERSION, RECONNECT, as_list, refusal

DIALOG = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"
TOKEN_URL = f"{GRAPH}oauth/access_token"

# What each feature needs, shown before connecting (docs/connectors.md says the same).
PERMISSIONS: tuple[tuple[str, Any], ...] = (
    ("pages_show_list", _("list the Pages you manage, to choose one")),
    ("pages_read_engagement", _("read the Page's posts and their comments")),
    ("pages_read_user_content", _("read what people post on the Page (comments, mentions)")),
    ("pages_manage_engagement", _("reply to, hide and delete comments")),
    ("pages_manage_posts", _("publish posts, links and photos")),
    ("read_insights", _("Page and post statistics")),
    ("pages_manage_metadata", _("subscribe the Page to webhooks (real-time updates)")),
)
SCOPE = ",".join(name for name, _why in PERMISSIONS)
MAX_PAGES = 5  # /me/accounts pages of 100 read to find the Page


def authorization_url(
    app_id: str,
    redirect_uri: str,
    state: str,
    config_id: str = "",
    *,
    messenger: bool = False,
    scope: str = SCOPE,
) -> str:
    query = {"client_id": app_id, "redirect_uri": redirect_uri, "state": state}
    if config_id:
        query["config_id"] = config_id  # Facebook Login for Business
    else:
        query["scope"] = scope + (",pages_messaging" if messenger else "")
        query["response_type"] = "code"
    return f"{DIALOG}?{urlencode(query)}"


def token_call(http: httpx.Client, params: dict[str, str]) -> dict[str, Any]:
    try:
        response = http.post(TOKEN_URL, data=params)
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching graph.facebook.com") from exc
    if response.status_code >= 400:
        error = refusal(response, "pages")
        if isinstance(error, RetryLater):
            raise error
        raise PermanentError(f"Facebook refused the sign-in: check the app id and secret; {error}")
    try:
        body = response.json()
    except ValueError as exc:
        raise RetryLater("Facebook answered the sign-in with something that is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise PermanentError(f"Facebook gave no access token: {RECONNECT}")
    return body


def expiry(body: dict[str, Any], now: dt.datetime | None = None) -> str:
    seconds = body.get("expires_in")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        return ""
    seconds = min(seconds, 400 * 24 * 3600)
    return ((now or dt.datetime.now(dt.UTC)) + dt.timedelta(seconds=seconds)).isoformat()


def user_tokens(
    http: httpx.Client, app_id: str, app_secret: str, code: str, redirect_uri: str
) -> dict[str, Any]:
    """The long-lived user token for the code, with its expiry."""
    short = token_call(
        http,
        {
            "client_id": app_id,
            "client_secret": app_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        },
    )
    long = token_call(
        http,
        {
            "grant_type": "fb_exchange_token",
            "client_id": app_id,
            "client_secret": app_secret,
            "fb_exchange_token": short["access_token"],
        },
    )
    return {"access_token": long["access_token"], "expires_at": expiry(long)}


PAGE_FIELDS = "id,name,access_token,tasks"


def pages(http: httpx.Client, user_token: str, fields: str = PAGE_FIELDS) -> list[dict[str, Any]]:
    """The Pages the person may act on, with their tokens (/me/accounts, cursor paging)."""
    found: list[dict[str, Any]] = []
    params: dict[str, str] = {"fields": fields, "limit": "100"}
    for _page in range(MAX_PAGES):
        try:
            response = http.get(
                f"{GRAPH}me/accounts",
                params=params,
                headers={"Authorization": f"Bearer {user_token}"},
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching graph.facebook.com") from exc
        if response.status_code >= 400:
            raise refusal(response, "pages")
        body = response.json()
        body = body if isinstance(body, dict) else {}
        for page in as_list(body.get("data")):
            if (
                isinstance(page, dict)
                and isinstance(page.get("id"), str)
                and isinstance(page.get("access_token"), str)
            ):
                found.append(page)
        paging = body.get("paging") if isinstance(body, dict) else None
        after = ((paging or {}).get("cursors") or {}).get("after") if paging else None
        if not (paging or {}).get("next") or not after:
            break
        params = {**params, "after": after}
    return found


def choose(found: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    """The Page asked for (its id or exact name, case-insensitive), or the only one."""
    if not found:
        raise PermanentError(
            "this Facebook account manages no Page, or did not let Parvis see any: "
            f"{RECONNECT} and tick the Page when Facebook asks"
        )
    wanted = wanted.strip()
    if wanted:
        for page in found:
            if page["id"] == wanted or str(page.get("name", "")).casefold() == wanted.casefold():
                return page
        names = ", ".join(f"{p.get('name', '?')} ({p['id']})" for p in found[:20])
        raise PermanentError(f"no Page {wanted!r} among those you allowed: {names}")
    if len(found) > 1:
        names = ", ".join(f"{p.get('name', '?')} ({p['id']})" for p in found[:20])
        raise PermanentError(
            f"you allowed several Pages ({names}): connect again and type the one to connect "
            "in « Page »"
        )
    return found[0]


def finish(
    http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
) -> AccountInfo:
    app_id, app_secret = pending.get("app_id", ""), pending.get("app_secret", "")
    user = user_tokens(http, app_id, app_secret, code, redirect_uri)
    page = choose(pages(http, user["access_token"]), pending.get("page", ""))
    tasks = as_list(page.get("tasks"))
    return AccountInfo(
        handle=page["id"],
        display_name=str(page.get("name") or "")[:200],
        credentials={
            "page_id": page["id"],
            "page_access_token": page["access_token"],
            "app_id": app_id,
            "app_secret": app_secret,
            # The Page token has no expiry of its own; it lives as long as the session of
            # the person who connected it, whose long-lived token would end then.
            "user_token_expires_at": user["expires_at"],
            "tasks": ",".join(str(t) for t in tasks)[:500],
            "connected_at": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
