"""Instagram fetches what it publishes from a public address: Parvis serves each media file
at a signed, expiring address under the operator's public URL (PARVIS_PUBLIC_URL, e.g.
https://parvis.example.com), /hooks/instagram/media/<token>/. The token signs the file's path
relative to the data directory; it is good for a day (Instagram fetches within minutes)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import signing
from django.urls import reverse

from parvis.connectors.base import MediaFile, PermanentError

SALT = "parvis.instagram.media"
MAX_AGE = 24 * 3600
NO_PUBLIC_URL = (
    "Instagram fetches the media it publishes from a public address, and this server has none: "
    "set PARVIS_PUBLIC_URL to Parvis's address as seen from the Internet (https://…), so that "
    "Instagram can read /hooks/instagram/media/, then retry"
)


def public_base() -> str:
    base = str(getattr(settings, "PUBLIC_URL", "") or "").strip().rstrip("/")
    if not base.startswith(("https://", "http://")):
        return ""
    return base


def relative(path: str) -> str:
    root = Path(settings.DATA_DIR).resolve()
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        raise PermanentError("the media file is not in Parvis's data directory") from None


def address(media: MediaFile) -> str:
    base = public_base()
    if not base:
        raise PermanentError(NO_PUBLIC_URL)
    if not Path(media.path).is_file():
        raise PermanentError("the media file is missing from the data directory: add it again")
    token = signing.TimestampSigner(salt=SALT).sign(relative(media.path))
    token = signing.b64_encode(token.encode()).decode()
    return base + reverse("instagram_media", args=[token])


def file_for(token: str) -> Path | None:
    """The file a token names, if the token is good, fresh, and the file under the data
    directory's media folder; else None."""
    if len(token) > 1000:
        return None
    try:
        raw = signing.b64_decode(token.encode()).decode()
        path = signing.TimestampSigner(salt=SALT).unsign(raw, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    root = (Path(settings.DATA_DIR) / "publishing" / "media").resolve()
    target = (Path(settings.DATA_DIR) / path).resolve()
    if root not in target.parents or not target.is_file():
        return None
    return target
