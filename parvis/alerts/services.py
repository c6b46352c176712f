"""Actions on alert rules, the workspace's alert settings and the bell (do_* functions that
views, the API and tests call)."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.alerts.models import (
    AlertRule,
    AlertSettings,
    Channel,
    Metric,
    Notice,
    Receipt,
    RuleKind,
    Severity,
    WebhookFormat,
)
from parvis.connectors import crypto
from parvis.core.networks import NETWORK_CHOICES
from parvis.listening import extensions
from parvis.listening.models import MonitoredQuery
from parvis.listening.normalize import storable
from parvis.workspaces.models import Membership, Workspace
from parvis.workspaces.roles import Role
from parvis.workspaces.zones import zone_name

MAX_TEXT = 2000
MAX_LIST = 20
# More members than any workspace has: the look-up below stays one short query.
MAX_MEMBERS = 1000
MAX_FOLLOWERS = 10**12
MAX_COOLDOWN = 7 * 24 * 60


def clean_text(value: Any, limit: int, label: str) -> str:
    text = "" if value is None else str(value)
    if len(text) > limit:
        raise ValidationError(_("%(field)s is too long.") % {"field": label})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            _("%(field)s holds an invalid character.") % {"field": label}
        ) from None
    if "\x00" in text:
        raise ValidationError(_("%(field)s holds an invalid character.") % {"field": label})
    return text.strip()


def clean_url(value: Any) -> str:
    url = clean_text(value, MAX_TEXT, _("A webhook URL"))
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.username
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        ok = False
    if not ok:
        raise ValidationError(_("%(url)s is not an http(s) address.") % {"url": url[:80]})
    return url


def clean_rule(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    """The rule's fields, checked; ValidationError names the first problem."""
    name = " ".join(clean_text(data.get("name"), 120, _("The name")).split())
    if not name:
        raise ValidationError(_("Give the rule a name."))
    kind = data.get("kind") or RuleKind.SPIKE
    if kind not in RuleKind.values:
        raise ValidationError(_("Choose a kind from the list."))
    query = None
    query_id = data.get("query_id")
    if query_id not in (None, ""):
        try:
            number = int(query_id)
        except (TypeError, ValueError):
            raise ValidationError(_("Choose a query from the list.")) from None
        if not 0 < number < 2**63:
            raise ValidationError(_("Choose a query from the list."))
        query = MonitoredQuery.objects.filter(workspace=workspace, pk=number).first()
        if query is None:
            raise ValidationError(_("Choose a query from the list."))
    metric = data.get("metric") or Metric.VOLUME
    if metric not in Metric.values:
        raise ValidationError(_("Choose a measure from the list."))
    severity = data.get("severity") or Severity.IMPORTANT
    if severity not in Severity.values:
        raise ValidationError(_("Choose a severity from the list."))
    network = clean_text(data.get("network"), 30, _("The network"))
    if network and network not in {code for code, _label in NETWORK_CHOICES}:
        raise ValidationError(_("Choose a network from the list."))
    min_followers = data.get("min_followers")
    if min_followers in ("", None):
        min_followers = None
    else:
        try:
            min_followers = int(min_followers)
        except (TypeError, ValueError):
            raise ValidationError(_("The minimum followers is a whole number.")) from None
        if not 0 <= min_followers <= MAX_FOLLOWERS:
            raise ValidationError(_("The minimum followers is out of range."))
    try:
        cooldown = int(data.get("cooldown_minutes", 30))
    except (TypeError, ValueError):
        raise ValidationError(_("The cool-down is a number of minutes.")) from None
    if not 0 <= cooldown <= MAX_COOLDOWN:
        raise ValidationError(_("The cool-down is at most one week."))
    channels = list(dict.fromkeys(data.get("channels") or []))
    if any(c not in Channel.values for c in channels):
        raise ValidationError(_("Choose channels from the list."))
    roles = list(dict.fromkeys(data.get("roles") or []))
    if any(r not in Role.values for r in roles):
        raise ValidationError(_("Choose roles from the list."))
    emails = []
    for raw in (data.get("emails") or [])[: MAX_LIST + 1]:
        address = clean_text(raw, 254, _("An address"))
        if address:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("%(address)s is not an e-mail address.") % {"address": address[:80]}
                ) from None
            emails.append(address)
    if len(emails) > MAX_LIST:
        raise ValidationError(_("At most %(n)s addresses.") % {"n": MAX_LIST})
    hooks = []
    for raw in (data.get("webhooks") or [])[: MAX_LIST + 1]:
        if not isinstance(raw, dict):
            raise ValidationError(_("A webhook is an address and a format."))
        fmt = raw.get("format") or WebhookFormat.SIGNED
        if fmt not in WebhookFormat.values:
            raise ValidationError(_("Choose a webhook format from the list."))
        hooks.append({"url": clean_url(raw.get("url")), "format": fmt})
    if len(hooks) > MAX_LIST:
        raise ValidationError(_("At most %(n)s webhooks.") % {"n": MAX_LIST})
    member_ids = []
    raw_members = data.get("member_ids") or []
    if len(raw_members) > MAX_MEMBERS:
        raise ValidationError(_("Choose members from the list."))
    for raw in raw_members:
        try:
            member_ids.append(int(raw))
        except (TypeError, ValueError):
            raise ValidationError(_("Choose members from the list.")) from None
    known = set(
        Membership.objects.filter(
            workspace=workspace, user_id__in=[m for m in member_ids if 0 < m < 2**63]
        ).values_list("user_id", flat=True)
    )
    if set(member_ids) - known:
        raise ValidationError(_("Choose members from the list."))
    words = clean_text(data.get("words"), MAX_TEXT, _("The words"))
    if kind == RuleKind.KEYWORD and not words and query is None:
        raise ValidationError(_("A keyword rule needs words or a query."))
    return {
        "name": name,
        "kind": kind,
        "is_active": bool(data.get("is_active", True)),
        "query": query,
        "metric": metric,
        "words": words,
        "only_negative": bool(data.get("only_negative")),
        "min_followers": min_followers,
        "network": network,
        "severity": severity,
        "channels": channels,
        "roles": roles,
        "emails": emails,
        "webhooks": hooks,
        "cooldown_minutes": cooldown,
        "digest": bool(data.get("digest")),
        "member_ids": sorted(known),
    }


RULE_FIELDS = [
    "name",
    "kind",
    "is_active",
    "query",
    "metric",
    "words",
    "only_negative",
    "min_followers",
    "network",
    "severity",
    "channels",
    "roles",
    "emails",
    "webhooks",
    "cooldown_minutes",
    "digest",
]


def do_save_rule(
    workspace: Workspace,
    actor: Any,
    data: dict[str, Any],
    *,
    rule: AlertRule | None = None,
) -> tuple[AlertRule, str]:
    """Create or change a rule. Returns the rule and, when a webhook secret was generated,
    that secret (shown once); a secret given in data["secret"] replaces the stored one,
    an empty one keeps it."""
    clean = clean_rule(workspace, data)
    member_ids = clean.pop("member_ids")
    secret = clean_text(data.get("secret"), 200, _("The secret"))
    generated = ""
    if not secret and clean["webhooks"] and (rule is None or not rule.webhook_secret):
        secret = generated = secrets.token_urlsafe(32)
    with transaction.atomic():
        if rule is None:
            AlertRule(workspace=workspace, **clean).full_clean(
                exclude=["members", "webhook_secret", "created_by"]
            )
            rule = AlertRule.objects.create(
                workspace=workspace,
                created_by=actor if actor else None,
                webhook_secret=crypto.encrypt({"secret": secret}) if secret else None,
                **clean,
            )
        else:
            for key, value in clean.items():
                setattr(rule, key, value)
            fields = [*RULE_FIELDS, "updated_at"]
            if secret:
                rule.webhook_secret = crypto.encrypt({"secret": secret})
                fields.append("webhook_secret")
            rule.save(update_fields=fields)
        rule.members.set(member_ids)
    return rule, generated


def do_delete_rule(rule: AlertRule) -> None:
    rule.delete()


def get_settings(workspace: Workspace) -> AlertSettings:
    # Created on the workspace's clock; an existing row keeps its own zone.
    settings, _created = AlertSettings.objects.get_or_create(
        workspace=workspace, defaults={"time_zone": zone_name(workspace)}
    )
    return settings


def do_save_settings(
    workspace: Workspace,
    *,
    time_zone: str,
    quiet_hours: bool,
    quiet_start: dt.time,
    quiet_end: dt.time,
) -> AlertSettings:
    zone = clean_text(time_zone, 64, _("The time zone"))
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone.")) from None
    settings = get_settings(workspace)
    settings.time_zone = zone
    settings.quiet_hours = quiet_hours
    settings.quiet_start = quiet_start
    settings.quiet_end = quiet_end
    settings.save(update_fields=["time_zone", "quiet_hours", "quiet_start", "quiet_end"])
    return settings


def unread_count(workspace: Workspace, user: Any) -> int:
    alerts = Receipt.objects.filter(workspace=workspace, user=user, read_at__isnull=True)
    notices = Notice.objects.filter(workspace=workspace, user=user, read_at__isnull=True)
    return alerts.count() + notices.count()


def do_mark_read(workspace: Workspace, user: Any, alert_ids: Sequence[int] | None = None) -> int:
    """The member's alerts read (these alerts, or all, notices included)."""
    rows = Receipt.objects.filter(workspace=workspace, user=user, read_at__isnull=True)
    now = timezone.now()
    done = 0
    if alert_ids is not None:
        rows = rows.filter(alert_id__in=[i for i in alert_ids if 0 < i < 2**63])
    else:
        done += Notice.objects.filter(workspace=workspace, user=user, read_at__isnull=True).update(
            read_at=now
        )
    return done + rows.update(read_at=now)


def store_notice(notice: extensions.Notice) -> int:
    """listening.extensions' notifier: the notice in each member's bell, once per key. Only
    members of the notice's workspace get it, whatever ids the sender gave."""
    members = set(
        Membership.objects.filter(
            workspace_id=notice.workspace_id, user_id__in=notice.user_ids
        ).values_list("user_id", flat=True)
    )
    if not members:
        return 0
    now = timezone.now()
    # The network's words travel in the params: a NUL or a lone surrogate there would make
    # PostgreSQL refuse the row (and the failure's transaction with it), so they are escaped.
    params = {storable(str(k))[:100]: storable(str(v))[:2000] for k, v in notice.params.items()}
    key = storable(notice.key)[:200]
    url = storable(notice.url)[:500]
    rows = [
        Notice(
            workspace_id=notice.workspace_id,
            user_id=user_id,
            key=key,
            kind=storable(notice.kind)[:40],
            title=storable(notice.title)[:300],
            text=storable(notice.text)[:5000],
            params=params,
            url=url if url.startswith("/") and not url.startswith("//") else "",
            created_at=now,
        )
        for user_id in sorted(members)
    ]
    before = Notice.objects.filter(key=key).count()
    # A key already stored for a member (a repeated call) is skipped by the database.
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    return Notice.objects.filter(key=key).count() - before


def do_open_notice(notice: Notice) -> str:
    """Read on opening; the path it points to ("" when none)."""
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
    return notice.url


def masked_url(url: str) -> str:
    """A webhook URL without its path: a Slack or Mattermost incoming webhook's path is its
    credential, shown only to those who edit the rules."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}/…" if parts.hostname else "…"
    except ValueError:
        return "…"


def split_lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def webhooks_from_lines(lines: Iterable[str]) -> list[dict[str, str]]:
    """« [slack|mattermost] URL » per line: the page's webhook field."""
    hooks = []
    for line in lines:
        fmt, _sep, rest = line.partition(" ")
        if fmt in WebhookFormat.values and rest.strip():
            hooks.append({"format": fmt, "url": rest.strip()})
        else:
            hooks.append({"format": WebhookFormat.SIGNED, "url": line})
    return hooks
