"""Encryption at rest for network credentials (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted with the configured keys (key lost or
    rotated away). Not retryable: the user must enter the credentials again."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_KEYS))


def encrypt(data: dict[str, str]) -> bytes:
    return fernet().encrypt(json.dumps(data, sort_keys=True).encode())


def decrypt(blob: bytes) -> dict[str, str]:
    try:
        return json.loads(fernet().decrypt(bytes(blob)))
    except InvalidToken as exc:
        raise CredentialsUnreadable from exc
