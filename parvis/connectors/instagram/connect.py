"""Connecting an Instagram professional account: Facebook Login for Business (the Facebook
connector's oauth.py: code → user token → long-lived user token), then the Pages the person
allowed with their tokens and linked Instagram accounts (GET /me/accounts with
fields=instagram_business_account{id,username}); the account chosen is the one linked to the
Page typed (its name or id, or the Instagram username), or the only one.

Stored, encrypted: the Page token (Instagram calls go through it), the Page id, the Instagram
account's id and username, the app id and secret (appsecret_proof, webhook signatures).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import AccountInfo, PermanentError
from parvis.connectors.facebook import oauth
from parvis.connectors.facebook.graph import as_dict, as_list
from parvis.connectors.instagram.api import RECONNECT

PERMISSIONS: tuple[tuple[str, Any], ...] = (
    ("instagram_basic", _("read the account's profile and media")),
    ("instagram_manage_comments", _("read, reply to, hide and delete comments; mentions")),
    ("instagram_content_publish", _("publish images, carousels and reels")),
    ("instagram_manage_insights", _("account and media statistics (reach, views)")),
    ("pages_show_list", _("list the Pages you manage, to find the linked Instagram account")),
    ("pages_read_engagement", _("read the Page that the Instagram account is linked to")),
)
SCOPE = ",".join(name for name, _why in PERMISSIONS)
PAGE_FIELDS = "id,name,access_token,tasks,instagram_business_account{id,username,name}"


def linked(page: dict[str, Any]) -> dict[str, Any]:
    account = as_dict(page.get("instagram_business_account"))
    return account if isinstance(account.get("id"), str) and account.get("id") else {}


def label(page: dict[str, Any]) -> str:
    account = linked(page)
    who = f"@{account.get('username')}" if account.get("username") else "no Instagram account"
    return f"{page.get('name', '?')} ({page['id']}): {who}"


def choose(found: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    """The Page asked for (its id or name, or the Instagram username, case-insensitive) with
    a linked Instagram professional account, or the only such Page."""
    with_instagram = [page for page in found if linked(page)]
    if not with_instagram:
        listed = "; ".join(label(p) for p in found[:20]) or "none"
        raise PermanentError(
            "none of the Pages you allowed has an Instagram professional account linked "
            f"(Pages seen: {listed}): link the Instagram account to its Facebook Page "
            "(Instagram → Settings → Account type and tools, or the Page's settings → Linked "
            f"accounts), then {RECONNECT} and tick that Page"
        )
    wanted = wanted.strip().lstrip("@").casefold()
    if wanted:
        for page in with_instagram:
            account = linked(page)
            names = {
                str(page["id"]).casefold(),
                str(page.get("name", "")).casefold(),
                str(account.get("username", "")).casefold(),
                str(account["id"]).casefold(),
            }
            if wanted in names:
                return page
        listed = "; ".join(label(p) for p in with_instagram[:20])
        raise PermanentError(
            f"no Page or Instagram account {wanted!r} among those allowed: {listed}"
        )
    if len(with_instagram) > 1:
        listed = "; ".join(label(p) for p in with_instagram[:20])
        raise PermanentError(
            f"you allowed several Pages with an Instagram account ({listed}): connect again and "
            "type the one to connect in « Page or Instagram account »"
        )
    return with_instagram[0]


def finish(
    http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
) -> AccountInfo:
    app_id, app_secret = pending.get("app_id", ""), pending.get("app_secret", "")
    user = oauth.user_tokens(http, app_id, app_secret, code, redirect_uri)
    found = oauth.pages(http, user["access_token"], fields=PAGE_FIELDS)
    if not found:
        raise PermanentError(
            "this Facebook account manages no Page, or did not let Parvis see any: "
            f"{RECONNECT} and tick the Page linked to the Instagram account"
        )
    page = choose(found, pending.get("page", ""))
    account = linked(page)
    username = str(account.get("username") or "")[:100]
    return AccountInfo(
        handle=account["id"],
        display_name=f"@{username}" if username else str(page.get("name") or "")[:200],
        credentials={
            "ig_user_id": account["id"],
            "username": username,
            "page_id": page["id"],
            "page_name": str(page.get("name") or "")[:200],
            "page_access_token": page["access_token"],
            "app_id": app_id,
            "app_secret": app_secret,
            "user_token_expires_at": user["expires_at"],
            "tasks": ",".join(str(t) for t in as_list(page.get("tasks")))[:500],
            "connected_at": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
