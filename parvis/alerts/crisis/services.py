"""Crisis actions (`do_*`): the playbook, starting and closing a crisis, notifying the
escalation contacts (alerts Deliveries: claimed, retried, sent once), the checklist, notes,
holding statements, and the publishing pause."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.alerts import raising
from parvis.alerts.crisis import analysis, statements
from parvis.alerts.crisis.models import (
    Crisis,
    CrisisLog,
    CrisisNotice,
    CrisisState,
    CrisisTask,
    HoldingStatement,
    Language,
    LogKind,
    Playbook,
    PublishingPause,
)
from parvis.alerts.models import (
    SEVERITY_ORDER,
    Alert,
    Channel,
    Delivery,
    Episode,
    Severity,
)
from parvis.alerts.services import clean_text
from parvis.workspaces.models import Workspace

logger = logging.getLogger(__name__)

PAUSE = "pause_publishing"
MAX_CONTACTS = 30
MAX_TASKS = 30
MAX_NOTE = 5000


def default_checklist() -> list[str]:
    return [
        _("Brief the support team"),
        _("Prepare the FAQ"),
        _("Tell the management (« la direction »)"),
    ]


def get_playbook(workspace: Workspace) -> Playbook:
    playbook, _created = Playbook.objects.get_or_create(
        workspace=workspace, defaults={"checklist": default_checklist()}
    )
    return playbook


# --- the playbook ---------------------------------------------------------------------------


def clean_contacts(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_CONTACTS:
        raise ValidationError(_("At most %(n)s contacts.") % {"n": MAX_CONTACTS})
    contacts = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValidationError(
                _("A contact has a name, and a phone number or an e-mail address.")
            )
        name = clean_text(item.get("name", ""), 120, _("name"))
        role = clean_text(item.get("role", ""), 120, _("role"))
        phone = clean_text(item.get("phone", ""), 40, _("phone"))
        email = clean_text(item.get("email", ""), 254, _("e-mail"))
        if not name or not (phone or email):
            raise ValidationError(
                _("A contact has a name, and a phone number or an e-mail address.")
            )
        if phone and not all(c.isdigit() or c in "+ .-()" for c in phone):
            raise ValidationError(_("%(phone)s is not a phone number.") % {"phone": phone})
        if email:
            validate_email(email)
        contacts.append(
            {
                "name": name,
                "role": role,
                "phone": phone,
                "email": email,
                "direction": bool(item.get("direction")),
            }
        )
    return contacts


def contacts_from_lines(text: str) -> list[dict[str, Any]]:
    """« Name ; role ; phone ; e-mail » per line; a role naming the management (direction,
    management, DG, CEO) marks « la direction »."""
    contacts = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")] + ["", "", "", ""]
        role = parts[1]
        contacts.append(
            {
                "name": parts[0],
                "role": role,
                "phone": parts[2],
                "email": parts[3],
                # Whole words: « Responsable budget » is not the DG.
                "direction": bool(
                    set(re.findall(r"\w+", role.lower())) & {"direction", "management", "dg", "ceo"}
                ),
            }
        )
    return contacts


def contacts_to_lines(contacts: list[dict[str, Any]]) -> str:
    return "\n".join(
        " ; ".join([c.get("name", ""), c.get("role", ""), c.get("phone", ""), c.get("email", "")])
        for c in contacts
    )


def do_save_playbook(
    workspace: Workspace,
    user: Any,
    *,
    contacts: Any,
    checklist: Any,
    auto_start_severity: str = "",
) -> Playbook:
    playbook = get_playbook(workspace)
    cleaned = clean_contacts(contacts)
    if not isinstance(checklist, list) or len(checklist) > MAX_TASKS:
        raise ValidationError(_("At most %(n)s checklist items.") % {"n": MAX_TASKS})
    items = [clean_text(x, 200, _("checklist item")) for x in checklist]
    items = [x for x in items if x]
    if auto_start_severity not in ("", Severity.IMPORTANT, Severity.CRISIS):
        raise ValidationError(_("Choose a severity from the list."))
    playbook.contacts = cleaned
    playbook.checklist = items
    playbook.auto_start_severity = auto_start_severity
    playbook.updated_at = timezone.now()
    playbook.save(update_fields=["contacts", "checklist", "auto_start_severity", "updated_at"])
    return playbook


def do_save_statement(
    workspace: Workspace,
    user: Any,
    *,
    title: Any,
    language: Any,
    text: Any,
    statement: HoldingStatement | None = None,
) -> HoldingStatement:
    title = clean_text(title, 120, _("title"))
    text = clean_text(text, statements.MAX_TEXT, _("text"))
    if not title or not text:
        raise ValidationError(_("A statement has a title and a text."))
    if language not in Language.values:
        raise ValidationError(_("Choose French or English."))
    statements.check(text)
    now = timezone.now()
    if statement is None:
        return HoldingStatement.objects.create(
            workspace=workspace, title=title, language=language, text=text, updated_at=now
        )
    statement.title, statement.language, statement.text = title, language, text
    statement.updated_at = now
    statement.save(update_fields=["title", "language", "text", "updated_at"])
    return statement


def do_delete_statement(statement: HoldingStatement, user: Any) -> None:
    statement.delete()


# --- a crisis -------------------------------------------------------------------------------


def log(crisis: Crisis, user: Any, kind: str, text: str = "") -> CrisisLog:
    return CrisisLog.objects.create(
        workspace_id=crisis.workspace_id,
        crisis=crisis,
        at=timezone.now(),
        user=user if getattr(user, "pk", None) else None,
        kind=kind,
        text=text[:MAX_NOTE],
    )


def do_start_crisis(episode: Episode, user: Any, *, automatic: bool = False) -> tuple[Crisis, bool]:
    """The episode's crisis, started now with the playbook's checklist; (crisis, created).
    Starting twice (two clicks, an API retry, the automatic start racing a person) gives the
    same crisis."""
    existing = Crisis.objects.filter(episode=episode).first()
    if existing is not None:
        return existing, False
    playbook = get_playbook(episode.workspace)
    labels = [(str(_("Pause scheduled posts")), PAUSE)] + [(x, "") for x in playbook.checklist]
    try:
        # The crisis, its checklist and its first log entry together: a crash cannot leave a
        # crisis without its checklist.
        with transaction.atomic():
            crisis = Crisis.objects.create(
                workspace_id=episode.workspace_id,
                episode=episode,
                started_at=timezone.now(),
                started_by=user if getattr(user, "pk", None) else None,
                automatic=automatic,
            )
            CrisisTask.objects.bulk_create(
                [
                    CrisisTask(
                        workspace_id=crisis.workspace_id,
                        crisis=crisis,
                        position=i,
                        label=label,
                        action=action,
                    )
                    for i, (label, action) in enumerate(labels)
                ]
            )
            log(
                crisis,
                user,
                LogKind.STARTED,
                _("Started automatically (severity %(severity)s).")
                % {"severity": episode.get_severity_display()}
                if automatic
                else "",
            )
    except IntegrityError:
        return Crisis.objects.get(episode=episode), False
    return crisis, True


def do_close_crisis(crisis: Crisis, user: Any, note: Any = "") -> Crisis:
    """Closed with the note and its summary; closing a closed crisis changes nothing."""
    note = clean_text(note, MAX_NOTE, _("closing note"))
    now = timezone.now()
    # Closed, summed up, logged and publishing resumed together: a crash cannot leave a
    # closed crisis without its summary, or its posts paused with no crisis left to resume them.
    with transaction.atomic():
        updated = Crisis.objects.filter(pk=crisis.pk, state=CrisisState.OPEN).update(
            state=CrisisState.CLOSED, closed_at=now, closed_by=user, closing_note=note
        )
        crisis.refresh_from_db()
        if not updated:
            return crisis
        crisis.summary = analysis.summary(crisis, now)
        crisis.save(update_fields=["summary"])
        log(crisis, user, LogKind.CLOSED, note)
        do_resume_publishing(crisis.workspace, user, crisis=crisis)
    return crisis


def do_refresh_summary(crisis: Crisis) -> Crisis:
    """Recompute a closed crisis's summary (the « after » part grows for a day)."""
    if crisis.state == CrisisState.CLOSED:
        crisis.summary = analysis.summary(crisis)
        crisis.save(update_fields=["summary"])
    return crisis


def check_open(crisis: Crisis) -> None:
    """A closed crisis's log and checklist are its record: nothing is added to them."""
    if crisis.state != CrisisState.OPEN:
        raise ValidationError(_("This crisis is closed."))


def do_add_note(crisis: Crisis, user: Any, text: Any) -> CrisisLog:
    check_open(crisis)
    text = clean_text(text, MAX_NOTE, _("note"))
    if not text:
        raise ValidationError(_("Write the note."))
    return log(crisis, user, LogKind.NOTE, text)


def do_tick_task(crisis: Crisis, user: Any, task_id: int, done: bool = True) -> CrisisTask:
    check_open(crisis)
    task = CrisisTask.objects.filter(crisis=crisis, pk=task_id).first()
    if task is None:
        raise ValidationError(_("This checklist item does not exist."))
    rows = CrisisTask.objects.filter(pk=task.pk, done_at__isnull=done)
    if rows.update(done_at=timezone.now() if done else None, done_by=user if done else None):
        task.refresh_from_db()
        log(
            crisis,
            user,
            LogKind.TASK,
            (_("Done: %(task)s") if done else _("Not done after all: %(task)s"))
            % {"task": task.label},
        )
        if task.action == PAUSE:
            if done:
                do_pause_publishing(crisis.workspace, user, crisis=crisis)
            else:
                do_resume_publishing(crisis.workspace, user, crisis=crisis)
    return task


def statement_values(crisis: Crisis, channel: str, at: dt.datetime | None = None) -> dict[str, str]:
    zone = raising.zone(raising.settings_of(crisis.workspace))
    now = (at or timezone.now()).astimezone(zone)
    return {
        "brand": crisis.workspace.name,
        "date": formats.date_format(now, "DATE_FORMAT"),
        "time": formats.time_format(now, "TIME_FORMAT"),
        "channel": channel,
        "topic": crisis.episode.query_name or crisis.workspace.name,
    }


def do_use_statement(
    crisis: Crisis,
    user: Any,
    statement: HoldingStatement,
    channel: Any = "",
    at: dt.datetime | None = None,
) -> str:
    """The statement with its variables filled in (`at`: the moment it speaks of, now by
    default), logged as used."""
    check_open(crisis)
    channel = clean_text(channel, 60, _("channel"))
    # Dates written the way the statement's language writes them, whatever the page's.
    with translation.override(statement.language):
        values = statement_values(crisis, channel, at)
    text = statements.render(statement.text, values)
    log(
        crisis,
        user,
        LogKind.STATEMENT,
        f"{statement.title} ({statement.get_language_display()}"
        + (f", {channel}" if channel else "")
        + f"): {text}",
    )
    return text


# --- notifying the escalation contacts ------------------------------------------------------


def notice_text(crisis: Crisis) -> tuple[str, str]:
    from parvis.alerts.raising import episode_path

    episode = crisis.episode
    subject = _("[Parvis] Crisis: %(episode)s (%(workspace)s)") % {
        "episode": episode,
        "workspace": crisis.workspace.name,
    }
    lines = [
        _("A crisis was started on %(workspace)s.") % {"workspace": crisis.workspace.name},
        # In the workspace's time zone and the reader's number format, as on the pages.
        _("Since: %(when)s")
        % {
            "when": formats.date_format(
                episode.opened_at.astimezone(raising.zone(raising.settings_of(crisis.workspace))),
                "DATETIME_FORMAT",
            )
        },
        _("Peak: %(peak)s per minute (usually %(usual)s)")
        % {
            "peak": formats.number_format(episode.peak_value, force_grouping=True),
            "usual": formats.number_format(episode.baseline, 1),
        },
        "",
        _("Crisis room: %(path)s") % {"path": episode_path(episode) + "crisis/"},
    ]
    return str(subject)[:200], "\n".join(str(x) for x in lines)


def crisis_payload(delivery: Delivery) -> dict[str, Any] | None:
    """The message of a crisis notice's delivery (registered with alerts.delivery)."""
    notice = (
        CrisisNotice.objects.filter(delivery_id=delivery.pk)
        .select_related("crisis", "crisis__episode", "crisis__workspace")
        .first()
    )
    if notice is None:
        return None
    subject, text = notice_text(notice.crisis)
    return {
        "event": "crisis",
        "key": str(delivery.key),
        "workspace": notice.crisis.workspace.slug,
        "crisis": {"id": notice.crisis.pk, "episode_id": notice.crisis.episode_id},
        "subject": subject,
        "text": text,
        "sent_at": timezone.now().isoformat(),
    }


def do_notify_contacts(crisis: Crisis, user: Any) -> list[CrisisNotice]:
    """One e-mail per escalation contact with an address, at most once per crisis whatever
    the clicks: the notices that are new. Contacts with only a phone are to be called (the
    page lists them)."""
    check_open(crisis)
    playbook = get_playbook(crisis.workspace)
    now = timezone.now()
    made: list[CrisisNotice] = []
    with transaction.atomic():
        known = set(
            CrisisNotice.objects.select_for_update()
            .filter(crisis=crisis)
            .values_list("email", flat=True)
        )
        for contact in playbook.contacts:
            email = contact.get("email", "").strip().lower()
            if not email or email in known:
                continue
            known.add(email)
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(
                        workspace_id=crisis.workspace_id,
                        channel=Channel.EMAIL,
                        target=email,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    made.append(
                        CrisisNotice.objects.create(
                            workspace_id=crisis.workspace_id,
                            crisis=crisis,
                            name=contact.get("name", ""),
                            email=email,
                            delivery=delivery,
                            created_at=now,
                            created_by=user if getattr(user, "pk", None) else None,
                        )
                    )
            except IntegrityError:
                continue  # another click took it meanwhile
        if made:
            log(
                crisis,
                user,
                LogKind.NOTIFIED,
                ", ".join(f"{n.name} <{n.email}>" for n in made),
            )
        ids = [n.delivery_id for n in made]

        def enqueue() -> None:
            from parvis.alerts.tasks import deliver_task

            for delivery_id in ids:
                deliver_task(delivery_id)

        transaction.on_commit(enqueue)
    return made


# --- the publishing pause -------------------------------------------------------------------


def do_pause_publishing(workspace: Workspace, user: Any, *, crisis: Crisis | None = None) -> bool:
    if PublishingPause.objects.filter(workspace=workspace, resumed_at__isnull=True).exists():
        return False
    try:
        with transaction.atomic():
            PublishingPause.objects.create(
                workspace=workspace,
                crisis=crisis,
                paused_at=timezone.now(),
                paused_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:
        return False
    if crisis is not None:
        log(crisis, user, LogKind.PUBLISHING, _("Scheduled posts paused."))
    return True


def do_resume_publishing(workspace: Workspace, user: Any, *, crisis: Crisis | None = None) -> bool:
    """The open pause ends; with `crisis`, only the pause that crisis set (closing one crisis
    does not lift another's)."""
    pauses = PublishingPause.objects.filter(workspace=workspace, resumed_at__isnull=True)
    if crisis is not None:
        pauses = pauses.filter(crisis=crisis)
    done = pauses.update(resumed_at=timezone.now())
    if done and crisis is not None:
        log(crisis, user, LogKind.PUBLISHING, _("Scheduled posts resumed."))
    return bool(done)


def publishing_paused(workspace: Workspace) -> bool:
    return PublishingPause.objects.filter(workspace=workspace, resumed_at__isnull=True).exists()


def publishing_hold(workspace: Any) -> Any:
    """Registered in listening.extensions: publishing asks it before sending a scheduled post."""
    if publishing_paused(workspace):
        return gettext_lazy("Publishing paused by a crisis")
    return None


# --- starting by itself ---------------------------------------------------------------------


def start_if_severe(alert_id: int) -> Crisis | None:
    """After an alert is committed: start its episode's crisis if the playbook asks for it
    from the alert's severity."""
    alert = Alert.objects.select_related("episode", "workspace").filter(pk=alert_id).first()
    if alert is None:
        return None
    threshold = (
        Playbook.objects.filter(workspace_id=alert.workspace_id)
        .values_list("auto_start_severity", flat=True)
        .first()
    )
    if not threshold:
        return None
    if SEVERITY_ORDER[Severity(alert.severity)] < SEVERITY_ORDER[Severity(threshold)]:
        return None
    crisis, _created = do_start_crisis(alert.episode, None, automatic=True)
    return crisis


def on_alert_saved(sender: Any, instance: Alert, created: bool, **kwargs: Any) -> None:
    if created:
        transaction.on_commit(lambda: start_safely(instance.pk))


def start_safely(alert_id: int) -> None:
    # After the stream's commit: a failure here must not fail the stream's task (its alert
    # and deliveries are committed already); the editors can still start it by hand.
    try:
        start_if_severe(alert_id)
    except Exception:
        logger.exception("the crisis of alert %s could not be started", alert_id)
