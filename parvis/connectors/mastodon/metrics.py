"""The counts of the account's own statuses, read on its instance (docs.joinmastodon.org):

- GET /api/v1/statuses?id[]=… (Mastodon 4.3 and later): up to 20 statuses a call (more is a
  422), the ones the instance still has and the account may see, in no promised order; one
  left out was deleted (or hidden from the account): gone;
- before 4.3 that address does not exist (a 404): GET /api/v1/statuses/:id, one status a call,
  a 404 meaning deleted. The instance is remembered as such for a while, and reading stops
  when its rate-limit window is nearly spent (the rest is read next time).

favourites_count, reblogs_count and replies_count; Mastodon gives no quote nor view counts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from parvis.connectors.base import (
    AccountMetrics,
    PostMetrics,
    ProfileInfo,
    RetryLater,
    links_in,
    metric,
    profile_links,
    profile_text,
)
from parvis.connectors.html import to_text
from parvis.connectors.mastodon import feeds
from parvis.connectors.mastodon.api import Api

BULK = 20  # Api::BaseController DEFAULT_STATUSES_LIMIT: more ids are a 422
SINGLE_TTL = 24 * 3600.0  # seconds an instance without the bulk address is remembered so

_single: dict[str, float] = {}  # instance base URL -> until when it is read one by one
_single_lock = threading.Lock()


def from_status(external_id: str, status: dict[str, Any]) -> PostMetrics:
    return PostMetrics(
        external_id=external_id,
        likes=metric(status.get("favourites_count")),
        reposts=metric(status.get("reblogs_count")),
        replies=metric(status.get("replies_count")),
    )


def local_ids(api: Api, external_ids: list[str]) -> dict[str, str]:
    """status id on the account's instance -> the external id asked for; ids of another
    instance, or that are not status ids, are left out."""
    wanted: dict[str, str] = {}
    for external_id in dict.fromkeys(external_ids):
        host, sep, status_id = str(external_id).rpartition(":")
        if sep and host.lower() == api.host and status_id.isdigit() and len(status_id) <= 30:
            wanted[status_id] = external_id
    return wanted


def one_by_one(api: Api, now: Callable[[], float] = time.monotonic) -> bool:
    with _single_lock:
        return _single.get(api.base, 0.0) > now()


def read(
    api: Api, external_ids: list[str], now: Callable[[], float] = time.monotonic
) -> list[PostMetrics]:
    wanted = local_ids(api, external_ids)
    ids = list(wanted)
    found: list[PostMetrics] = []
    start = 0
    while start < len(ids) and not one_by_one(api, now):
        batch = ids[start : start + BULK]
        response = api.get("/api/v1/statuses", [("id[]", i) for i in batch], missing_ok=True)
        if response.status_code == 404:  # before Mastodon 4.3
            with _single_lock:
                _single[api.base] = now() + SINGLE_TTL
            break
        statuses = feeds.decode(response, api.host)
        if not isinstance(statuses, list):
            raise RetryLater(f"{api.host} answered the statuses in an unexpected shape")
        answered: dict[str, PostMetrics] = {}
        for status in statuses:
            sid = str(status.get("id") or "") if isinstance(status, dict) else ""
            if sid in batch:
                answered[sid] = from_status(wanted[sid], status)
        found += [answered.get(i) or PostMetrics(wanted[i], gone=True) for i in batch]
        start += len(batch)
        if api.exhausted:
            return found  # the rest next time: other sources share the account's budget
    for status_id in ids[start:]:
        response = api.get(f"/api/v1/statuses/{status_id}", missing_ok=True)
        if response.status_code == 404:
            found.append(PostMetrics(wanted[status_id], gone=True))
        else:
            status = feeds.decode(response, api.host)
            if not isinstance(status, dict):
                raise RetryLater(f"{api.host} answered the status in an unexpected shape")
            found.append(from_status(wanted[status_id], status))
        if api.exhausted:
            break
    return found


def forget() -> None:
    """Forget which instances are read one status at a time (tests; an upgraded instance)."""
    with _single_lock:
        _single.clear()


VERIFY = "/api/v1/accounts/verify_credentials"


def account(api: Api) -> AccountMetrics:
    """The token's account (GET /api/v1/accounts/verify_credentials, a CredentialAccount):
    followers_count, following_count, statuses_count."""
    body = feeds.decode(api.get(VERIFY), api.host)
    if not isinstance(body, dict) or not body.get("id"):
        raise RetryLater(f"{api.host} answered without the account")
    return AccountMetrics(
        followers=metric(body.get("followers_count")),
        following=metric(body.get("following_count")),
        posts=metric(body.get("statuses_count")),
    )


def image(value: Any) -> str:
    """An avatar's or header's address, "" for Mastodon's stand-in when none is set (the
    instance serves `/avatars/original/missing.png`, `/headers/original/missing.png`)."""
    address = profile_text(value, 2_000) or ""
    return "" if address.rsplit("/", 1)[-1].startswith("missing.") else address


def profile(api: Api) -> ProfileInfo:
    """The token's account (verify_credentials): display_name, note (HTML, read as text),
    avatar, header, and the links of its profile fields (each field's value is HTML: an
    address is the text of its link) and of its bio. The pinned posts need another call per
    account: not read (None, « not given »)."""
    body = feeds.decode(api.get(VERIFY), api.host)
    if not isinstance(body, dict) or not body.get("id"):
        raise RetryLater(f"{api.host} answered without the account")
    note = body.get("note")
    bio = profile_text(to_text(note)) if isinstance(note, str) else ""
    fields = body.get("fields")
    field_links: list[str] = []
    if isinstance(fields, list):
        for item in fields[:20]:
            value = item.get("value") if isinstance(item, dict) else None
            if isinstance(value, str):
                field_links += links_in(to_text(value[:5_000])) or links_in(value[:5_000])
    return ProfileInfo(
        name=profile_text(body.get("display_name", ""), 640) or "",
        bio=bio or "",
        avatar=image(body.get("avatar")),
        banner=image(body.get("header")),
        links=profile_links(field_links, links_in(bio or "")),
        pinned=None,
    )
