"""Normalized mentions for tests, shaped like the `parvis ingest` format."""

from __future__ import annotations

import json
from typing import Any


def mention(n: int, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "network": "bluesky",
        "external_id": f"at://did:plc:test/app.bsky.feed.post/{n:06d}",
        "url": f"https://bsky.app/profile/user{n % 7}.bsky.social/post/{n:06d}",
        "author": {
            "handle": f"user{n % 7}.bsky.social",
            "name": f"User {n % 7}",
            "followers": 100 * (n % 7),
        },
        "text": f"J'adore les bougies de Maison Lumière, commande numéro {n} reçue !",
        "created_at": f"2026-11-{1 + n % 20:02d}T10:{n % 60:02d}:00+00:00",
        "lang": "fr",
        "metrics": {"likes": n % 5, "reposts": n % 3, "replies": n % 2},
    }
    item.update(overrides)
    return item


def lines(items: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(i, ensure_ascii=False) + "\n" for i in items]
