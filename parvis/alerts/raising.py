"""From an episode to the people: one alert per (rule, episode), then what reaches whom.

No storms (docs/alerts.md, « Alerting »):
- one alert per episode and rule (a unique constraint, not a hope);
- a rule's cool-down: an episode opening within `cooldown_minutes` of the rule's last alert
  is recorded (« not sent (cool-down) ») and reaches no one;
- digest mode: the alert waits for the hourly digest (one message per rule and channel);
- quiet hours in the workspace's time zone: e-mails and webhooks wait for their end (the bell
  shows the alert at once: it rings no one's phone);
- severity « crise » goes through the digest and the quiet hours.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from parvis.alerts import titles
from parvis.alerts.models import (
    SEVERITY_ORDER,
    Alert,
    AlertRule,
    AlertSettings,
    AlertState,
    Channel,
    Delivery,
    Digest,
    Episode,
    EpisodeKind,
    Receipt,
    Severity,
)
from parvis.workspaces.models import Membership, Workspace
from parvis.workspaces.zones import zone_name


def settings_of(workspace: Workspace) -> AlertSettings:
    found = AlertSettings.objects.filter(workspace=workspace).first()
    # Not stored yet: the quiet hours would be created on the workspace's clock.
    return found or AlertSettings(workspace=workspace, time_zone=zone_name(workspace))


def zone(settings: AlertSettings) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(settings.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def quiet_until(settings: AlertSettings, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours `now` falls in, or None outside them."""
    if not settings.quiet_hours or settings.quiet_start == settings.quiet_end:
        return None
    tz = zone(settings)
    local = now.astimezone(tz)
    t = local.time()
    start, end = settings.quiet_start, settings.quiet_end
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=tz).astimezone(dt.UTC)


def recipients(rule: AlertRule) -> list[Any]:
    """The rule's members (still members of the workspace) and the holders of its roles."""
    members = set(
        Membership.objects.filter(workspace_id=rule.workspace_id).values_list("user_id", "role")
    )
    ids = {u for u, _role in members}
    chosen = set(rule.members.values_list("id", flat=True)) & ids
    chosen |= {u for u, role in members if role in (rule.roles or [])}
    return list(get_user_model().objects.filter(id__in=chosen).order_by("id"))


def email_addresses(rule: AlertRule, users: Sequence[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for address in [getattr(u, "email", "") for u in users] + list(rule.emails or []):
        if address:
            seen.setdefault(address.strip().lower(), None)
    return list(seen)


def params_of(episode: Episode, rule: AlertRule) -> dict[str, Any]:
    """The facts an alert's title is worded from (titles.render), in any language."""
    return titles.title_params(
        episode.kind,
        episode.resolution,
        episode.query_name,
        episode.peak_value,
        episode.baseline,
        rule.name,
    )


def title_of(episode: Episode, rule: AlertRule) -> str:
    """The title in the active language (the one the e-mails and webhooks carry)."""
    return titles.render(params_of(episode, rule))


def raise_alert(
    rule: AlertRule, episode: Episode, now: dt.datetime, rows: Sequence[Any] = ()
) -> Alert | None:
    """The rule's alert for the episode, with its receipts and deliveries; None if the rule
    already told about it. Runs inside the caller's transaction."""
    if rows and episode.kind == EpisodeKind.INFLUENCER:
        episode.peak_value = max(getattr(r, "followers", 0) for r in rows)
    crisis = rule.severity == Severity.CRISIS
    cooling = (
        rule.last_alert_at is not None
        and now - rule.last_alert_at < dt.timedelta(minutes=rule.cooldown_minutes)
        and not crisis
    )
    if cooling:
        state = AlertState.SUPPRESSED
    elif rule.digest and not crisis:
        state = AlertState.DIGEST
    else:
        state = AlertState.SENT
    alert, created = Alert.objects.get_or_create(
        rule=rule,
        episode=episode,
        defaults={
            "workspace_id": rule.workspace_id,
            "severity": rule.severity,
            "state": state,
            "title": title_of(episode, rule),
            "params": params_of(episode, rule),
            "created_at": now,
        },
    )
    if not created:
        return None
    if SEVERITY_ORDER[Severity(rule.severity)] > SEVERITY_ORDER[Severity(episode.severity)]:
        episode.severity = rule.severity
        episode.save(update_fields=["severity", "peak_value"])
    if state == AlertState.SUPPRESSED:
        return alert
    AlertRule.objects.filter(pk=rule.pk).update(last_alert_at=now)
    rule.last_alert_at = now
    users = recipients(rule)
    channels = set(rule.channels or [])
    if Channel.APP in channels:
        Receipt.objects.bulk_create(
            [
                Receipt(workspace_id=rule.workspace_id, alert=alert, user=u, created_at=now)
                for u in users
            ],
            ignore_conflicts=True,
        )
    if state == AlertState.SENT:
        held = None if crisis else quiet_until(settings_of(rule.workspace), now)
        if held is not None:
            alert.state = AlertState.HELD
            alert.save(update_fields=["state"])
        create_deliveries(rule, users, held or now, now, alert=alert)
    return alert


def create_deliveries(
    rule: AlertRule,
    users: Sequence[Any],
    when: dt.datetime,
    now: dt.datetime,
    *,
    alert: Alert | None = None,
    digest: Digest | None = None,
) -> list[Delivery]:
    channels = set(rule.channels or [])
    targets: list[tuple[str, str, str]] = []
    if Channel.EMAIL in channels:
        targets += [(Channel.EMAIL, a, "") for a in email_addresses(rule, users)]
    if Channel.WEBHOOK in channels:
        for hook in rule.webhooks or []:
            targets.append((Channel.WEBHOOK, hook["url"], hook.get("format", "signed")))
    return Delivery.objects.bulk_create(
        [
            Delivery(
                workspace_id=rule.workspace_id,
                alert=alert,
                digest=digest,
                channel=channel,
                target=target,
                format=fmt,
                next_attempt_at=when,
                created_at=now,
            )
            for channel, target, fmt in targets
        ]
    )


def send_after_commit(alert_ids: Sequence[int]) -> None:
    """Hand the deliveries due now to the workers once the alerts are committed."""
    if not alert_ids:
        return
    ids = list(alert_ids)

    def enqueue() -> None:
        from parvis.alerts.tasks import deliver_task

        due = Delivery.objects.filter(
            alert_id__in=ids, state="pending", next_attempt_at__lte=timezone.now()
        ).values_list("id", flat=True)
        for delivery_id in due:
            deliver_task(delivery_id)

    transaction.on_commit(enqueue)


def make_digests(now: dt.datetime | None = None) -> list[int]:
    """Every hour: each digest rule's waiting alerts become one digest, one message per
    channel and target (held to the end of quiet hours like any alert)."""
    now = now or timezone.now()
    made = []
    rule_ids = (
        Alert.objects.filter(state=AlertState.DIGEST).values_list("rule_id", flat=True).distinct()
    )
    for rule in AlertRule.objects.filter(pk__in=list(rule_ids)).select_related("workspace"):
        with transaction.atomic():
            waiting = Alert.objects.select_for_update().filter(rule=rule, state=AlertState.DIGEST)
            ids = list(waiting.values_list("id", flat=True))
            if not ids:
                continue
            digest = Digest.objects.create(
                workspace_id=rule.workspace_id, rule=rule, created_at=now
            )
            Alert.objects.filter(pk__in=ids).update(state=AlertState.DIGESTED, digest=digest)
            held = quiet_until(settings_of(rule.workspace), now)
            deliveries = create_deliveries(rule, recipients(rule), held or now, now, digest=digest)
            made.append(digest.pk)
            if held is None:
                delivery_ids = [d.pk for d in deliveries]

                def enqueue(delivery_ids: list[int] = delivery_ids) -> None:
                    from parvis.alerts.tasks import deliver_task

                    for delivery_id in delivery_ids:
                        deliver_task(delivery_id)

                transaction.on_commit(enqueue)
    return made


def episode_path(episode: Episode) -> str:
    return reverse("alerts:episode", args=[episode.workspace.slug, episode.pk])
