"""Sending one Delivery: e-mail or webhook, claimed before it is sent, retried with backoff.

Exactly once, as far as the other side lets us: a delivery is claimed by a conditional update
(one worker wins; a worker that dies while sending leaves a claim that expires, and the
delivery is sent again with the same key). The key is the webhook's `Idempotency-Key` header
and the e-mail's Message-ID, so a receiver that saw it already can drop the repeat.

Signed webhooks carry `X-Parvis-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body
bytes with the rule's secret (docs/alerts.md has a verification example).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.alerts.models import (
    Alert,
    AlertRule,
    AlertState,
    Delivery,
    DeliveryState,
    Digest,
    Episode,
    Severity,
    WebhookFormat,
)
from parvis.connectors import crypto
from parvis.connectors import http as guarded_http
from parvis.connectors.base import PermanentError, RetryLater

log = logging.getLogger(__name__)

CLAIM = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 8
SIGNATURE_HEADER = "X-Parvis-Signature"
MAX_ANSWER = 64 * 1024

# A test may hand a transport (httpx.MockTransport); None: the guarded network.
transport: httpx.BaseTransport | None = None


class Failed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def secret_of(rule: AlertRule) -> str:
    if not rule.webhook_secret:
        return ""
    try:
        return crypto.decrypt(bytes(rule.webhook_secret)).get("secret", "")
    except crypto.CredentialsUnreadable:
        return ""


# --- what is said ---------------------------------------------------------------------------


def episode_data(episode: Episode) -> dict[str, Any]:
    return {
        "id": episode.pk,
        "kind": episode.kind,
        "query": episode.query_name or None,
        "severity": episode.severity,
        "opened_at": episode.opened_at.isoformat(),
        "closed_at": episode.closed_at.isoformat() if episode.closed_at else None,
        "peak_value": episode.peak_value,
        "resolution": episode.resolution,
        "baseline": round(episode.baseline, 3),
        "mention_count": episode.mention_count,
    }


# Builders for deliveries that are neither an alert's nor a digest's (the crisis room's
# notices, parvis/alerts/crisis): each returns the message's data, or None if not its own.
# Such data carries its own "subject" and "text".
PAYLOADS: list[Callable[[Delivery], dict[str, Any] | None]] = []


def payload(delivery: Delivery) -> dict[str, Any]:
    if not delivery.alert_id and not delivery.digest_id:
        for build in PAYLOADS:
            data = build(delivery)
            if data is not None:
                return data
        raise Failed("nothing to send for this delivery", permanent=True)
    if delivery.alert_id:
        alert = Alert.objects.select_related("rule", "episode", "workspace").get(
            pk=delivery.alert_id
        )
        return {
            "event": "alert",
            "key": str(delivery.key),
            "workspace": alert.workspace.slug,
            "rule": {"id": alert.rule_id, "name": alert.rule.name},
            "alert": {
                "id": alert.pk,
                "title": alert.title,
                "severity": alert.severity,
                "created_at": alert.created_at.isoformat(),
            },
            "episode": episode_data(alert.episode),
            "sent_at": timezone.now().isoformat(),
        }
    assert delivery.digest_id is not None  # a delivery is for an alert or a digest
    digest = Digest.objects.select_related("rule", "workspace").get(pk=delivery.digest_id)
    alerts = list(digest.alerts.select_related("episode").order_by("created_at", "id"))
    return {
        "event": "digest",
        "key": str(delivery.key),
        "workspace": digest.workspace.slug,
        "rule": {"id": digest.rule_id, "name": digest.rule.name},
        "alerts": [
            {
                "id": a.pk,
                "title": a.title,
                "severity": a.severity,
                "created_at": a.created_at.isoformat(),
                "episode": episode_data(a.episode),
            }
            for a in alerts
        ],
        "sent_at": timezone.now().isoformat(),
    }


def summary_text(data: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) in plain text."""
    if "subject" in data:
        return str(data["subject"])[:200], str(data["text"])
    rule = data["rule"]["name"]
    if data["event"] == "alert":
        alert = data["alert"]
        severity = Severity(alert["severity"]).label
        subject = _("[Parvis] %(severity)s: %(title)s") % {
            "severity": severity,
            "title": alert["title"],
        }
        lines = [alert["title"], "", _("Rule: %(rule)s") % {"rule": rule}]
        lines.append(_("Since: %(when)s") % {"when": data["episode"]["opened_at"]})
        return str(subject)[:200], "\n".join(str(x) for x in lines)
    count = len(data["alerts"])
    subject = _("[Parvis] %(rule)s: %(count)s alerts this hour") % {"rule": rule, "count": count}
    lines = [f"- {a['title']}" for a in data["alerts"]]
    return str(subject)[:200], "\n".join(lines)


def body_for(fmt: str, data: dict[str, Any]) -> bytes:
    subject, text = summary_text(data)
    if fmt == WebhookFormat.SLACK:
        message: dict[str, Any] = {
            "text": subject,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
                {"type": "section", "text": {"type": "plain_text", "text": text[:2900]}},
            ],
        }
    elif fmt == WebhookFormat.MATTERMOST:
        color = "#c0392b" if "crisis" in json.dumps(data) else "#e67e22"
        message = {
            "text": subject,
            "attachments": [
                {"fallback": subject, "color": color, "title": subject, "text": text[:3900]}
            ],
        }
    else:
        message = data
    return json.dumps(message, ensure_ascii=False, sort_keys=True).encode()


# --- sending --------------------------------------------------------------------------------


def send_email(delivery: Delivery, data: dict[str, Any]) -> None:
    subject, text = summary_text(data)
    message = EmailMessage(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [delivery.target],
        headers={"Message-ID": f"<{delivery.key}@parvis>"},
        connection=get_connection(fail_silently=False),
    )
    try:
        message.send()
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        raise Failed(f"{type(exc).__name__}: {exc}"[:500]) from exc


def send_webhook(delivery: Delivery, data: dict[str, Any], secret: str) -> None:
    body = body_for(delivery.format, data)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": str(delivery.key),
        "X-Parvis-Event": data["event"],
    }
    if delivery.format in ("", WebhookFormat.SIGNED):
        headers[SIGNATURE_HEADER] = sign(secret, body)
    with guarded_http.client(transport, max_body=MAX_ANSWER) as client:
        try:
            guarded_http.check(client.post(delivery.target, content=body, headers=headers))
        except RetryLater as exc:
            raise Failed(str(exc)[:500], retry_after=exc.retry_after) from exc
        except PermanentError as exc:
            raise Failed(str(exc)[:500], permanent=True) from exc
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise Failed(f"{type(exc).__name__} reaching the webhook"[:500]) from exc
        except httpx.InvalidURL as exc:
            raise Failed(f"invalid URL: {exc}"[:500], permanent=True) from exc
        except httpx.HTTPError as exc:  # too many redirects, an undecodable answer…
            raise Failed(f"{type(exc).__name__} from the webhook"[:500]) from exc


def claim(delivery_id: int, now: dt.datetime) -> dt.datetime | None:
    """Claim the delivery if it is due: the end of this worker's claim, or None if another
    worker holds it or it is not due. The claim's end and the attempt number (both set by the
    one update that won) identify this claim afterwards."""
    due = Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, claimed_until__lt=now
    )
    until = now + CLAIM
    won = Delivery.objects.filter(due, pk=delivery_id).update(
        state=DeliveryState.SENDING, claimed_until=until, attempts=F("attempts") + 1
    )
    return until if won else None


def deliver(delivery_id: int) -> str:
    """Send one delivery if it is due and this worker wins its claim; its new state."""
    now = timezone.now()
    until = claim(delivery_id, now)
    if until is None:
        return "not-due"
    delivery = Delivery.objects.get(pk=delivery_id)
    if delivery.state != DeliveryState.SENDING or delivery.claimed_until != until:
        return "not-due"  # our claim expired before we even read it: the other worker's now
    # Every write below holds only while the claim is still ours: a worker slow enough for its
    # claim to expire (and another to claim the delivery again) must not overwrite the newer
    # claim's result — `attempts` grows with each claim, `claimed_until` is this claim's.
    mine = Delivery.objects.filter(
        pk=delivery_id,
        state=DeliveryState.SENDING,
        claimed_until=until,
        attempts=delivery.attempts,
    )
    try:
        data = payload(delivery)
        if delivery.channel == "email":
            send_email(delivery, data)
        else:
            rule = (delivery.alert or delivery.digest).rule  # type: ignore[union-attr]
            send_webhook(delivery, data, secret_of(rule))
    except Failed as exc:
        if exc.permanent or delivery.attempts >= MAX_ATTEMPTS:
            written = mine.update(
                state=DeliveryState.FAILED, last_error=str(exc), claimed_until=None
            )
            return DeliveryState.FAILED if written else stale(delivery)
        wait = guarded_http.backoff(delivery.attempts, exc.retry_after, base=15.0, cap=3600.0)
        written = mine.update(
            state=DeliveryState.PENDING,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=wait),
            last_error=str(exc),
            claimed_until=None,
        )
        return DeliveryState.PENDING if written else stale(delivery)
    written = mine.update(
        state=DeliveryState.SENT, sent_at=timezone.now(), claimed_until=None, last_error=""
    )
    if not written:
        return stale(delivery)
    if delivery.alert_id:
        # Held for the quiet hours, now on its way.
        Alert.objects.filter(pk=delivery.alert_id, state=AlertState.HELD).update(
            state=AlertState.SENT
        )
    return DeliveryState.SENT


def stale(delivery: Delivery) -> str:
    """This worker's claim expired while it sent and another worker claimed the delivery
    again: the newer claim's result stands (the receiver may see the message twice, with the
    same key)."""
    log.warning("alerts: delivery %s: claim expired while sending, result dropped", delivery.pk)
    return "stale"


def due_deliveries(now: dt.datetime) -> list[int]:
    due = Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, claimed_until__lt=now
    )
    return list(Delivery.objects.filter(due).order_by("id").values_list("id", flat=True)[:500])
