"""X's Account Activity webhooks (docs.x.com, « Securing webhooks » / Account Activity API):
the Enterprise and pay-per-use tiers push an account's activity to one public HTTPS address.

- the challenge-response check (CRC): GET with `crc_token`, answered with JSON
  {"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}; X repeats it
  now and then and disables the webhook when the answer is wrong;
- a delivery: POST of {"for_user_id": <the subscribed account's id>, "tweet_create_events":
  [...], ...}, signed in `x-twitter-webhooks-signature` with the same HMAC over the raw body.

The key is the app's consumer secret (« API Key Secret », OAuth 1.0a), not the OAuth 2.0
client secret the accounts connect with: `PARVIS_X_CONSUMER_SECRET`.

A delivery is not parsed into mentions: its posts are in the older v1.1 shape, and the
account's mentions source reads the same posts in the v2 shape it already maps (since its
last id, each post once). A signed delivery that names new posts or messages brings the
account's sources forward to the next minute's tick instead of their next poll.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from parvis.connectors import crypto
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.x.api import is_id

MAX_BODY = 1024 * 1024
SIGNATURE_PREFIX = "sha256="
# What is news for an inbox: posts (mentions, replies, quotes) and direct messages.
NEWS = ("tweet_create_events", "direct_message_events")


def digest(secret: str, message: bytes) -> str:
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return SIGNATURE_PREFIX + base64.b64encode(mac).decode()


def crc_response(secret: str, crc_token: str) -> dict[str, str]:
    return {"response_token": digest(secret, crc_token.encode())}


def signed_by(body: bytes, header: str, secret: str) -> bool:
    header = (header or "").strip()
    if not secret or not header.startswith(SIGNATURE_PREFIX) or len(header) > 100:
        return False
    return hmac.compare_digest(digest(secret, body).encode(), header.encode())


def user_id_of(payload: Any) -> str:
    """The subscribed account the delivery is about, when it brings news for an inbox."""
    if not isinstance(payload, dict) or not is_id(payload.get("for_user_id")):
        return ""
    if not any(isinstance(payload.get(key), list) and payload[key] for key in NEWS):
        return ""
    return str(payload["for_user_id"])


def handles_of(user_id: str) -> list[str]:
    """The handles of the connected X accounts with that user id (the id is kept with the
    credentials; an installation connects a handful of X accounts)."""
    found: list[str] = []
    for account in ConnectedAccount.objects.filter(network="x"):
        try:
            if account.credentials().get("user_id") == user_id and account.handle not in found:
                found.append(account.handle)
        except crypto.CredentialsUnreadable:
            continue
    return found
