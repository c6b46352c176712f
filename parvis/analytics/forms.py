"""Forms of the reports' pages: they parse; reports.py validates and writes."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.analytics.models import ReportFormat, ReportLanguage


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


class ReportForm(forms.Form):
    # <input type="date"> reads ISO dates only, whatever the page's language.
    since = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    format = forms.ChoiceField(label=_("Format"), choices=ReportFormat.choices)
    language = forms.ChoiceField(label=_("Language"), choices=ReportLanguage.choices)
    comments = forms.CharField(
        label=_("Your comments and recommendations"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Printed at the end of the report, as you write them."),
    )


class SettingsForm(forms.Form):
    colour = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("The report's cover and headings."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, at most 512 KB: on the report's cover."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    language = forms.ChoiceField(label=_("Language of the reports"), choices=ReportLanguage.choices)
    scheduled = forms.BooleanField(label=_("Send last month's report every month"), required=False)
    day = forms.IntegerField(label=_("On day"), min_value=1, max_value=28)
    recipients = forms.CharField(
        label=_("Recipients"),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One e-mail address per line."),
    )
    comments = forms.CharField(
        label=_("Comments printed in the scheduled reports"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
