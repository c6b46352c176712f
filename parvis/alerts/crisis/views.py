"""Crisis room pages: the room of an episode (or the button that starts it), its actions, and
the workspace's playbook. Views parse, authorize (workspace_view) and delegate to
crisis.services; another workspace's episode, task or statement is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from parvis.alerts.crisis import analysis, services
from parvis.alerts.crisis.models import Crisis, CrisisNotice, HoldingStatement, Language
from parvis.alerts.models import Episode, Severity
from parvis.alerts.views import fetch, zone_of
from parvis.workspaces.access import scoped, workspace_view
from parvis.workspaces.roles import Perm


def room_url(episode: Episode) -> Any:
    return redirect("alerts:crisis", slug=episode.workspace.slug, episode_id=episode.pk)


def crisis_of(request: Any, episode_id: int) -> Crisis:
    episode = fetch(Episode, request, episode_id)
    crisis = Crisis.objects.filter(episode=episode).select_related("episode").first()
    if crisis is None:
        from django.http import Http404

        raise Http404
    return crisis


def error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


@workspace_view()
def room(request: HttpRequest, episode_id: int) -> HttpResponse:
    ws = request.workspace  # type: ignore[attr-defined]
    episode = fetch(Episode, request, episode_id)
    crisis = (
        Crisis.objects.filter(episode=episode)
        .select_related("started_by", "closed_by", "episode")
        .first()
    )
    playbook = services.get_playbook(ws)
    context: dict[str, Any] = {
        "episode": episode,
        "crisis": crisis,
        "playbook": playbook,
        "statements": list(scoped(HoldingStatement, ws)),
        "can_run": request.membership.can(Perm.MANAGE_ALERTS),  # type: ignore[attr-defined]
        "ws_tz": zone_of(request),
        "tab": "episodes",
        "publishing_paused": services.publishing_paused(ws),
    }
    if crisis is not None:
        context.update(
            {
                "timeline": analysis.timeline(crisis),
                "drivers": analysis.drivers(crisis),
                "answers": analysis.answered(crisis),
                "tasks": list(crisis.tasks.select_related("done_by")),
                "log": list(crisis.log.select_related("user")),
                "notices": list(
                    CrisisNotice.objects.filter(crisis=crisis).select_related("delivery")
                ),
                "used": request.session.pop("crisis_statement", None),
                "phone_only": [c for c in playbook.contacts if not c.get("email")],
            }
        )
    return render(request, "alerts/crisis/room.html", context)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def start(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = fetch(Episode, request, episode_id)
    _crisis, created = services.do_start_crisis(episode, request.user)
    if created:
        messages.success(request, _("Crisis started. The playbook is below."))
    return room_url(episode)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def notify(request: HttpRequest, episode_id: int) -> HttpResponse:
    crisis = crisis_of(request, episode_id)
    try:
        made = services.do_notify_contacts(crisis, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return room_url(crisis.episode)
    if made:
        messages.success(
            request,
            ngettext(
                "%(n)s contact notified by e-mail.", "%(n)s contacts notified by e-mail.", len(made)
            )
            % {"n": len(made)},
        )
    else:
        messages.info(request, _("Every contact with an e-mail address was already notified."))
    return room_url(crisis.episode)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def tick(request: HttpRequest, episode_id: int, task_id: int) -> HttpResponse:
    crisis = crisis_of(request, episode_id)
    done = request.POST.get("done", "1") != "0"
    try:
        services.do_tick_task(crisis, request.user, task_id, done)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return room_url(crisis.episode)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def note(request: HttpRequest, episode_id: int) -> HttpResponse:
    crisis = crisis_of(request, episode_id)
    try:
        services.do_add_note(crisis, request.user, request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return room_url(crisis.episode)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def use_statement(request: HttpRequest, episode_id: int, statement_id: int) -> HttpResponse:
    crisis = crisis_of(request, episode_id)
    statement = fetch(HoldingStatement, request, statement_id)
    try:
        text = services.do_use_statement(
            crisis, request.user, statement, request.POST.get("channel", "")
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        # Shown once on the room, ready to copy.
        request.session["crisis_statement"] = {"title": statement.title, "text": text}
    return room_url(crisis.episode)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def close(request: HttpRequest, episode_id: int) -> HttpResponse:
    crisis = crisis_of(request, episode_id)
    try:
        services.do_close_crisis(crisis, request.user, request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Crisis closed. Its summary is below."))
    return room_url(crisis.episode)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def refresh_summary(request: HttpRequest, episode_id: int) -> HttpResponse:
    crisis = crisis_of(request, episode_id)
    services.do_refresh_summary(crisis)
    return room_url(crisis.episode)


# --- the playbook ---------------------------------------------------------------------------


@workspace_view()
def playbook(request: HttpRequest) -> HttpResponse:
    ws = request.workspace  # type: ignore[attr-defined]
    can_edit = request.membership.can(Perm.MANAGE_ALERTS)  # type: ignore[attr-defined]
    current = services.get_playbook(ws)
    values = {
        "contacts": services.contacts_to_lines(current.contacts),
        "checklist": "\n".join(current.checklist),
        "auto_start_severity": current.auto_start_severity,
    }
    errors: list[str] = []
    if request.method == "POST":
        if not can_edit:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        values = {
            "contacts": request.POST.get("contacts", ""),
            "checklist": request.POST.get("checklist", ""),
            "auto_start_severity": request.POST.get("auto_start_severity", ""),
        }
        try:
            services.do_save_playbook(
                ws,
                request.user,
                contacts=services.contacts_from_lines(values["contacts"][:100_000]),
                checklist=[x for x in values["checklist"][:100_000].splitlines() if x.strip()],
                auto_start_severity=values["auto_start_severity"],
            )
        except ValidationError as exc:
            errors = [str(m) for m in exc.messages]
        else:
            messages.success(request, _("Playbook saved."))
            return redirect("alerts:playbook", slug=ws.slug)
    context = {
        "values": values,
        "errors": errors,
        "can_edit": can_edit,
        "statements": list(scoped(HoldingStatement, ws)),
        "severities": [("", _("Never by itself"))]
        + [(s.value, s.label) for s in (Severity.IMPORTANT, Severity.CRISIS)],
        "languages": Language.choices,
        "tab": "playbook",
        "playbook": current,
    }
    return render(request, "alerts/crisis/playbook.html", context)


@workspace_view(Perm.MANAGE_ALERTS)
def statement_edit(request: HttpRequest, statement_id: int | None = None) -> HttpResponse:
    ws = request.workspace  # type: ignore[attr-defined]
    statement = fetch(HoldingStatement, request, statement_id) if statement_id else None
    values = {
        "title": statement.title if statement else "",
        "language": statement.language if statement else Language.FR,
        "text": statement.text if statement else "",
    }
    errors: list[str] = []
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("title", "language", "text")}
        try:
            services.do_save_statement(ws, request.user, statement=statement, **values)
        except ValidationError as exc:
            errors = [str(m) for m in exc.messages]
        else:
            messages.success(request, _("Holding statement saved."))
            return redirect("alerts:playbook", slug=ws.slug)
    context = {
        "statement": statement,
        "values": values,
        "errors": errors,
        "languages": Language.choices,
        "tab": "playbook",
    }
    return render(request, "alerts/crisis/statement_edit.html", context)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def statement_delete(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = fetch(HoldingStatement, request, statement_id)
    services.do_delete_statement(statement, request.user)
    messages.success(request, _("Holding statement deleted."))
    return redirect("alerts:playbook", slug=request.workspace.slug)  # type: ignore[attr-defined]
