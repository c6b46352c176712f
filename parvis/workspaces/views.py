"""Workspace pages. Views parse, authorize (workspace_view) and delegate to actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from parvis.connectors.models import ConnectedAccount
from parvis.workspaces import extensions, services
from parvis.workspaces.access import get_in_workspace, scoped, workspace_view
from parvis.workspaces.audit import security_log
from parvis.workspaces.forms import (
    ITEM_FORMS,
    AddMemberForm,
    RoleForm,
    StrategyForm,
    TimeZoneForm,
    zone_label,
)
from parvis.workspaces.models import (
    Competitor,
    Membership,
    NetworkChoice,
    Objective,
    Persona,
    StrategyChange,
)
from parvis.workspaces.roles import Perm, Role, matrix
from parvis.workspaces.strategy import (
    ITEM_KINDS,
    do_delete_item,
    do_save_item,
    do_update_strategy,
    get_strategy,
    history_rows,
)
from parvis.workspaces.zones import zone_choices, zone_of


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@workspace_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    objectives = list(scoped(Objective, ws)[:6])
    progress = extensions.objective_progress(request, objectives, compact=True)
    context = {
        "strategy": get_strategy(ws),
        "objectives": [(o, progress.get(o.pk, "")) for o in objectives],
        "panels": extensions.home_panels(request),
        "networks": scoped(NetworkChoice, ws),
        "accounts_count": scoped(ConnectedAccount, ws).count(),
        "members_count": scoped(Membership, ws).count(),
        "recent_changes": history_rows(scoped(StrategyChange, ws).select_related("actor")[:5]),
    }
    return render(request, "workspaces/dashboard.html", context)


def strategy_context(request: HttpRequest) -> dict:
    ws = request.workspace
    objectives = list(scoped(Objective, ws))
    progress = extensions.objective_progress(request, objectives)
    return {
        "strategy": get_strategy(ws),
        "objectives": [(o, progress.get(o.pk, "")) for o in objectives],
        "personas": scoped(Persona, ws),
        "networks": scoped(NetworkChoice, ws),
        "competitors": scoped(Competitor, ws),
        "can_edit": request.membership.can(Perm.EDIT_STRATEGY),
        "zone": zone_of(ws),
        "zone_label": zone_label(zone_of(ws).key),
    }


@workspace_view()
def strategy(request: HttpRequest) -> HttpResponse:
    return render(request, "workspaces/strategy.html", strategy_context(request))


@workspace_view(Perm.EDIT_STRATEGY)
@require_http_methods(["GET", "POST"])
def edit_editorial_line(request: HttpRequest) -> HttpResponse:
    current = get_strategy(request.workspace)
    form = StrategyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        saved = do_update_strategy(request.workspace, request.user, form.cleaned_data)
        if is_htmx(request):
            # Said in place, where the person is looking, not on the next page.
            context = {"strategy": saved, "can_edit": True, "just_saved": True}
            return render(request, "workspaces/_editorial_line.html", context)
        messages.success(request, _("Editorial line saved."))
        return redirect("workspaces:strategy", slug=request.workspace.slug)
    template = (
        "workspaces/_editorial_form.html" if is_htmx(request) else "workspaces/editorial_edit.html"
    )
    return render(request, template, {"form": form})


def item_kind(code: str):
    kind = ITEM_KINDS.get(code)
    if kind is None:
        raise Http404
    return kind


@workspace_view(Perm.EDIT_STRATEGY)
@require_http_methods(["GET", "POST"])
def edit_item(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    item_type = item_kind(kind)
    ws = request.workspace
    instance = get_in_workspace(item_type.model, ws, pk=pk) if pk else item_type.model(workspace=ws)
    form = ITEM_FORMS[kind](request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            do_save_item(
                ws, request.user, item_type, form.cleaned_data, instance=instance if pk else None
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("workspaces:strategy", args=[ws.slug]) + f"#{kind}s")
    context = {"form": form, "kind": kind, "item": instance if pk else None}
    return render(request, "workspaces/item_edit.html", context)


@workspace_view(Perm.EDIT_STRATEGY)
@require_POST
def delete_item(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    item_type = item_kind(kind)
    item = get_in_workspace(item_type.model, request.workspace, pk=pk)
    do_delete_item(request.workspace, request.user, item_type, item)
    messages.success(request, _("Deleted."))
    return redirect(reverse("workspaces:strategy", args=[request.workspace.slug]) + f"#{kind}s")


@workspace_view()
def strategy_history(request: HttpRequest) -> HttpResponse:
    changes = scoped(StrategyChange, request.workspace).select_related("actor")[:200]
    return render(request, "workspaces/history.html", {"rows": history_rows(changes)})


@workspace_view()
def members(request: HttpRequest) -> HttpResponse:
    context = {
        "memberships": scoped(Membership, request.workspace)
        .select_related("user")
        .order_by("user__username"),
        "can_manage": request.membership.can(Perm.MANAGE_MEMBERS),
        "add_form": AddMemberForm(),
        "roles": list(Role),
        "matrix": matrix(),
    }
    return render(request, "workspaces/members.html", context)


def member_action_failed(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    for message in exc.messages:
        messages.error(request, message)
    return redirect("workspaces:members", slug=request.workspace.slug)


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def add_member(request: HttpRequest) -> HttpResponse:
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("workspaces:members", slug=request.workspace.slug)
    try:
        services.do_add_member(
            request.workspace,
            form.cleaned_data["username"],
            form.cleaned_data["role"],
            actor=request.user,
            actor_membership=request.membership,
        )
    except ValidationError as exc:
        return member_action_failed(request, exc)
    messages.success(request, _("Member added."))
    return redirect("workspaces:members", slug=request.workspace.slug)


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def change_member(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_in_workspace(Membership, request.workspace, pk=pk)
    form = RoleForm(request.POST)
    try:
        if request.POST.get("remove"):
            services.do_remove_member(
                membership, actor=request.user, actor_membership=request.membership
            )
            messages.success(request, _("Member removed."))
        elif form.is_valid():
            services.do_change_role(
                membership,
                form.cleaned_data["role"],
                actor=request.user,
                actor_membership=request.membership,
            )
            messages.success(request, _("Role changed."))
    except ValidationError as exc:
        return member_action_failed(request, exc)
    return redirect("workspaces:members", slug=request.workspace.slug)


@workspace_view(Perm.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = security_log(request.workspace)[:300]
    return render(request, "workspaces/audit.html", {"events": events})


def time_zone_context(request: HttpRequest, form: TimeZoneForm | None = None) -> dict:
    ws = request.workspace
    return {
        "form": form,
        "zone": zone_of(ws),
        "zone_label": zone_label(zone_of(ws).key),
        "zones": [(name, zone_label(name)) for name in zone_choices()] if form else [],
        "can_edit": request.membership.can(Perm.EDIT_STRATEGY),
    }


@workspace_view(Perm.EDIT_STRATEGY)
@require_http_methods(["GET", "POST"])
def edit_time_zone(request: HttpRequest) -> HttpResponse:
    """The workspace's clock, on the strategy page (htmx in place, or a page of its own)."""
    ws = request.workspace
    form = TimeZoneForm(request.POST or None, initial={"time_zone": ws.time_zone})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.do_set_time_zone(ws, form.cleaned_data["time_zone"], actor=request.user)
            except ValidationError as exc:
                form.add_error("time_zone", exc.messages)
            else:
                if is_htmx(request):
                    context = {**time_zone_context(request), "just_saved": True}
                    return render(request, "workspaces/_time_zone.html", context)
                messages.success(request, _("Time zone saved."))
                return redirect(reverse("workspaces:strategy", args=[ws.slug]) + "#time-zone")
        status = 400
    template = (
        "workspaces/_time_zone_form.html" if is_htmx(request) else "workspaces/time_zone_edit.html"
    )
    # htmx swaps only a 2xx answer by default: the form with its errors comes back as 200.
    if is_htmx(request):
        status = 200
    return render(request, template, time_zone_context(request, form), status=status)
