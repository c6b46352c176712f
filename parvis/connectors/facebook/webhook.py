"""Real-time updates from Meta (developers.facebook.com/docs/graph-api/webhooks):

- subscription check: GET with hub.mode=subscribe, hub.verify_token (the string typed in the
  App Dashboard: PARVIS_FACEBOOK_VERIFY_TOKEN here) and hub.challenge, answered with the
  challenge alone;
- an event: POST of {"object": "page", "entry": [{"id": <page id>, "time", "changes":
  [{"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id", "post_id",
  "parent_id", "from": {"id", "name"}, "message", "created_time": <unix seconds>}}]}]},
  signed in X-Hub-Signature-256: "sha256=" + HMAC-SHA256 of the raw body keyed by the app
  secret, compared here in constant time before anything is stored.

Each change is stored once (FacebookDelivery, unique on its SHA-256: a replayed delivery adds
nothing); the Page's comments source takes the changes after the id its cursor holds, and its
cursor commits with the mentions, so each change reaches the pipeline exactly once per source.
Without a public address Meta cannot call, and the source polls as always.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from parvis.connectors.base import ConnectorError, Incoming
from parvis.connectors.facebook import graph, mapping
from parvis.connectors.facebook.models import FacebookDelivery
from parvis.connectors.storable import storable_json

MAX_BODY = 1024 * 1024  # Meta's deliveries are small; a larger body is refused unread
MAX_TAKEN = 200  # changes given to one fetch
KEEP = dt.timedelta(days=7)
SIGNATURE_PREFIX = "sha256="


def signature(body: bytes, app_secret: str) -> str:
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed_by(body: bytes, header: str, secrets: list[str]) -> bool:
    """Whether the header is the signature of the body by one of the app secrets."""
    header = (header or "").strip()
    if not header.startswith(SIGNATURE_PREFIX) or len(header) != len(SIGNATURE_PREFIX) + 64:
        return False
    good = False
    for secret in secrets:
        if secret and hmac.compare_digest(signature(body, secret).encode(), header.encode()):
            good = True
    return good


def page_ids(payload: Any) -> list[str]:
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return []
    entries = graph.as_list(payload.get("entry"))
    return [str(e["id"]) for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)]


def wanted(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry's feed changes, and its Messenger events as {"field": "messages", "value"}:
    people's messages only (not the Page's own echoes, reads or deliveries)."""
    found = [
        change
        for change in graph.as_list(entry.get("changes"))
        if isinstance(change, dict) and change.get("field") == "feed"
    ]
    for event in graph.as_list(entry.get("messaging")):
        message = graph.as_dict(graph.as_dict(event).get("message"))
        if message and not message.get("is_echo"):
            found.append({"field": "messages", "value": event})
    return found


def store(
    payload: dict[str, Any],
    changes_of: Callable[[dict[str, Any]], list[dict[str, Any]]] = wanted,
) -> int:
    """Keep each change of a verified delivery once; how many were new. `changes_of` picks an
    entry's changes (Instagram's deliveries use other fields)."""
    new = 0
    for entry in graph.as_list(payload.get("entry")):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        for change in changes_of(entry):
            if storable_json(change)[1]:
                continue  # NaN, NUL, a lone surrogate: no database keeps it (never Meta's)
            text = json.dumps(change, sort_keys=True, ensure_ascii=True)
            digest = hashlib.sha256(f"{entry['id']}\n{text}".encode()).hexdigest()
            try:
                with transaction.atomic():
                    FacebookDelivery.objects.create(
                        page_id=entry["id"][:64], digest=digest, change=change
                    )
            except IntegrityError:
                continue  # this very change was delivered before
            new += 1
    FacebookDelivery.objects.filter(received_at__lt=timezone.now() - KEEP).delete()
    return new


def pending(page_id: str, after: int) -> list[FacebookDelivery]:
    rows = FacebookDelivery.objects.filter(page_id=page_id, pk__gt=after).order_by("pk")
    return list(rows[:MAX_TAKEN])


def comment_from(value: dict[str, Any]) -> dict[str, Any]:
    """The change as the comment object the Graph API would give."""
    created = value.get("created_time")
    if isinstance(created, int | float) and not isinstance(created, bool):
        try:
            created = dt.datetime.fromtimestamp(created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        except (OverflowError, OSError, ValueError):
            created = ""
    comment: dict[str, Any] = {
        "id": value.get("comment_id"),
        "message": value.get("message", ""),
        "created_time": created,
        "from": value.get("from"),
    }
    parent = value.get("parent_id")
    if isinstance(parent, str) and parent and parent != value.get("post_id"):
        comment["parent"] = {"id": parent}
    return comment


def items_for(api: graph.Api, rows: list[FacebookDelivery]) -> list[Incoming]:
    """New or edited comments of the changes, as items (others, e.g. likes, are skipped)."""
    items: list[Incoming] = []
    for row in rows:
        change = graph.as_dict(row.change)
        value = change.get("value")
        if change.get("field") != "feed" or not isinstance(value, dict):
            continue
        if value.get("item") != "comment":
            continue
        if value.get("verb") not in ("add", "edited"):
            continue
        post_id = str(value.get("post_id") or "")
        comment = comment_from(value)
        if not isinstance(value.get("message"), str) and isinstance(comment["id"], str):
            # A change without the text (a photo comment): read the comment itself.
            with contextlib.suppress(ConnectorError):
                comment = api.get(comment["id"], {"fields": mapping.COMMENT_FIELDS})
        raw = json.dumps(row.change, ensure_ascii=False)
        try:
            data = mapping.comment_mention(comment, post_id)
        except (mapping.Malformed, TypeError, AttributeError) as exc:
            items.append(Incoming(None, raw, error=f"unreadable webhook change: {exc}"))
            continue
        items.append(Incoming(data, raw, payload=comment))
    return items


def messages_for(rows: list[FacebookDelivery]) -> list[Incoming]:
    """People's Messenger messages among the changes (a Messenger webhook event: {"sender":
    {"id": <PSID>}, "recipient": {"id": <page id>}, "timestamp": <ms>, "message": {"mid",
    "text"}}), as the conversations edge would give them."""
    from parvis.connectors.facebook import messenger

    items: list[Incoming] = []
    for row in rows:
        change = graph.as_dict(row.change)
        if change.get("field") != "messages":
            continue
        event = graph.as_dict(change.get("value"))
        message = graph.as_dict(event.get("message"))
        stamp = event.get("timestamp")
        created = ""
        if isinstance(stamp, int) and not isinstance(stamp, bool):
            with contextlib.suppress(OverflowError, OSError, ValueError):
                created = dt.datetime.fromtimestamp(stamp / 1000, dt.UTC).strftime(
                    "%Y-%m-%dT%H:%M:%S+0000"
                )
        shaped = {
            "id": message.get("mid"),
            "message": message.get("text", ""),
            "from": graph.as_dict(event.get("sender")),
            "created_time": created,
        }
        raw = json.dumps(row.change, ensure_ascii=False)
        try:
            data = messenger.message_mention(shaped, "")
        except (mapping.Malformed, TypeError, AttributeError) as exc:
            items.append(Incoming(None, raw, error=f"unreadable webhook message: {exc}"))
            continue
        items.append(Incoming(data, raw, payload=shaped))
    return items
