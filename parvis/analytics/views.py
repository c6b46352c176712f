"""Reports pages: the archive (list, ask for a report with comments, download) and the
report settings (colour, language, monthly e-mail). Views parse, authorize (workspace_view)
and delegate to reports.py."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from parvis.analytics import presence, report, reports
from parvis.analytics.forms import ReportForm, SettingsForm, last_month
from parvis.analytics.models import Report, ReportState, ScheduledSend
from parvis.workspaces.access import WorkspaceRequest, get_in_workspace, scoped, workspace_view
from parvis.workspaces.roles import Perm
from parvis.workspaces.zones import zone_of

MAX_ID = 2**63 - 1


def fetch(request: WorkspaceRequest, report_id: int) -> Report:
    if not 0 < report_id <= MAX_ID:
        raise Http404
    return get_in_workspace(Report, request.workspace, pk=report_id)


def add_errors(form: ReportForm | SettingsForm, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@workspace_view(Perm.VIEW_REPORTS)
def archive(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    can_write = request.membership.can(Perm.WRITE_REPORTS)
    settings = report.settings_of(workspace)
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        form = ReportForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reports.do_request_report(
                    workspace,
                    request.user,
                    data["since"],
                    data["until"],
                    data["format"],
                    comments=data["comments"],
                    language=data["language"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("The report is being written: it appears below."))
                return redirect("reports:archive", workspace.slug)
    else:
        today = timezone.now().astimezone(zone_of(workspace)).date()
        since, until = last_month(today)
        form = ReportForm(
            initial={"since": since, "until": until, "format": "pdf", "language": settings.language}
        )
    items = list(scoped(Report, workspace).select_related("created_by")[:100])
    context = {
        "form": form,
        "can_write": can_write,
        "items": items,
        "busy": busy(items),
        "settings": settings,
        "sends": list(scoped(ScheduledSend, workspace).order_by("-period_start", "-id")[:12]),
    }
    return render(request, "analytics/reports.html", context)


@workspace_view(Perm.VIEW_REPORTS)
@require_GET
def dashboard_panel(request: WorkspaceRequest) -> HttpResponse:
    """The home page's dashboard (analytics/dashboard.py), fetched by its placeholder."""
    from parvis.analytics import dashboard

    return HttpResponse(dashboard.panel(request))


@workspace_view(Perm.VIEW_REPORTS)
@require_GET
def rows(request: WorkspaceRequest) -> HttpResponse:
    """The archive's rows alone, polled by the page while a report is being written."""
    items = list(scoped(Report, request.workspace).select_related("created_by")[:100])
    return render(request, "analytics/_report_rows.html", {"items": items, "busy": busy(items)})


def busy(items: list[Report]) -> bool:
    return any(r.state in (ReportState.QUEUED, ReportState.RUNNING) for r in items)


@workspace_view(Perm.VIEW_REPORTS)
@require_GET
def download(request: WorkspaceRequest, report_id: int) -> HttpResponse:
    found = fetch(request, report_id)
    path = reports.report_file(found)
    if path is None:
        raise Http404
    response = FileResponse(
        path.open("rb"),
        content_type=report.content_type(found.format),
        as_attachment=True,
        filename=reports.download_name(found),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)


@workspace_view(Perm.WRITE_REPORTS)
def settings_page(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.workspace
    current = report.settings_of(workspace)
    if request.method == "POST":
        form = SettingsForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                upload = data["logo"]
                if upload is not None:
                    if upload.size > reports.MAX_LOGO:
                        raise ValidationError({"logo": _("The logo must weigh at most 512 KB.")})
                    reports.do_set_logo(workspace, request.user, upload.read())
                elif data["remove_logo"]:
                    reports.do_set_logo(workspace, request.user, None)
                reports.do_save_settings(
                    workspace,
                    request.user,
                    colour=data["colour"],
                    language=data["language"],
                    scheduled=data["scheduled"],
                    day=data["day"],
                    recipients=data["recipients"].splitlines(),
                    comments=data["comments"],
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Report settings saved."))
                return redirect("reports:archive", workspace.slug)
    else:
        form = SettingsForm(
            initial={
                "colour": current.colour,
                "language": current.language,
                "scheduled": current.scheduled,
                "day": current.day,
                "recipients": "\n".join(current.recipients),
                "comments": current.comments,
            }
        )
    context = {"form": form, "has_logo": bool(current.logo)}
    return render(request, "analytics/report_settings.html", context)


@login_required
@require_GET
def agency(request: HttpRequest) -> HttpResponse:
    """Every client of the user at a glance (analytics/agency.py)."""
    from parvis.analytics.agency import DAYS, rows

    return render(request, "analytics/agency.html", {"rows": rows(request.user), "days": DAYS})


@workspace_view(Perm.VIEW_REPORTS)
def presence_page(request: WorkspaceRequest) -> HttpResponse:
    """The health of the presence: profiles side by side, flags, follower jumps. POST (write
    reports): read the profiles now."""
    workspace = request.workspace
    can_write = request.membership.can(Perm.WRITE_REPORTS)
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        presence.do_read_now(workspace)
        messages.success(request, _("The profiles will be read in a moment: reload the page."))
        return redirect("reports:presence", workspace.slug)
    context = {"page": presence.page(workspace, timezone.now()), "can_write": can_write}
    return render(request, "analytics/presence.html", context)
