"""Deliveries against real local servers: e-mail through SMTP (aiosmtpd), signed webhooks,
Slack and Mattermost messages, retries with backoff, one send per claim; and the rules that
keep alerts from storming (cool-down, digest, quiet hours with the « crise » exception)."""

from __future__ import annotations

import datetime as dt
import email
import email.header
import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.utils import timezone

from parvis.alerts import delivery, raising
from parvis.alerts.models import (
    Alert,
    AlertSettings,
    Delivery,
    Digest,
    Episode,
    Receipt,
)
from parvis.alerts.services import do_save_rule
from parvis.workspaces.roles import Role
from tests.alerts.servers import http_receiver, smtp_server

pytestmark = pytest.mark.django_db


def episode(workspace, kind="negative", at=None) -> Episode:
    at = at or timezone.now()
    return Episode.objects.create(
        workspace=workspace,
        kind=kind,
        query_name="Marque",
        opened_at=at,
        fired_at=at,
        last_event_at=at,
        baseline=2.0,
        peak_value=40,
    )


def raise_now(rule, ep, now=None):
    with transaction.atomic():
        return raising.raise_alert(rule, ep, now or timezone.now())


def test_email_reaches_members_roles_and_external_addresses_over_smtp(
    workspace, owner, member_factory, settings
):
    analyst = member_factory(Role.ANALYST)
    member_factory(Role.MODERATOR)
    rule, _ = do_save_rule(
        workspace,
        owner,
        {
            "name": "Crise",
            "kind": "spike",
            "metric": "negative",
            "channels": ["email", "app"],
            "member_ids": [owner.pk],
            "roles": ["analyst"],
            "emails": ["direction@lumiere.test"],
        },
    )
    alert = raise_now(rule, episode(workspace))
    targets = sorted(Delivery.objects.filter(alert=alert).values_list("target", flat=True))
    assert targets == sorted([owner.email, analyst.email, "direction@lumiere.test"])
    assert set(Receipt.objects.filter(alert=alert).values_list("user", flat=True)) == {
        owner.pk,
        analyst.pk,
    }
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "alertes@parvis.test"
        for d in Delivery.objects.filter(alert=alert):
            assert delivery.deliver(d.pk) == "sent"
            assert delivery.deliver(d.pk) == "not-due"  # sent once
    assert sorted(r for _f, rcpt, _c in inbox.messages for r in rcpt) == targets
    message = email.message_from_bytes(inbox.messages[0][2])
    assert message["From"] == "alertes@parvis.test"
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert "négatives" in subject  # in the workspace's language (French by default)
    keys = {f"<{d.key}@parvis>" for d in Delivery.objects.filter(alert=alert)}
    assert {email.message_from_bytes(c)["Message-ID"] for *_x, c in inbox.messages} == keys


def test_email_server_down_is_retried_later(workspace, owner, settings):
    rule, _ = do_save_rule(
        workspace, owner, {"name": "R", "channels": ["email"], "emails": ["a@b.test"]}
    )
    alert = raise_now(rule, episode(workspace))
    d = Delivery.objects.get(alert=alert)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    assert delivery.deliver(d.pk) == "pending"
    d.refresh_from_db()
    assert d.attempts == 1 and d.last_error and d.next_attempt_at > timezone.now()


def signed_rule(workspace, owner, url, **extra):
    data = {
        "name": "Webhook",
        "channels": ["webhook"],
        "webhooks": [{"url": url + "/hook", "format": "signed"}],
        "secret": "s3cret",
    }
    data.update(extra)
    rule, _ = do_save_rule(workspace, owner, data)
    return rule


def test_signed_webhook_with_idempotency_key_and_retries_with_backoff(workspace, owner):
    with http_receiver() as (receiver, url):
        rule = signed_rule(workspace, owner, url)
        ep = episode(workspace)
        alert = raise_now(rule, ep)
        d = Delivery.objects.get(alert=alert)
        receiver.answers = [503]
        assert delivery.deliver(d.pk) == "pending"
        d.refresh_from_db()
        assert d.attempts == 1 and "503" in d.last_error
        assert d.next_attempt_at > timezone.now() + dt.timedelta(seconds=5)
        assert delivery.deliver(d.pk) == "not-due"  # waits for its backoff
        Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
        assert delivery.deliver(d.pk) == "sent"
        assert delivery.deliver(d.pk) == "not-due"
    assert len(receiver.requests) == 2
    path, headers, body = receiver.requests[-1]
    assert path == "/hook"
    assert headers["Idempotency-Key"] == str(d.key) == receiver.requests[0][1]["Idempotency-Key"]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Parvis-Signature"] == expected
    data = json.loads(body)
    assert data["event"] == "alert"
    assert data["episode"]["id"] == ep.pk and data["episode"]["kind"] == "negative"
    assert data["alert"]["severity"] == "important"
    assert data["workspace"] == "lumiere"


def test_a_refused_webhook_fails_without_retrying(workspace, owner):
    with http_receiver() as (receiver, url):
        rule = signed_rule(workspace, owner, url)
        d = Delivery.objects.get(alert=raise_now(rule, episode(workspace)))
        receiver.answers = [404]
        assert delivery.deliver(d.pk) == "failed"
    d.refresh_from_db()
    assert d.state == "failed" and "404" in d.last_error


def test_a_delivery_claimed_by_another_worker_is_not_sent_twice(workspace, owner):
    with http_receiver() as (receiver, url):
        rule = signed_rule(workspace, owner, url)
        d = Delivery.objects.get(alert=raise_now(rule, episode(workspace)))
        assert delivery.claim(d.pk, timezone.now())  # another worker holds it
        assert delivery.deliver(d.pk) == "not-due"
        assert receiver.requests == []
        # That worker died: once its claim has expired, the delivery goes again.
        later = timezone.now() + delivery.CLAIM + dt.timedelta(seconds=1)
        assert d.pk in delivery.due_deliveries(later)


def test_private_addresses_are_refused_unless_allowed(workspace, owner, settings):
    settings.PARVIS_ALLOW_PRIVATE_ADDRESSES = False
    with http_receiver() as (receiver, url):
        rule = signed_rule(workspace, owner, url)
        d = Delivery.objects.get(alert=raise_now(rule, episode(workspace)))
        assert delivery.deliver(d.pk) == "failed"
    assert receiver.requests == []
    d.refresh_from_db()
    assert "private network" in d.last_error


def test_slack_and_mattermost_messages(workspace, owner):
    with http_receiver() as (receiver, url):
        rule, _ = do_save_rule(
            workspace,
            owner,
            {
                "name": "Chat",
                "severity": "crisis",
                "channels": ["webhook"],
                "webhooks": [
                    {"url": url + "/slack", "format": "slack"},
                    {"url": url + "/mm", "format": "mattermost"},
                ],
            },
        )
        alert = raise_now(rule, episode(workspace, kind="volume"))
        for d in Delivery.objects.filter(alert=alert):
            assert delivery.deliver(d.pk) == "sent"
    got = {path: json.loads(body) for path, _h, body in receiver.requests}
    assert got["/slack"]["text"].startswith("[Parvis]")
    assert got["/slack"]["blocks"][0]["type"] == "header"
    assert got["/mm"]["text"] == got["/slack"]["text"]
    assert got["/mm"]["attachments"][0]["color"] == "#c0392b"
    assert all("X-Parvis-Signature" not in h for _p, h, _b in receiver.requests)


def test_cool_down_records_but_tells_no_one(workspace, owner):
    rule, _ = do_save_rule(
        workspace,
        owner,
        {"name": "R", "channels": ["app", "email"], "roles": ["owner"], "cooldown_minutes": 30},
    )
    now = timezone.now()
    first = raise_now(rule, episode(workspace), now)
    second = raise_now(rule, episode(workspace), now + dt.timedelta(minutes=10))
    third = raise_now(rule, episode(workspace), now + dt.timedelta(minutes=45))
    assert (first.state, second.state, third.state) == ("sent", "suppressed", "sent")
    assert not Delivery.objects.filter(alert=second).exists()
    assert not Receipt.objects.filter(alert=second).exists()
    # One alert per episode and rule, whatever calls it.
    assert raise_now(rule, first.episode) is None


def test_quiet_hours_hold_deliveries_except_for_a_crisis(workspace, owner):
    AlertSettings.objects.create(
        workspace=workspace,
        time_zone="Europe/Paris",
        quiet_hours=True,
        quiet_start=dt.time(22, 0),
        quiet_end=dt.time(7, 0),
    )
    night = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)  # 00:30 in Paris
    calm, _ = do_save_rule(
        workspace, owner, {"name": "A", "channels": ["email", "app"], "roles": ["owner"]}
    )
    crisis, _ = do_save_rule(
        workspace,
        owner,
        {"name": "B", "channels": ["email"], "roles": ["owner"], "severity": "crisis"},
    )
    held = raise_now(calm, episode(workspace), night)
    urgent = raise_now(crisis, episode(workspace), night)
    assert held.state == "held"
    assert Delivery.objects.get(alert=held).next_attempt_at == dt.datetime(
        2026, 12, 8, 6, 0, tzinfo=dt.UTC
    )
    assert Receipt.objects.filter(alert=held).exists()  # the bell shows it at once
    d = Delivery.objects.get(alert=held)
    assert d.pk not in delivery.due_deliveries(night + dt.timedelta(hours=6))
    assert d.pk in delivery.due_deliveries(dt.datetime(2026, 12, 8, 6, 0, 1, tzinfo=dt.UTC))
    assert urgent.state == "sent"
    assert Delivery.objects.get(alert=urgent).next_attempt_at == night
    day = dt.datetime(2026, 12, 8, 10, 0, tzinfo=dt.UTC)
    assert raising.quiet_until(AlertSettings.objects.get(), day) is None


def test_digest_gathers_the_hour_into_one_message_per_target(workspace, owner):
    with http_receiver() as (receiver, url):
        rule = signed_rule(workspace, owner, url, digest=True, cooldown_minutes=0)
        a1 = raise_now(rule, episode(workspace))
        a2 = raise_now(rule, episode(workspace, kind="volume"))
        assert (a1.state, a2.state) == ("digest", "digest")
        assert not Delivery.objects.exists()
        made = raising.make_digests()
        assert len(made) == 1 and raising.make_digests() == []
        digest = Digest.objects.get()
        assert set(Alert.objects.values_list("state", flat=True)) == {"digested"}
        d = Delivery.objects.get(digest=digest)
        assert delivery.deliver(d.pk) == "sent"
    data = receiver.json()
    assert data["event"] == "digest"
    assert [a["id"] for a in data["alerts"]] == [a1.pk, a2.pk]


def test_a_stale_claim_finishing_last_does_not_overwrite_the_newer_claims_result(
    workspace, owner, monkeypatch
):
    """Worker A claims and sends slowly; its claim expires, worker B claims again and
    delivers; then A's send fails. A's late write must not turn B's « sent » into a retry."""
    with http_receiver() as (receiver, url):
        rule = signed_rule(workspace, owner, url)
        d = Delivery.objects.get(alert=raise_now(rule, episode(workspace)))
        real_send = delivery.send_webhook
        calls = []

        def interleaved(target, data, secret):
            calls.append(target.attempts)
            if len(calls) == 1:
                # A is slow: its claim runs out, and B (another worker) takes the delivery.
                Delivery.objects.filter(pk=d.pk).update(
                    claimed_until=timezone.now() - dt.timedelta(seconds=1)
                )
                assert delivery.deliver(d.pk) == "sent"
                raise delivery.Failed("A timed out reaching the webhook")
            return real_send(target, data, secret)

        monkeypatch.setattr(delivery, "send_webhook", interleaved)
        assert delivery.deliver(d.pk) == "stale"
    assert calls == [1, 2]  # A held claim 1, B claim 2
    d.refresh_from_db()
    assert (d.state, d.attempts, d.last_error, d.claimed_until) == ("sent", 2, "", None)
    assert d.sent_at is not None
    assert len(receiver.requests) == 1
    assert Alert.objects.get(pk=d.alert_id).state == "sent"
