"""Small pieces several connectors share: checks of source settings (`validate_config`
helpers, which raise ValueError with a translatable message the add-source form shows as is),
the first reading window, and PKCE for OAuth sign-ins.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any

from django.utils.translation import gettext as _

# A time a network gives more than this ahead of our clock belongs to a forged or broken item:
# the pipeline quarantines it (parvis.listening.normalize), and no cursor may move past it, or
# everything published meanwhile would be skipped.
FUTURE_MARGIN = dt.timedelta(days=1)


def latest_plausible() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + FUTURE_MARGIN


def plausible_seconds(value: Any) -> int | float | None:
    """Epoch seconds a network gave, or None unless a finite time between 1970 and tomorrow
    (not NaN, not Infinity, not year 9999)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value <= latest_plausible().timestamp():
        return None  # NaN fails the comparison too
    return value


def bounded_int(config: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    """config[name] as a whole number in [low, high]; `default` when absent or empty."""
    value = config.get(name, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(_("%(name)s must be a whole number") % {"name": name}) from None
    if not low <= number <= high:
        raise ValueError(
            _("%(name)s must be between %(low)s and %(high)s")
            % {"name": name, "low": low, "high": high}
        )
    return number


def parse_since(value: Any) -> int | None:
    """A "read from" setting (ISO date or date-time, UTC when no zone) as epoch seconds."""
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            _("“Read from” must be a date like 2026-11-01 (or a date and time).")
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if moment > dt.datetime.now(dt.UTC):
        raise ValueError(_("“Read from” cannot be in the future."))
    return int(moment.timestamp())


def start_time(config: dict[str, Any], backfill: dt.timedelta) -> int:
    """Epoch seconds a new search starts reading from: the "read from" setting, else `backfill`
    ago."""
    since = parse_since(config.get("since"))
    if since is not None:
        return since
    return int((dt.datetime.now(dt.UTC) - backfill).timestamp())


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) for an OAuth authorization-code flow with PKCE (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")
