"""The keys in a backup: the secret key and the credentials' Fernet keys, sealed with a
passphrase (scrypt, then AES-256-GCM). Without them a restored Parvis cannot decrypt the
connected accounts' credentials nor keep its users' sessions."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings

from parvis import config

# scrypt's cost: about 0.1 s and 32 MB on a small server, for each guess too.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
AAD = b"parvis-backup-keys-1"
MIN_PASSPHRASE = 8


class KeysError(Exception):
    """The sealed keys cannot be opened: wrong passphrase or damaged data."""


def current_keys() -> dict[str, object]:
    return {"secret_key": settings.SECRET_KEY, "credentials_keys": list(settings.CREDENTIALS_KEYS)}


def derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeysError(f"the passphrase must be at least {MIN_PASSPHRASE} characters long")


def seal(keys: dict[str, object], passphrase: str) -> bytes:
    check_passphrase(passphrase)
    salt, nonce = os.urandom(16), os.urandom(12)
    key = derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps(keys).encode(), AAD)
    envelope = {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": b64(salt),
        "cipher": "aes-256-gcm",
        "nonce": b64(nonce),
        "ciphertext": b64(ciphertext),
    }
    return json.dumps(envelope).encode()


def open_sealed(raw: bytes, passphrase: str) -> dict[str, object]:
    try:
        envelope = json.loads(raw)
        n, r, p = int(envelope["n"]), int(envelope["r"]), int(envelope["p"])
        if envelope["kdf"] != "scrypt" or not (2**10 <= n <= 2**20 and r <= 32 and p <= 16):
            raise KeysError("the keys are sealed with settings this Parvis does not accept")
        key = derive(passphrase, base64.b64decode(envelope["salt"]), n, r, p)
        plain = AESGCM(key).decrypt(
            base64.b64decode(envelope["nonce"]), base64.b64decode(envelope["ciphertext"]), AAD
        )
        keys = json.loads(plain)
    except InvalidTag:
        raise KeysError("wrong passphrase (or the keys are damaged)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise KeysError(f"the sealed keys cannot be read: {exc}") from None
    if not isinstance(keys.get("secret_key"), str) or not isinstance(
        keys.get("credentials_keys"), list
    ):
        raise KeysError("the sealed keys are not Parvis keys")
    return keys


def write_private(path: Path, value: str) -> None:
    temporary = path.with_name(path.name + ".partial")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    temporary.replace(path)


def install(keys: dict[str, object], folder: Path) -> list[str]:
    """Write the keys where Parvis reads them when the environment does not set them; a
    warning for each environment variable that overrides the restored files."""
    credentials = [str(k) for k in keys["credentials_keys"]]  # type: ignore[attr-defined]
    write_private(folder / "secret_key", str(keys["secret_key"]))
    write_private(folder / "credentials.key", ",".join(credentials))
    warnings = []
    for name, value in (
        ("PARVIS_SECRET_KEY", str(keys["secret_key"])),
        ("PARVIS_CREDENTIALS_KEY", ",".join(credentials)),
    ):
        current = config.env_str(name)
        if current and current != value:
            warnings.append(
                f"{name} is set and differs from the restored key: unset it (the restored "
                "file in the data dir is then used) or set it to the old value"
            )
    return warnings
