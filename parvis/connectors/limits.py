"""What an account's server accepts (`Connector.publish_limits`), kept on the account.

A Mastodon instance sets its own limits (`configuration.statuses.max_characters`, 500 by
default; its media sizes and types). The composer counts at each keystroke and the checks run
on every page of a post: they read the copy stored on the `ConnectedAccount`
(`stored_limits`), never the network. The copy is read again when the account is connected
(`flow.save_account` queues `refresh_account_limits`) and at most once a day
(`refresh_due`, a daily task). A read that fails keeps the last known copy (or none: the
network's documented default applies) and records why (`limits_error`), which the composer
says (`limits_note`).

Only connectors whose servers set their own limits (`Connector.limits_per_server`: Mastodon)
are asked; for the others the network's rules in `counting.py` are the whole story.

A rolling publishing quota (`Connector.publishing_quota`: Instagram's 100 posts and Threads'
250 posts in 24 hours) goes stale faster than a day: what is left is kept on the account too
(`publish_limits["quota"]`, with when it was read), read again in the worker when the composer
shows a copy older than QUOTA_FRESH (`quota_wanted`, one queued read per account and period,
claimed with a conditional UPDATE), and shown next to the count (`quota_note`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount

logger = logging.getLogger(__name__)

REFRESH = dt.timedelta(days=1)
QUOTA_FRESH = dt.timedelta(minutes=10)
QUOTA = "quota"  # the key of the quota's copy in ConnectedAccount.publish_limits
MAX_ERROR = 500
INT_FIELDS = (
    "max_characters",
    "characters_per_url",
    "max_media",
    "image_size_limit",
    "video_size_limit",
)
MAX_LIMIT = 10**12


def to_json(limits: base.PublishLimits) -> dict[str, Any]:
    data = asdict(limits)
    data["media_types"] = list(limits.media_types)
    return {k: v for k, v in data.items() if v not in (None, [], ())}


def from_json(data: Any) -> base.PublishLimits | None:
    """The stored copy as PublishLimits; None when nothing usable was stored (a value that is
    not a plausible positive integer is left out, as if the server had not said it)."""
    if not isinstance(data, dict) or not data:
        return None
    values: dict[str, Any] = {}
    for name in INT_FIELDS:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_LIMIT:
            values[name] = value
    types = data.get("media_types")
    if isinstance(types, list):
        values["media_types"] = tuple(t for t in types if isinstance(t, str))[:200]
    return base.PublishLimits(**values) if values else None


def stored_limits(account: ConnectedAccount | None) -> base.PublishLimits | None:
    """The account's last known limits, without any network call; None: the defaults."""
    if account is None:
        return None
    return from_json(account.publish_limits)


def limits_connector(account: ConnectedAccount) -> type[base.Connector] | None:
    """The connector of the account's network that reads its server's limits, if any."""
    found = [
        cls
        for cls in base.load_all().values()
        if cls.network == account.network
        and base.Capability.PUBLISH in cls.capabilities
        and cls.limits_per_server
    ]
    found.sort(key=lambda cls: (cls.auth == base.Auth.API_KEY, cls.kind))
    return found[0] if found else None


def is_stale(account: ConnectedAccount, now: dt.datetime | None = None) -> bool:
    checked = account.limits_checked_at
    return checked is None or checked <= (now or timezone.now()) - REFRESH


def do_refresh_limits(
    account: ConnectedAccount,
    *,
    http: httpx.Client | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
) -> bool:
    """Read the server's limits and keep them on the account (at most daily unless `force`).
    True when a fresh copy was stored; a failure keeps the previous copy and records why."""
    cls = limits_connector(account)
    now = now or timezone.now()
    if cls is None or not (force or is_stale(account, now)):
        return False
    client = http or cls.http_client()
    try:
        found = cls.for_account(account, http=client).publish_limits()
    except (base.ConnectorError, httpx.HTTPError, ValueError) as exc:
        # The network's words, short: shown in the composer (escaped) next to the count.
        why = str(exc).strip() or type(exc).__name__
        account.limits_error = why[:MAX_ERROR]
        account.limits_checked_at = now
        account.save(update_fields=["limits_error", "limits_checked_at"])
        logger.info("account %s: limits not read: %s", account.pk, why)
        return False
    finally:
        if http is None:
            client.close()
    account.publish_limits = to_json(found)
    account.limits_read_at = now
    account.limits_checked_at = now
    account.limits_error = ""
    account.save(
        update_fields=["publish_limits", "limits_read_at", "limits_checked_at", "limits_error"]
    )
    return True


def refresh_due(now: dt.datetime | None = None, http: httpx.Client | None = None) -> int:
    """The daily task: every account whose server sets its own limits and whose copy is a
    day old (or never read). Returns how many were read."""
    now = now or timezone.now()
    networks = {
        cls.network
        for cls in base.load_all().values()
        if base.Capability.PUBLISH in cls.capabilities and cls.limits_per_server
    }
    stale = Q(limits_checked_at__isnull=True) | Q(limits_checked_at__lte=now - REFRESH)
    done = 0
    for account in ConnectedAccount.objects.filter(stale, network__in=networks):
        done += do_refresh_limits(account, http=http, now=now)
    return done


@dataclass(frozen=True)
class LimitsNote:
    """What the composer says of an account's limits: where they come from, and whether the
    last read failed (`problem`)."""

    text: str
    problem: bool = False


def limits_note(account: ConnectedAccount, default_limit: int | None = None) -> LimitsNote | None:
    """None for networks whose limits are fixed (nothing to say)."""
    if limits_connector(account) is None:
        return None
    limits = stored_limits(account)
    default = (
        _("the network's default (%(n)s characters)") % {"n": number_format(default_limit)}
        if default_limit
        else _("the network's default")
    )
    if account.limits_error:
        said = account.limits_error
        if limits is not None and account.limits_read_at is not None:
            return LimitsNote(
                _(
                    "The server's limits could not be read (%(error)s): the ones read on "
                    "%(date)s still apply."
                )
                % {"error": said, "date": date_format(account.limits_read_at, "DATE_FORMAT")},
                problem=True,
            )
        return LimitsNote(
            _("The server's limits could not be read (%(error)s): %(default)s applies.")
            % {"error": said, "default": default},
            problem=True,
        )
    if limits is None or account.limits_read_at is None:
        return LimitsNote(
            _("The server's limits have not been read yet: %(default)s applies.")
            % {"default": default}
        )
    if limits.max_characters:
        return LimitsNote(
            _("Limit of this server, read on %(date)s: %(n)s characters.")
            % {
                "date": date_format(account.limits_read_at, "DATE_FORMAT"),
                "n": number_format(limits.max_characters, force_grouping=True),
            }
        )
    return LimitsNote(
        _("Limits of this server read on %(date)s.")
        % {"date": date_format(account.limits_read_at, "DATE_FORMAT")}
    )


# --- a rolling publishing quota (Instagram, Threads) ---------------------------------------


def quota_connector(account: ConnectedAccount) -> type[base.Connector] | None:
    found = [
        cls
        for cls in base.load_all().values()
        if cls.network == account.network
        and base.Capability.PUBLISH in cls.capabilities
        and cls.publishing_quota
    ]
    found.sort(key=lambda cls: (cls.auth == base.Auth.API_KEY, cls.kind))
    return found[0] if found else None


@dataclass(frozen=True)
class Quota:
    left: int
    total: int
    window_seconds: int
    read_at: dt.datetime


def stored_quota(account: ConnectedAccount) -> Quota | None:
    data = account.publish_limits.get(QUOTA) if isinstance(account.publish_limits, dict) else None
    if not isinstance(data, dict):
        return None
    left, total = data.get("posts_left"), data.get("posts_per_window")
    window = data.get("window_seconds") or 86400
    read_at = base.parse_time(data.get("read_at"))
    numbers = (left, total, window)
    if read_at is None or not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_LIMIT for n in numbers
    ):
        return None
    return Quota(min(left, total), total, window, read_at)  # type: ignore[arg-type,type-var]


def do_refresh_quota(
    account: ConnectedAccount, *, http: httpx.Client | None = None, now: dt.datetime | None = None
) -> bool:
    """Read what is left of the account's quota and keep it (a failure keeps the last copy,
    which the note dates). True when a copy was stored."""
    cls = quota_connector(account)
    if cls is None:
        return False
    now = now or timezone.now()
    client = http or cls.http_client()
    try:
        found = cls.for_account(account, http=client).publish_limits()
    except (base.ConnectorError, httpx.HTTPError, ValueError) as exc:
        logger.info("account %s: quota not read: %s", account.pk, exc)
        return False
    finally:
        if http is None:
            client.close()
    if found.posts_left is None or found.posts_per_window is None:
        return False
    copy = {
        "posts_left": found.posts_left,
        "posts_per_window": found.posts_per_window,
        "window_seconds": found.window_seconds or 86400,
        "read_at": now.isoformat(),
        "asked_at": now.isoformat(),
    }
    # Read again under the row's lock: the server-limits copy beside it is left as it is.
    with transaction.atomic():
        row = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        stored = dict(row.publish_limits) if isinstance(row.publish_limits, dict) else {}
        stored[QUOTA] = copy
        row.publish_limits = stored
        row.save(update_fields=["publish_limits"])
    account.publish_limits = stored
    return True


def quota_wanted(account: ConnectedAccount, now: dt.datetime | None = None) -> bool:
    """Whether this caller should queue a read of the quota: the copy is older than
    QUOTA_FRESH and nobody asked for one in that time (claimed under the row's lock, so a
    composer typing fast queues one read)."""
    if quota_connector(account) is None:
        return False
    now = now or timezone.now()
    with transaction.atomic():
        row = ConnectedAccount.objects.select_for_update().filter(pk=account.pk).first()
        if row is None:
            return False
        stored = dict(row.publish_limits) if isinstance(row.publish_limits, dict) else {}
        found = stored.get(QUOTA)
        copy: dict[str, Any] = found if isinstance(found, dict) else {}
        asked = base.parse_time(copy.get("asked_at"))
        if asked is not None and now - asked < QUOTA_FRESH:
            return False
        stored[QUOTA] = {**copy, "asked_at": now.isoformat()}
        row.publish_limits = stored
        row.save(update_fields=["publish_limits"])
    return True


def quota_note(account: ConnectedAccount) -> LimitsNote | None:
    """What is left of the account's quota, as last read; None when the network has none."""
    if quota_connector(account) is None:
        return None
    quota = stored_quota(account)
    if quota is None:
        return LimitsNote(_("Posts left in the last 24 hours: not read yet."))
    hours = max(1, quota.window_seconds // 3600)
    when = date_format(timezone.localtime(quota.read_at), "H:i")
    if quota.left == 0:
        return LimitsNote(
            _(
                "No post left of %(total)s in %(hours)s hours on this account (read at "
                "%(time)s): a post waits until one is freed."
            )
            % {"total": number_format(quota.total), "hours": hours, "time": when},
            problem=True,
        )
    return LimitsNote(
        _("%(left)s of %(total)s posts left in %(hours)s hours on this account (read at %(time)s).")
        % {
            "left": number_format(quota.left),
            "total": number_format(quota.total),
            "hours": hours,
            "time": when,
        }
    )
