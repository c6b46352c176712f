"""Recurring series: the list (with the form to start one), a series (edit, its occurrences),
stopping it. The rules are in series.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from parvis.connectors.models import ConnectedAccount
from parvis.core.networks import network_label
from parvis.publishing import series as rules
from parvis.publishing.forms import DateInput, TimeInput, check_date, clean_text, set_choices
from parvis.publishing.models import Campaign, Frequency, Series, SeriesOccurrence
from parvis.publishing.views import _add_errors, error_text, show
from parvis.workspaces.access import WorkspaceRequest, get_in_workspace, scoped, workspace_view
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Perm
from parvis.workspaces.zones import zone_of


class SeriesForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    text = forms.CharField(label=_("Text of each post"), widget=forms.Textarea(attrs={"rows": 5}))
    accounts = forms.MultipleChoiceField(label=_("Publish on"), widget=forms.CheckboxSelectMultiple)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    frequency = forms.ChoiceField(label=_("Repeat"), choices=Frequency.choices)
    interval = forms.IntegerField(
        label=_("Every (weeks or months)"), min_value=1, max_value=rules.MAX_INTERVAL, initial=1
    )
    weekdays = forms.MultipleChoiceField(
        label=_("On (weekly)"),
        required=False,
        choices=[(str(k), v) for k, v in WEEKDAYS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    month_day = forms.IntegerField(
        label=_("Day of the month (monthly)"), required=False, min_value=1, max_value=31
    )
    time = forms.TimeField(label=_("Time"), widget=TimeInput())
    starts_on = forms.DateField(label=_("Starting on"), widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    count = forms.IntegerField(
        label=_("Or for this many posts"),
        required=False,
        min_value=1,
        max_value=rules.MAX_COUNT,
    )
    horizon_weeks = forms.IntegerField(
        label=_("Prepare the posts this many weeks ahead"),
        min_value=1,
        max_value=rules.MAX_HORIZON_WEEKS,
        initial=4,
    )

    def __init__(self, data: Any = None, *, workspace: Workspace, initial: Any = None) -> None:
        super().__init__(data, initial=initial)
        accounts = list(scoped(ConnectedAccount, workspace))
        set_choices(
            self.fields["accounts"],
            [(str(a.pk), f"{network_label(a.network)} · {a.handle}") for a in accounts],
        )
        set_choices(
            self.fields["campaign"],
            [("", _("None"))] + [(str(c.pk), c.name) for c in scoped(Campaign, workspace)],
        )

    def clean_name(self) -> str:
        return clean_text(self.cleaned_data["name"], 120).strip()

    def clean_text(self) -> str:
        return clean_text(self.cleaned_data["text"])

    def clean_starts_on(self) -> dt.date | None:
        return check_date(self.cleaned_data["starts_on"])

    def clean_until(self) -> dt.date | None:
        return check_date(self.cleaned_data["until"])

    def values(self, workspace: Workspace) -> dict[str, Any]:
        data = self.cleaned_data
        campaign = (
            get_in_workspace(Campaign, workspace, pk=int(data["campaign"]))
            if data.get("campaign")
            else None
        )
        return {
            "name": data["name"],
            "text": data["text"],
            "campaign": campaign,
            "frequency": data["frequency"],
            "interval": data["interval"],
            "weekdays": sorted(int(d) for d in data.get("weekdays") or []),
            "month_day": data.get("month_day"),
            "time": data["time"].replace(second=0, microsecond=0),
            "starts_on": data["starts_on"],
            "until": data.get("until"),
            "count": data.get("count"),
            "horizon_weeks": data["horizon_weeks"],
        }

    def account_ids(self) -> list[int]:
        return [int(a) for a in self.cleaned_data.get("accounts") or []]


def initial_of(series: Series) -> dict[str, Any]:
    return {
        "name": series.name,
        "text": series.text,
        "accounts": [str(pk) for pk in series.accounts.values_list("pk", flat=True)],
        "campaign": str(series.campaign_id or ""),
        "frequency": series.frequency,
        "interval": series.interval,
        "weekdays": [str(d) for d in series.weekdays or []],
        "month_day": series.month_day,
        "time": series.time,
        "starts_on": series.starts_on,
        "until": series.until,
        "count": series.count,
        "horizon_weeks": series.horizon_weeks,
    }


@workspace_view()
@require_http_methods(["GET", "POST"])
def series_list(request: WorkspaceRequest) -> HttpResponse:
    ws = request.workspace
    can_publish = request.membership.can(Perm.PUBLISH)
    today = timezone.now().astimezone(zone_of(ws)).date()
    form = SeriesForm(
        request.POST if request.method == "POST" else None,
        workspace=ws,
        initial={"starts_on": today, "time": dt.time(9, 0)},
    )
    status = 200
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied
        if form.is_valid():
            try:
                created = rules.do_create_series(
                    ws, request.user, accounts=form.account_ids(), **form.values(ws)
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Series started."))
                return redirect("publishing:series_edit", ws.slug, created.pk)
        status = 400
    context = {
        "form": form,
        "series_list": list(scoped(Series, ws).order_by("stopped_at", "name", "id")),
        "can_publish": can_publish,
    }
    return show(request, "publishing/series.html", context, zone_of(ws), status=status)


@workspace_view()
@require_http_methods(["GET", "POST"])
def series_edit(request: WorkspaceRequest, series_id: int) -> HttpResponse:
    ws = request.workspace
    found = get_in_workspace(Series, ws, pk=series_id)
    can_publish = request.membership.can(Perm.PUBLISH)
    form = SeriesForm(
        request.POST if request.method == "POST" else None,
        workspace=ws,
        initial=initial_of(found),
    )
    status = 200
    if request.method == "POST":
        if not can_publish:
            raise PermissionDenied
        if form.is_valid():
            try:
                rules.do_update_series(
                    found, request.user, accounts=form.account_ids(), **form.values(ws)
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Series saved: the posts to come follow it."))
                return redirect("publishing:series_edit", ws.slug, found.pk)
        status = 400
    occurrences = list(
        SeriesOccurrence.objects.filter(series=found).select_related("post").order_by("date")
    )
    context = {
        "series": found,
        "form": form,
        "occurrences": occurrences,
        "can_publish": can_publish,
    }
    return show(request, "publishing/series_edit.html", context, zone_of(ws), status=status)


@workspace_view(Perm.PUBLISH)
@require_POST
def series_stop(request: WorkspaceRequest, series_id: int) -> HttpResponse:
    ws = request.workspace
    found = get_in_workspace(Series, ws, pk=series_id)
    try:
        cancelled = rules.do_stop_series(found, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("Series stopped; %(n)s posts to come were cancelled.") % {"n": cancelled},
        )
    return redirect("publishing:series_edit", ws.slug, found.pk)
