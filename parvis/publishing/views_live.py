"""Live events: the list (with the form to create one), the session page (the queue of
prepared posts with « release now », the event's inbox beside it), editing, preparing a post.
The rules are in live.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.connectors.models import ConnectedAccount
from parvis.core.networks import network_label
from parvis.publishing import live
from parvis.publishing.forms import (
    DateInput,
    TimeInput,
    check_date,
    clean_text,
    local_moment,
    set_choices,
)
from parvis.publishing.models import LiveEvent, LivePost
from parvis.publishing.views import _add_errors, error_text, show
from parvis.workspaces.access import WorkspaceRequest, get_in_workspace, scoped, workspace_view
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Perm
from parvis.workspaces.zones import zone_of

MAX_OFFSET = 31 * 24 * 60  # minutes: an event lasts 31 days at most


class EventForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    hashtag = forms.CharField(label=_("Hashtag"), required=False, max_length=100)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: the inbox beside the session shows the messages with one."),
    )
    start_day = forms.DateField(label=_("Starts on"), widget=DateInput())
    start_time = forms.TimeField(label=_("at"), widget=TimeInput())
    end_day = forms.DateField(label=_("Ends on"), widget=DateInput())
    end_time = forms.TimeField(label=_("at"), widget=TimeInput())
    accounts = forms.MultipleChoiceField(label=_("Publish on"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, data: Any = None, *, workspace: Workspace, initial: Any = None) -> None:
        super().__init__(data, initial=initial)
        self.zone = zone_of(workspace)
        set_choices(
            self.fields["accounts"],
            [
                (str(a.pk), f"{network_label(a.network)} · {a.handle}")
                for a in scoped(ConnectedAccount, workspace)
            ],
        )

    def clean_name(self) -> str:
        return clean_text(self.cleaned_data["name"], 120).strip()

    def clean_keywords(self) -> str:
        return clean_text(self.cleaned_data["keywords"], 5000)

    def clean_hashtag(self) -> str:
        return clean_text(self.cleaned_data["hashtag"], 100)

    def clean_start_day(self) -> dt.date | None:
        return check_date(self.cleaned_data["start_day"])

    def clean_end_day(self) -> dt.date | None:
        return check_date(self.cleaned_data["end_day"])

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "hashtag": data["hashtag"],
            "keywords": data["keywords"],
            "starts_at": local_moment(data["start_day"], data["start_time"], self.zone),
            "ends_at": local_moment(data["end_day"], data["end_time"], self.zone),
            "accounts": [int(a) for a in data["accounts"]],
        }


def event_initial(event: LiveEvent) -> dict[str, Any]:
    zone = zone_of(event.workspace)
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    return {
        "name": event.name,
        "hashtag": event.hashtag,
        "keywords": event.keywords,
        "start_day": start.date(),
        "start_time": start.time().replace(second=0, microsecond=0),
        "end_day": end.date(),
        "end_time": end.time().replace(second=0, microsecond=0),
        "accounts": [str(pk) for pk in event.accounts.values_list("pk", flat=True)],
    }


class PrepareForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    day = forms.DateField(label=_("Planned on"), required=False, widget=DateInput())
    time = forms.TimeField(label=_("at"), required=False, widget=TimeInput())
    offset = forms.IntegerField(
        label=_("Or minutes after the start"),
        required=False,
        min_value=0,
        max_value=MAX_OFFSET,
        help_text=_("Leave both empty to release it by hand."),
    )

    def clean_text(self) -> str:
        return clean_text(self.cleaned_data["text"])

    def clean_day(self) -> dt.date | None:
        return check_date(self.cleaned_data["day"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("time") is not None and cleaned.get("day") is None:
            self.add_error("day", _("Choose the date too."))
        return cleaned

    def planned_at(self, event: LiveEvent) -> dt.datetime | None:
        data = self.cleaned_data
        if data.get("day") is not None:
            return local_moment(
                data["day"], data.get("time") or dt.time(0, 0), zone_of(event.workspace)
            )
        if data.get("offset") is not None:
            return event.starts_at + dt.timedelta(minutes=data["offset"])
        return None


# --- pages ------------------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def live_list(request: WorkspaceRequest) -> HttpResponse:
    ws = request.workspace
    can_publish = request.membership.can(Perm.PUBLISH)
    form = EventForm(request.POST if request.method == "POST" else None, workspace=ws)
    status = 200
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied
        if form.is_valid():
            try:
                event = live.do_save_event(ws, request.user, **form.values())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Event created: prepare its posts."))
                return redirect("publishing:live_session", ws.slug, event.pk)
        status = 400
    context = {
        "form": form,
        "events": list(scoped(LiveEvent, ws)),
        "can_publish": can_publish,
        "now": timezone.now(),
    }
    return show(request, "publishing/live.html", context, zone_of(ws), status=status)


def queue_context(request: WorkspaceRequest, event: LiveEvent) -> dict[str, Any]:
    return {
        "event": event,
        "queue": live.queue(event),
        "can_publish": request.membership.can(Perm.PUBLISH),
    }


@workspace_view()
@require_GET
def live_session(request: WorkspaceRequest, event_id: int) -> HttpResponse:
    ws = request.workspace
    event = get_in_workspace(LiveEvent, ws, pk=event_id)
    context = {
        **queue_context(request, event),
        "prepare_form": PrepareForm(),
        "panel_query": live.panel_query(event),
        "terms": live.keywords_of(event),
        "accounts": list(event.accounts.all()),
    }
    return show(request, "publishing/live_session.html", context, zone_of(ws))


@workspace_view()
@require_GET
def live_queue(request: WorkspaceRequest, event_id: int) -> HttpResponse:
    """The queue alone, polled by the session page (statuses move as posts go out)."""
    ws = request.workspace
    event = get_in_workspace(LiveEvent, ws, pk=event_id)
    with timezone.override(zone_of(ws)):
        return render(request, "publishing/_live_queue.html", queue_context(request, event))


@workspace_view(Perm.PUBLISH)
@require_http_methods(["GET", "POST"])
def live_edit(request: WorkspaceRequest, event_id: int) -> HttpResponse:
    ws = request.workspace
    event = get_in_workspace(LiveEvent, ws, pk=event_id)
    form = EventForm(
        request.POST if request.method == "POST" else None,
        workspace=ws,
        initial=event_initial(event),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                live.do_save_event(ws, request.user, event=event, **form.values())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Event saved."))
                return redirect("publishing:live_session", ws.slug, event.pk)
        status = 400
    context = {"event": event, "form": form}
    return show(request, "publishing/live_edit.html", context, zone_of(ws), status=status)


@workspace_view(Perm.PUBLISH)
@require_POST
def live_prepare(request: WorkspaceRequest, event_id: int) -> HttpResponse:
    ws = request.workspace
    event = get_in_workspace(LiveEvent, ws, pk=event_id)
    form = PrepareForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        try:
            live.do_prepare(
                event, request.user, form.cleaned_data["text"], planned_at=form.planned_at(event)
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Post prepared and sent for approval."))
    return redirect("publishing:live_session", ws.slug, event.pk)


@workspace_view(Perm.PUBLISH)
@require_POST
def live_release(request: WorkspaceRequest, event_id: int, post_id: int) -> HttpResponse:
    """« Release now »: publishes the prepared post at once, exactly once."""
    ws = request.workspace
    event = get_in_workspace(LiveEvent, ws, pk=event_id)
    row = get_in_workspace(LivePost, ws, event=event, post_id=post_id)
    problem = ""
    try:
        live.do_release_now(row, request.user)
    except ValidationError as error:
        problem = error_text(error)
    if request.headers.get("HX-Request"):
        context = {**queue_context(request, event), "problem": problem, "released": row.pk}
        with timezone.override(zone_of(ws)):
            return render(request, "publishing/_live_queue.html", context)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _("Released: it is on its way to the networks."))
    return redirect("publishing:live_session", ws.slug, event.pk)
