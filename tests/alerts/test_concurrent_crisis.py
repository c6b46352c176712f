"""Two editors (or an editor and the automatic start) acting on one crisis at once, on
PostgreSQL where they really run in parallel: one crisis, one checklist, and each contact
notified once. Both threads are held by a barrier after their checks, before their writes."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from parvis.alerts.crisis import services
from parvis.alerts.crisis.models import Crisis, CrisisLog, CrisisNotice, CrisisTask
from parvis.alerts.models import Delivery, Episode
from tests.alerts.test_crisis import CONTACTS

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has one writer at a time (its IMMEDIATE transactions)",
    ),
]


def both_at_once(monkeypatch, action) -> list[BaseException]:
    original = services.get_playbook
    barrier = threading.Barrier(2, timeout=4)

    def held(workspace):
        playbook = original(workspace)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return playbook

    monkeypatch.setattr(services, "get_playbook", held)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            action()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    monkeypatch.setattr(services, "get_playbook", original)
    return errors


def test_two_starts_and_two_notifications_at_once(workspace, owner, monkeypatch):
    services.do_save_playbook(workspace, owner, contacts=CONTACTS, checklist=["FAQ"])
    now = timezone.now()
    episode = Episode.objects.create(
        workspace=workspace, kind="negative", opened_at=now, fired_at=now, last_event_at=now
    )
    assert both_at_once(monkeypatch, lambda: services.do_start_crisis(episode, owner)) == []
    crisis = Crisis.objects.get(episode=episode)
    assert CrisisTask.objects.filter(crisis=crisis).count() == 2  # the pause and « FAQ »
    assert CrisisLog.objects.filter(crisis=crisis, kind="started").count() == 1

    assert both_at_once(monkeypatch, lambda: services.do_notify_contacts(crisis, owner)) == []
    assert sorted(CrisisNotice.objects.values_list("email", flat=True)) == [
        "claire@lumiere.test",
        "support@lumiere.test",
    ]
    assert Delivery.objects.count() == 2
    assert CrisisLog.objects.filter(crisis=crisis, kind="notified").count() == 1
