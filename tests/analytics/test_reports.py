"""Reports in the app, the API, the CLI and the schedule: written by the worker's function
with its progress, kept in the archive, downloaded by members only, e-mailed once a month."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from parvis.analytics import report, reports
from parvis.analytics.models import Report, ReportSettings, ScheduledSend
from parvis.workspaces.roles import Role
from tests.analytics import report_world as w
from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db(transaction=False)


def written(workspace, owner, fmt="pdf", **extra) -> Report:
    asked = reports.do_request_report(workspace, owner, w.SINCE, w.UNTIL, fmt, **extra)
    done = reports.run_report(asked.pk, now=w.NOW)
    assert done is not None
    return done


def test_a_report_is_written_once_with_its_progress(workspace, owner, monkeypatch):
    w.build(workspace, owner)
    seen = []
    real = report.generate

    def spying(*args, **kwargs):
        inner = kwargs["progress"]
        kwargs["progress"] = lambda p: (inner(p), seen.append(Report.objects.get().progress))
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "generate", spying)
    done = written(workspace, owner, comments="Bon mois.")
    assert done.state == "done" and done.progress == 100
    assert seen[:3] == [15, 25, 55]  # saved as the figures are gathered
    path = reports.report_file(done)
    assert path is not None and path.read_bytes().startswith(b"%PDF")
    assert done.size == path.stat().st_size
    # A second worker handed the same report does nothing.
    assert reports.run_report(done.pk, now=w.NOW) is None


def test_a_failed_report_says_why(workspace, owner, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(report, "generate", broken)
    done = written(workspace, owner)
    assert done.state == "failed"
    assert "disque plein" in done.error
    assert reports.report_file(done) is None


@pytest.mark.parametrize(
    ("since", "until", "fmt", "comments"),
    [
        (w.UNTIL, w.SINCE, "pdf", ""),
        (w.SINCE, dt.date(9999, 12, 31), "pdf", ""),
        (w.SINCE, w.UNTIL, "docx", ""),
        (w.SINCE, w.UNTIL, "pdf", "x\x00y"),
        (w.SINCE, w.UNTIL, "pdf", "\ud800"),
        (w.SINCE, w.UNTIL, "pdf", "x" * 1_000_000),
    ],
)
def test_bad_requests_are_refused(workspace, owner, since, until, fmt, comments):
    with pytest.raises(ValidationError):
        reports.do_request_report(workspace, owner, since, until, fmt, comments=comments)
    assert not Report.objects.exists()


def test_archive_page_download_and_isolation(workspace, owner, other_workspace, member_factory):
    w.build(workspace, owner)
    done = written(workspace, owner, fmt="csv")
    client = login(owner)
    page = client.get(f"/w/{workspace.slug}/reports/")
    assert page.status_code == 200
    assert f"/w/{workspace.slug}/reports/{done.pk}/download/" in page.content.decode()
    got = client.get(f"/w/{workspace.slug}/reports/{done.pk}/download/")
    assert got.status_code == 200
    assert b"".join(got.streaming_content).decode("utf-8-sig").startswith("Maison Lumi")
    assert "attachment" in got["Content-Disposition"]
    # Another workspace's owner, through their own workspace's address: 404.
    rival = member_factory(Role.OWNER, ws=other_workspace, username="rival")
    assert (
        login(rival).get(f"/w/{other_workspace.slug}/reports/{done.pk}/download/").status_code
        == 404
    )
    assert login(rival).get(f"/w/{workspace.slug}/reports/{done.pk}/download/").status_code == 404
    # A client reads and downloads, but cannot ask for a report.
    customer = login(member_factory(Role.CLIENT, username="client"))
    assert customer.get(f"/w/{workspace.slug}/reports/{done.pk}/download/").status_code == 200
    posted = customer.post(f"/w/{workspace.slug}/reports/", {"since": "2026-11-01"})
    assert posted.status_code == 403


def test_asking_in_the_page_queues_the_report(workspace, owner, django_capture_on_commit_callbacks):
    client = login(owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"/w/{workspace.slug}/reports/",
            {"since": "2026-11-01", "until": "2026-11-30", "format": "xlsx", "language": "en",
             "comments": "<script>alert(1)</script>"},
        )  # fmt: skip
    assert response.status_code == 302
    asked = Report.objects.get()
    assert (asked.format, asked.state, asked.created_by) == ("xlsx", "queued", owner)
    assert len(callbacks) == 1
    page = client.get(f"/w/{workspace.slug}/reports/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert 'hx-trigger="every 2s"' in page  # the page follows the report being written
    bad = client.post(
        f"/w/{workspace.slug}/reports/",
        {"since": "2026-11-30", "until": "2026-11-01", "format": "pdf", "language": "fr"},
    )
    assert bad.status_code == 200 and Report.objects.count() == 1


def test_api_create_follow_download(workspace, owner, client):
    w.build(workspace, owner)
    headers = bearer(owner)
    base = f"/api/v1/workspaces/{workspace.slug}/reports"
    created = client.post(
        base, {"from": "2026-11-01", "to": "2026-11-30", "format": "pdf"},
        content_type="application/json", **headers,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["from"], body["download_url"]) == ("queued", "2026-11-01", None)
    reports.run_report(body["id"], now=w.NOW)
    state = client.get(f"{base}/{body['id']}", **headers).json()
    assert state["state"] == "done" and state["progress"] == 100
    got = client.get(state["download_url"], **headers)
    assert got.status_code == 200
    assert b"".join(got.streaming_content).startswith(b"%PDF")
    for bad in (
        {"from": "2026-11-30", "to": "2026-11-01"},
        {"from": "2026-11-01", "to": "9999-12-31"},
        {"from": "2026-11-01", "to": "2026-11-30", "format": "exe"},
        {"from": "nope", "to": "2026-11-30"},
    ):
        answer = client.post(base, bad, content_type="application/json", **headers)
        assert answer.status_code in (400, 422), (bad, answer.status_code)
    assert client.get(f"{base}/{2**64}", **headers).status_code in (404, 422)


def settings_for(workspace, **extra) -> ReportSettings:
    addresses = ["client@example.test", "Client@Example.test", "boss@example.test"]
    values = {"colour": "#7A2E3B", "language": "fr", "scheduled": True, "day": 2}
    values["recipients"] = addresses
    values.update(extra)
    return reports.do_save_settings(workspace, None, **values)


def test_settings_are_checked(workspace):
    found = settings_for(workspace)
    assert found.recipients == ["client@example.test", "boss@example.test"]
    for bad in (
        {"colour": "red"},
        {"day": 31},
        {"recipients": ["pas une adresse"]},
        {"recipients": []},
        {"language": "de"},
    ):
        with pytest.raises(ValidationError):
            settings_for(workspace, **bad)


def test_scheduled_report_is_emailed_once(workspace, owner, tmp_path):
    w.build(workspace, owner)
    settings_for(workspace, comments="Recommandation : publier le mardi.")
    before = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)  # the 1st in Paris: not yet
    assert reports.run_schedules(before) == 0
    assert reports.run_schedules(w.NOW) == 1
    assert reports.run_schedules(w.NOW + dt.timedelta(hours=1)) == 0  # the next hour's run
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["client@example.test", "boss@example.test"]
    assert "Maison Lumière" in sent.subject
    (name, content, mimetype) = sent.attachments[0]
    assert (name, mimetype) == ("lumiere-2026-11-01-2026-11-30.pdf", "application/pdf")
    claim = ScheduledSend.objects.get()
    assert claim.period_start == w.SINCE and claim.sent_at is not None
    assert claim.report.state == "done" and claim.report.created_by is None
    if shutil.which("pdftotext"):
        (tmp_path / "sent.pdf").write_bytes(content)
        text = subprocess.run(
            ["pdftotext", str(tmp_path / "sent.pdf"), "-"], capture_output=True, check=True
        ).stdout.decode()
        assert "Recommandation : publier le mardi." in text
        assert "1 novembre 2026" in text


def test_a_second_worker_finds_the_month_taken(workspace, owner):
    """Two workers running the schedule at once: the one that creates the month's row sends;
    the other's insert fails on the unique constraint and it sends nothing."""
    schedule = settings_for(workspace)
    ScheduledSend.objects.create(workspace=workspace, schedule=schedule, period_start=w.SINCE)
    assert reports.run_schedules(w.NOW) == 0
    assert mail.outbox == []
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledSend.objects.create(workspace=workspace, schedule=schedule, period_start=w.SINCE)


def test_cli_writes_the_report(workspace, owner, tmp_path, capsys):
    from parvis import cli

    w.build(workspace, owner)
    out = tmp_path / "rapport.xlsx"
    code = cli.main(["report", "--workspace", "lumiere", "--from", "2026-11-01",
                     "--to", "2026-11-30", "--format", "xlsx", "--out", str(out)])  # fmt: skip
    assert code == 0
    assert out.read_bytes()[:2] == b"PK"
    assert cli.main(["report", "--workspace", "nope", "--from", "2026-11-01", "--to",
                     "2026-11-30", "--out", str(out)]) != 0  # fmt: skip
    assert cli.main(["report", "--workspace", "lumiere", "--from", "2026-11-30", "--to",
                     "2026-11-01", "--out", str(out)]) != 0  # fmt: skip


def test_settings_page(workspace, owner, member_factory):
    client = login(owner)
    url = f"/w/{workspace.slug}/reports/settings/"
    assert client.get(url).status_code == 200
    form = {"colour": "#aa3300", "language": "en", "scheduled": "on", "day": "3", "comments": ""}
    form["recipients"] = "client@example.test\r\n\r\nautre@example.test"
    assert client.post(url, form).status_code == 302
    saved = ReportSettings.objects.get(workspace=workspace)
    assert (saved.colour, saved.language, saved.day) == ("#AA3300", "en", 3)
    assert saved.recipients == ["client@example.test", "autre@example.test"]
    page = client.post(url, {**form, "colour": "#zzzzzz"})
    assert page.status_code == 200
    assert ReportSettings.objects.get(workspace=workspace).colour == "#AA3300"
    # A logo, uploaded with the form; then removed.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.analytics.test_report_pdf import png

    logo = SimpleUploadedFile("logo.png", png(120, 60), content_type="image/png")
    assert client.post(url, {**form, "logo": logo}).status_code == 302
    assert bytes(ReportSettings.objects.get(workspace=workspace).logo).startswith(b"\x89PNG")
    assert "logo-state" in client.get(url).content.decode()
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    assert client.post(url, {**form, "logo": fake}).status_code == 200
    assert client.post(url, {**form, "remove_logo": "on"}).status_code == 302
    assert ReportSettings.objects.get(workspace=workspace).logo is None
    analyst = login(member_factory(Role.ANALYST, username="analyst"))
    assert analyst.get(url).status_code == 403
    assert analyst.get(f"/w/{workspace.slug}/reports/").status_code == 200


def test_a_report_lost_with_its_worker_is_written_again(workspace, owner, monkeypatch):
    asked = reports.do_request_report(workspace, owner, w.SINCE, w.UNTIL, "csv")
    started = w.NOW - dt.timedelta(hours=1)
    Report.objects.filter(pk=asked.pk).update(state="running", finished_at=started)
    queued = []
    monkeypatch.setattr(reports, "queue", queued.append)
    assert reports.requeue_lost(started + dt.timedelta(minutes=10)) == 0  # still being written
    assert reports.run_report(asked.pk, now=started + dt.timedelta(minutes=10)) is None
    assert reports.requeue_lost(w.NOW) == 1 and queued == [asked.pk]
    assert reports.run_report(asked.pk, now=w.NOW).state == "done"
