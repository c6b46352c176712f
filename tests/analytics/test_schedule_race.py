"""Two workers run the monthly schedule at the same moment (PostgreSQL: real concurrent
transactions): the month's report is e-mailed once."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, connections

from parvis.analytics import reports
from parvis.analytics.models import ScheduledSend
from tests.analytics import report_world as w

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_two_workers_send_the_month_once(workspace, owner, monkeypatch):
    reports.do_save_settings(
        workspace, None, colour="#1F4E79", language="fr", scheduled=True, day=2,
        recipients=["client@example.test"],
    )  # fmt: skip
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            sent.append(reports.run_schedules(w.NOW))
        finally:
            connections.close_all()

    # Both workers get past the cheap « already claimed? » read, as when they read it at the
    # same instant: only the unique constraint stands between them.
    monkeypatch.setattr(reports, "claimed", lambda schedule, period_start: False)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(sent) == [0, 1]
    assert ScheduledSend.objects.count() == 1
    assert len(mail.outbox) == 1
