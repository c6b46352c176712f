"""The reports' actions: asking for a report (written by the worker, with its progress), the
archive's files, the report settings (colour, language, monthly schedule) and the schedule's
run, which sends each period's PDF exactly once (docs/analytics.md, « The client report »)."""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parvis.analytics import report
from parvis.analytics.models import (
    Report,
    ReportFormat,
    ReportLanguage,
    ReportSettings,
    ReportState,
    ScheduledSend,
)
from parvis.core.audit import record_event
from parvis.workspaces.models import Workspace
from parvis.workspaces.zones import zone_of

MAX_COMMENTS = 20_000
MAX_RECIPIENTS = 20
COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
# A report left « being written » this long was lost with its worker: it may be asked again.
STALE = dt.timedelta(minutes=30)


def clean_text(value: str, limit: int, field: str) -> str:
    """Text a user wrote, checked: NUL and lone surrogates refused (no database column takes
    them), at most `limit` characters."""
    if len(value) > limit:
        raise ValidationError(
            {field: _("At most %(limit)s characters.") % {"limit": f"{limit:,}".replace(",", " ")}}
        )
    if "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValidationError({field: _("This text holds characters that cannot be stored.")})
    return value.replace("\r\n", "\n").strip()


def do_request_report(
    workspace: Workspace,
    user: Any,
    since: dt.date,
    until: dt.date,
    fmt: str,
    comments: str = "",
    language: str = "",
) -> Report:
    """A report of [since, until] in `fmt`, queued for the worker (after the commit)."""
    try:
        report.check_period(since, until)
    except report.PeriodError as error:
        raise ValidationError({"until": str(error)}) from error
    if fmt not in ReportFormat.values:
        raise ValidationError({"format": _("Choose PDF, CSV or XLSX.")})
    language = language or report.settings_of(workspace).language
    if language not in ReportLanguage.values:
        raise ValidationError({"language": _("Choose French or English.")})
    created = Report.objects.create(
        workspace=workspace,
        since=since,
        until=until,
        format=fmt,
        language=language,
        comments=clean_text(comments, MAX_COMMENTS, "comments"),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    record_event(
        "report.requested",
        actor=user if getattr(user, "is_authenticated", False) else None,
        workspace=workspace,
        report_id=created.pk,
        format=fmt,
    )
    transaction.on_commit(lambda: queue(created.pk))
    return created


def queue(report_id: int) -> None:
    from parvis.analytics.tasks import write_report_task

    write_report_task(report_id)


def reports_dir(workspace_id: int) -> Path:
    return Path(settings.DATA_DIR) / "reports" / str(workspace_id)


def run_report(report_id: int, now: dt.datetime | None = None) -> Report | None:
    """Write a queued report (or one lost by a dead worker) to the data dir; its state and
    progress are saved as it goes. The claim is a conditional UPDATE: two workers handed the
    same report write it once."""
    now = now or timezone.now()
    # finished_at holds the claim's time while the report is being written.
    lost = Q(state=ReportState.RUNNING, finished_at__lt=now - STALE)
    claimable = Report.objects.filter(Q(state=ReportState.QUEUED) | lost, pk=report_id)
    if not claimable.update(state=ReportState.RUNNING, progress=1, finished_at=now):
        return None
    found = Report.objects.select_related("workspace").get(pk=report_id)

    def progress(percent: int) -> None:
        Report.objects.filter(pk=report_id).update(progress=max(1, min(percent, 99)))

    try:
        content = report.generate(
            found.workspace,
            found.since,
            found.until,
            found.format,
            comments=found.comments,
            language=found.language,
            now=now,
            progress=progress,
        )
        path = write_file(found, content)
    except Exception as error:  # a report that fails says why; the worker goes on
        Report.objects.filter(pk=report_id).update(
            state=ReportState.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        found.refresh_from_db()
        return found
    Report.objects.filter(pk=report_id).update(
        state=ReportState.DONE,
        progress=100,
        path=str(path),
        size=len(content),
        finished_at=timezone.now(),
    )
    found.refresh_from_db()
    return found


def requeue_lost(now: dt.datetime | None = None) -> int:
    """Hand the reports whose worker died while writing them (« being written » for longer
    than STALE) to the queue again; run_report claims them anew."""
    now = now or timezone.now()
    lost = list(
        Report.objects.filter(state=ReportState.RUNNING, finished_at__lt=now - STALE).values_list(
            "pk", flat=True
        )[:100]
    )
    for report_id in lost:
        queue(report_id)
    return len(lost)


def write_file(found: Report, content: bytes) -> Path:
    """The file under the data dir (a random part in its name: nothing guesses it), written
    whole then renamed into place; the path returned is relative to the data dir."""
    folder = reports_dir(found.workspace_id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{found.pk}-{secrets.token_hex(8)}.{found.format}"
    partial = folder / (name + ".part")
    partial.write_bytes(content)
    partial.replace(folder / name)
    return (folder / name).relative_to(Path(settings.DATA_DIR))


def report_file(found: Report) -> Path | None:
    """The report's file if it is done and still on disk, inside the data dir."""
    if found.state != ReportState.DONE or not found.path:
        return None
    root = Path(settings.DATA_DIR).resolve()
    path = (root / found.path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def download_name(found: Report) -> str:
    return report.file_name(found.workspace, found.since, found.until, found.format)


# --- settings and the monthly schedule ----------------------------------------------------


def do_save_settings(
    workspace: Workspace,
    user: Any,
    *,
    colour: str,
    language: str,
    scheduled: bool,
    day: int,
    recipients: list[str],
    comments: str = "",
) -> ReportSettings:
    errors: dict[str, str] = {}
    if not COLOUR_RE.match(colour or ""):
        errors["colour"] = _("A colour is written #RRGGBB, e.g. #1F4E79.")
    if language not in ReportLanguage.values:
        errors["language"] = _("Choose French or English.")
    if not 1 <= day <= 28:
        errors["day"] = _("Choose a day from 1 to 28 (every month has it).")
    cleaned: list[str] = []
    for address in recipients:
        address = address.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors["recipients"] = _("« %(address)s » is not an e-mail address.") % {
                "address": address[:100]
            }
            break
        if address.lower() not in {a.lower() for a in cleaned}:
            cleaned.append(address)
    if len(cleaned) > MAX_RECIPIENTS:
        errors["recipients"] = _("At most %(count)s recipients.") % {"count": MAX_RECIPIENTS}
    if scheduled and not cleaned and "recipients" not in errors:
        errors["recipients"] = _("A scheduled report needs at least one recipient.")
    if errors:
        raise ValidationError(errors)
    comments = clean_text(comments, MAX_COMMENTS, "comments")
    found, _created = ReportSettings.objects.get_or_create(workspace=workspace)
    found.colour = colour.upper()
    found.language = language
    found.scheduled = scheduled
    found.day = day
    found.recipients = cleaned
    found.comments = comments
    found.save(
        update_fields=[
            "colour",
            "language",
            "scheduled",
            "day",
            "recipients",
            "comments",
            "updated_at",
        ]
    )
    record_event(
        "report.settings",
        actor=user if getattr(user, "is_authenticated", False) else None,
        workspace=workspace,
        scheduled=scheduled,
        day=day,
        recipients=len(cleaned),
    )
    return found


MAX_LOGO = 512 * 1024


def check_logo(content: bytes) -> bytes:
    """A logo as uploaded, checked: at most 512 KB, a PNG or JPEG that Pillow reads whole,
    at most 4,000 pixels a side (a decompression bomb is refused before it is decoded)."""
    from PIL import Image, UnidentifiedImageError

    if len(content) > MAX_LOGO:
        raise ValidationError({"logo": _("The logo must weigh at most 512 KB.")})
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise ValidationError({"logo": _("The logo must be a PNG or JPEG image.")})
            if max(image.size) > 4000:
                raise ValidationError({"logo": _("The logo must be at most 4,000 pixels wide.")})
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as error:
        raise ValidationError({"logo": _("The logo must be a PNG or JPEG image.")}) from error
    return content


def do_set_logo(workspace: Workspace, user: Any, content: bytes | None) -> ReportSettings:
    """Set (checked) or remove (None) the logo of the report's cover."""
    logo = check_logo(content) if content is not None else None
    found, _created = ReportSettings.objects.get_or_create(workspace=workspace)
    found.logo = logo
    found.save(update_fields=["logo", "updated_at"])
    record_event(
        "report.logo",
        actor=user if getattr(user, "is_authenticated", False) else None,
        workspace=workspace,
        removed=logo is None,
    )
    return found


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def due_period(schedule: ReportSettings, now: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """The month whose report is due now: the previous month, from its `day` on."""
    today = now.astimezone(zone_of(schedule.workspace)).date()
    if today.day < schedule.day:
        return None
    return previous_month(today)


def run_schedules(now: dt.datetime | None = None) -> int:
    """Send each scheduled workspace's report of the previous month, once: the ScheduledSend
    row is the claim (unique per schedule and month), created before anything is written or
    sent; a second worker running at the same moment fails to create it and moves on.
    Returns how many reports were sent."""
    now = now or timezone.now()
    sent = 0
    schedules = ReportSettings.objects.filter(scheduled=True).select_related("workspace")
    for schedule in schedules:
        period = due_period(schedule, now)
        if period is None or not schedule.recipients:
            continue
        if claimed(schedule, period[0]):
            continue
        try:
            with transaction.atomic():
                claim = ScheduledSend.objects.create(
                    workspace=schedule.workspace, schedule=schedule, period_start=period[0]
                )
        except IntegrityError:
            continue  # another worker has this month
        if send_scheduled(schedule, claim, period, now):
            sent += 1
    return sent


def claimed(schedule: ReportSettings, period_start: dt.date) -> bool:
    """Whether the month is taken already (a cheap read before the claim; the unique
    constraint, not this read, is what makes the send happen once)."""
    return ScheduledSend.objects.filter(schedule=schedule, period_start=period_start).exists()


def send_scheduled(
    schedule: ReportSettings,
    claim: ScheduledSend,
    period: tuple[dt.date, dt.date],
    now: dt.datetime,
) -> bool:
    workspace = schedule.workspace
    made = Report.objects.create(
        workspace=workspace,
        since=period[0],
        until=period[1],
        format=ReportFormat.PDF,
        language=schedule.language,
        comments=schedule.comments,
    )
    claim.report = made
    claim.save(update_fields=["report"])
    written = run_report(made.pk, now)
    path = report_file(written) if written else None
    if path is None:
        claim.error = (written.error if written else "") or "the report could not be written"
        claim.save(update_fields=["error"])
        return False
    with translation.override(schedule.language):
        subject = _("%(name)s: activity report, %(since)s to %(until)s") % {
            "name": workspace.name,
            "since": period[0].strftime("%d/%m/%Y"),
            "until": period[1].strftime("%d/%m/%Y"),
        }
        body = _(
            "Hello,\n\nHere is the activity report of %(name)s for the period. "
            "It is attached as a PDF.\n\nSent by Parvis."
        ) % {"name": workspace.name}
    message = EmailMessage(
        subject.replace("\n", " ")[:200],
        body,
        settings.DEFAULT_FROM_EMAIL,
        to=list(schedule.recipients),
    )
    message.attach(download_name(written), path.read_bytes(), "application/pdf")
    try:
        message.send()
    except Exception as error:  # the mail server's refusal is kept on the claim
        claim.error = f"{type(error).__name__}: {error}"[:2000]
        claim.save(update_fields=["error"])
        return False
    claim.sent_at = timezone.now()
    claim.save(update_fields=["sent_at"])
    return True
