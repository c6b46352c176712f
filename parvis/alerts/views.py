"""Alerts pages: the episodes and their alerts, the bell, the rules and the quiet hours.
Views parse, authorize (workspace_view) and delegate to services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parvis.alerts import raising, services
from parvis.alerts.forms import RuleForm, SettingsForm, initial_of
from parvis.alerts.models import Alert, AlertRule, Delivery, Episode, Notice, Receipt
from parvis.workspaces.access import get_in_workspace, scoped, workspace_view
from parvis.workspaces.roles import Perm

MAX_ID = 2**63 - 1


def fetch(model: type[Model], request: Any, pk: int) -> Any:
    """The workspace's object, or 404 (an id no column holds included)."""
    if not 0 < pk <= MAX_ID:
        raise Http404
    return get_in_workspace(model, request.workspace, pk=pk)


def zone_of(request: Any) -> Any:
    # Read, not created: a page view writes nothing.
    return raising.zone(raising.settings_of(request.workspace))


@workspace_view()
def episodes(request: HttpRequest) -> HttpResponse:
    ws = request.workspace  # type: ignore[attr-defined]
    items = list(scoped(Episode, ws).select_related("query", "rule")[:200])
    bell = list(
        scoped(Receipt, ws)
        .filter(user=request.user)
        .select_related("alert", "alert__episode", "alert__rule")
        .order_by("read_at", "-created_at", "-id")[:100]
    )
    notices = list(
        scoped(Notice, ws).filter(user=request.user).order_by("read_at", "-created_at", "-id")[:100]
    )
    context = {
        "items": items,
        "bell": bell,
        "notices": notices,
        "tab": "episodes",
        "ws_tz": zone_of(request),
    }
    return render(request, "alerts/list.html", context)


@workspace_view()
def unread(request: HttpRequest) -> HttpResponse:
    count = services.unread_count(request.workspace, request.user)  # type: ignore[attr-defined]
    return render(request, "alerts/_unread.html", {"count": count})


@workspace_view()
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    ids = [
        int(i) for i in request.POST.getlist("id") if i.isascii() and i.isdigit() and len(i) < 19
    ]
    services.do_mark_read(request.workspace, request.user, ids or None)  # type: ignore[attr-defined]
    messages.success(request, _("Alerts marked as read."))
    return redirect("alerts:list", slug=request.workspace.slug)  # type: ignore[attr-defined]


@workspace_view()
def episode(request: HttpRequest, episode_id: int) -> HttpResponse:
    item = fetch(Episode, request, episode_id)
    alerts = list(Alert.objects.filter(episode=item).select_related("rule"))
    deliveries = list(Delivery.objects.filter(alert__in=alerts).order_by("id"))
    if not request.membership.can(Perm.MANAGE_ALERTS):  # type: ignore[attr-defined]
        for d in deliveries:
            if d.channel == "webhook":
                d.target = services.masked_url(d.target)
    # Read on sight; the UPDATE only when something is unread (a write per page view would
    # wait for the write lock ingestion holds on SQLite).
    unread = scoped(Receipt, request.workspace).filter(  # type: ignore[attr-defined]
        user=request.user, alert__in=alerts, read_at__isnull=True
    )
    if unread.exists():
        services.do_mark_read(request.workspace, request.user, [a.pk for a in alerts])  # type: ignore[attr-defined]
    context = {
        "episode": item,
        "alerts": alerts,
        "deliveries": deliveries,
        "tab": "episodes",
        "ws_tz": zone_of(request),
    }
    return render(request, "alerts/episode.html", context)


@workspace_view()
def rules(request: HttpRequest) -> HttpResponse:
    ws = request.workspace  # type: ignore[attr-defined]
    context = {
        "rules": list(scoped(AlertRule, ws).select_related("query")),
        "can_edit": request.membership.can(Perm.MANAGE_ALERTS),  # type: ignore[attr-defined]
        "tab": "rules",
    }
    return render(request, "alerts/rules.html", context)


@workspace_view(Perm.MANAGE_ALERTS)
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    ws = request.workspace  # type: ignore[attr-defined]
    rule = fetch(AlertRule, request, rule_id) if rule_id is not None else None
    if request.method == "POST":
        form = RuleForm(ws, request.POST)
        if form.is_valid():
            try:
                saved, generated = services.do_save_rule(
                    ws, request.user, form.data_for_service(), rule=rule
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Alert rule saved."))
                if generated:
                    messages.info(
                        request,
                        _("Webhook signing secret (shown once, keep it): %(secret)s")
                        % {"secret": generated},
                    )
                return redirect("alerts:rule_edit", slug=ws.slug, rule_id=saved.pk)
    else:
        form = RuleForm(ws, initial=initial_of(rule) if rule else None)
    context = {
        "form": form,
        "rule": rule,
        "has_secret": bool(rule and rule.webhook_secret),
        "tab": "rules",
    }
    return render(request, "alerts/rule_edit.html", context)


@workspace_view(Perm.MANAGE_ALERTS)
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = fetch(AlertRule, request, rule_id)
    services.do_delete_rule(rule)
    messages.success(request, _("Alert rule deleted."))
    return redirect("alerts:rules", slug=request.workspace.slug)  # type: ignore[attr-defined]


@workspace_view(Perm.MANAGE_ALERTS)
def alert_settings(request: HttpRequest) -> HttpResponse:
    ws = request.workspace  # type: ignore[attr-defined]
    current = services.get_settings(ws)
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.do_save_settings(ws, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error("time_zone", exc)
            else:
                messages.success(request, _("Quiet hours saved."))
                return redirect("alerts:settings", slug=ws.slug)
    else:
        form = SettingsForm(
            initial={
                "time_zone": current.time_zone,
                "quiet_hours": current.quiet_hours,
                "quiet_start": current.quiet_start,
                "quiet_end": current.quiet_end,
            }
        )
    return render(request, "alerts/settings.html", {"form": form, "tab": "settings"})


@workspace_view()
@require_POST
def open_notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    """A notice of the bell, read on opening: to the page it points to (a post)."""
    notice = fetch(Notice, request, notice_id)
    if notice.user_id != request.user.pk:  # type: ignore[attr-defined]
        raise Http404
    url = services.do_open_notice(notice)
    if not url.startswith("/") or url.startswith("//"):
        return redirect("alerts:list", slug=request.workspace.slug)  # type: ignore[attr-defined]
    return redirect(url)
