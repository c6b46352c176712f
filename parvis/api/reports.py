"""Reports API: ask for a client report of a period (written by the worker), follow its
state, download its file (docs/analytics.md, « The client report »)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from parvis.analytics import report, reports
from parvis.analytics.models import Report
from parvis.api.auth import api_membership
from parvis.workspaces.access import scoped
from parvis.workspaces.roles import Perm

router = Router(tags=["reports"])
REPORTS = "/workspaces/{slug}/reports"
MAX_ID = 2**63 - 1


class ReportIn(Schema):
    # `from` is a Python keyword: the field has another name and this alias.
    since: dt.date = Field(..., alias="from")
    to: dt.date
    format: str = "pdf"  # pdf, csv or xlsx
    language: str = ""  # fr or en; empty: the workspace's report language
    comments: str = ""


class ReportOut(Schema):
    id: int
    since: dt.date = Field(..., alias="from")
    to: dt.date
    format: str
    language: str
    state: str  # queued, running, done, failed
    progress: int  # percent
    error: str
    download_url: str | None  # the file through the API, once done


class ErrorOut(Schema):
    detail: Any


def report_out(slug: str, found: Report) -> dict[str, Any]:
    done = found.state == "done"
    return {
        "id": found.pk,
        "from": found.since,
        "to": found.until,
        "format": found.format,
        "language": found.language,
        "state": found.state,
        "progress": found.progress,
        "error": found.error,
        "download_url": f"/api/v1/workspaces/{slug}/reports/{found.pk}/file" if done else None,
    }


def report_of(workspace: Any, report_id: int) -> Report:
    if not 0 < report_id <= MAX_ID:
        raise Http404
    found = scoped(Report, workspace).filter(pk=report_id).first()
    if found is None:
        raise Http404
    return found


@router.post(REPORTS, response={201: ReportOut, 422: ErrorOut}, by_alias=True)
def create_report(request: HttpRequest, slug: str, payload: ReportIn) -> Any:
    """Queue a report of [from, to] (whole days in the workspace's time zone)."""
    membership = api_membership(request, slug, Perm.WRITE_REPORTS)
    try:
        found = reports.do_request_report(
            membership.workspace,
            membership.user,
            payload.since,
            payload.to,
            payload.format,
            comments=payload.comments,
            language=payload.language,
        )
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    return Status(201, report_out(slug, found))


@router.get(REPORTS, response=list[ReportOut], by_alias=True)
def list_reports(request: HttpRequest, slug: str) -> Any:
    membership = api_membership(request, slug, Perm.VIEW_REPORTS)
    return [report_out(slug, r) for r in scoped(Report, membership.workspace)[:100]]


@router.get(REPORTS + "/{report_id}", response=ReportOut, by_alias=True)
def get_report(request: HttpRequest, slug: str, report_id: int) -> Any:
    membership = api_membership(request, slug, Perm.VIEW_REPORTS)
    return report_out(slug, report_of(membership.workspace, report_id))


@router.get(REPORTS + "/{report_id}/file", response={200: None, 404: ErrorOut})
def report_file(request: HttpRequest, slug: str, report_id: int) -> Any:
    """The report's file; 404 until it is written."""
    membership = api_membership(request, slug, Perm.VIEW_REPORTS)
    found = report_of(membership.workspace, report_id)
    path = reports.report_file(found)
    if path is None:
        return Status(404, {"detail": "The report is not written yet."})
    response = FileResponse(
        path.open("rb"),
        content_type=report.content_type(found.format),
        as_attachment=True,
        filename=reports.download_name(found),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)
