"""Listening forms: the explorer's filters (shared by the pages and the API), monitored queries,
saved views and the overview's date range.

Every value a visitor can type is bounded here, so that a strange date, a huge number or an
id from another workspace ends as a form error, never as a database error (a 500).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parvis.core.networks import NETWORK_CHOICES
from parvis.listening.models import MonitoredQuery, QueryKind, Sentiment
from parvis.workspaces.models import Workspace

SORTS = [
    ("date", _("Newest first")),
    ("reach", _("Largest reach")),
    ("engagement", _("Most engagement")),
    ("negative", _("Negative, most negative first")),
    ("toxicity", _("Toxic, most toxic first")),
    ("spam", _("Spam, most likely first")),
]
# Rolling periods: a saved view keeps "the last 7 days", not the dates it was saved with.
PERIODS = [
    ("", _("Any date")),
    ("today", _("Today")),
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("month", _("This month")),
]
OWN_CHOICES = [
    ("", _("Other people only")),
    ("only", _("Our accounts only")),
    ("all", _("Everyone")),
]
SPAM_CHOICES = [("", _("Any")), ("hide", _("Hide spam")), ("only", _("Spam only"))]
TOXIC_CHOICES = [("", _("Any")), ("toxic", _("Toxic only"))]
SORT_CODES = {code for code, _label in SORTS}
# The languages people pick most; the API (and a typed URL) accept any language tag.
LANG_CHOICES = [
    ("", _("Any language")),
    ("fr", _("French")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("de", _("German")),
    ("it", _("Italian")),
    ("pt", _("Portuguese")),
    ("nl", _("Dutch")),
]
LANG_RE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?")
# Years outside this range are typing mistakes; they would also overflow date arithmetic.
MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_REACH = 10**12  # more than any audience; keeps the value inside a 64-bit integer
FILTER_KEYS = ("q", "query", "network", "sentiment", "lang", "period", "since", "until")
FILTER_KEYS += ("author", "own", "toxic", "spam", "min_reach", "sort")


def parse_moment(value: str, *, end: bool) -> dt.datetime:
    """A date ("2026-11-02") or an ISO date-time, as an aware datetime.

    A date as the end of a range means the whole day: the bound is the next midnight
    (exclusive), in the current time zone (the workspace's, Europe/Paris by default).
    """
    value = value.strip()
    tz = timezone.get_current_timezone()
    try:
        if len(value) <= 10:
            day = dt.date.fromisoformat(value)
            if not MIN_YEAR <= day.year <= MAX_YEAR:
                raise ValueError(value)
            if end:
                day += dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(), tzinfo=tz)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(
            _("Enter a date as YYYY-MM-DD (or an ISO 8601 date and time)."), code="invalid"
        ) from exc
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValidationError(_("Enter a year between 1990 and 2100."), code="invalid")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


class MomentField(forms.CharField):
    """A date (from <input type="date">) or, through the API, a date-time."""

    def __init__(self, *, end: bool = False, **kwargs: Any) -> None:
        self.end = end
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> dt.datetime | None:
        text = super().clean(value)
        return parse_moment(text, end=self.end) if text else None


FLOAT_SORTS = {"negative", "toxicity", "spam"}


def encode_cursor(sort: str, value: Any, pk: int) -> str:
    raw = json.dumps([sort, value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """The (sort value, id) a page starts after; ValidationError for anything else."""
    invalid = ValidationError(
        _("This page link is no longer valid: start again from the first page.")
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, pk = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise invalid from exc
    if kind != sort or not isinstance(pk, int) or isinstance(pk, bool):
        raise invalid
    if sort == "date":
        try:
            value = dt.datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise invalid
            # The database compares in UTC: a forged "9999-12-31T23:59:59-05:00" overflows.
            value = value.astimezone(dt.UTC)
        except (TypeError, ValueError, OverflowError) as exc:
            raise invalid from exc
    elif sort in FLOAT_SORTS:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise invalid
        if not -1.0 <= value <= 1.0:  # scores: also rules out NaN and infinities
            raise invalid
        value = float(value)
    elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise invalid
    if not 0 < pk < 2**63:
        raise invalid
    return value, pk


class LazyChoices:
    """Widget choices computed when the widget is drawn, once."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.choices: list[tuple[str, Any]] | None = None

    def __iter__(self) -> Any:
        if self.choices is None:
            self.choices = list(self.make())
        return iter(self.choices)


def networks_in_use(workspace: Workspace) -> list[tuple[str, Any]]:
    """The networks with mentions in `workspace` or a source reading them, in the usual
    order: X or TikTok without a connector are no use as a filter. One index probe each,
    cached until the workspace's mentions or sources change (every list view draws this
    form)."""
    from parvis.listening import freshness

    codes, _at = freshness.cached(
        workspace.pk, "networks_in_use", (), lambda: networks_with_data(workspace)
    )
    return [(code, label) for code, label in NETWORK_CHOICES if code in codes]


def networks_with_data(workspace: Workspace) -> frozenset[str]:
    from parvis.connectors import base
    from parvis.listening.models import Mention, Source

    heads = Mention.objects.filter(workspace=workspace, group_head=True)
    sources = Source.objects.filter(workspace=workspace)
    probes = {}
    for n, (code, _label) in enumerate(NETWORK_CHOICES):
        kinds = [c.kind for c in base.REGISTRY.values() if c.network == code]
        probes[f"has_{n}"] = Exists(heads.filter(network=code)) | Exists(
            sources.filter(kind__in=kinds)
        )
    found = Workspace.objects.filter(pk=workspace.pk).annotate(**probes).values(*probes).first()
    found = found or {}
    return frozenset(c for n, (c, _label) in enumerate(NETWORK_CHOICES) if found[f"has_{n}"])


class FilterForm(forms.Form):
    """The explorer's filters, from a query string. Unknown keys are ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    query = forms.TypedChoiceField(label=_("Monitored query"), required=False, coerce=int)
    network = forms.ChoiceField(
        label=_("Network"), required=False, choices=[("", _("All networks")), *NETWORK_CHOICES]
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=[("", _("Any sentiment")), *Sentiment.choices],
    )
    lang = forms.CharField(
        label=_("Language"),
        required=False,
        max_length=12,
        widget=forms.Select(choices=LANG_CHOICES),
    )
    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIODS)
    since = MomentField(label=pgettext_lazy("start of a period", "From"))
    until = MomentField(label=pgettext_lazy("end of a period", "To"), end=True)
    author = forms.CharField(label=_("Author"), required=False, max_length=300)
    own = forms.ChoiceField(label=_("Authors"), required=False, choices=OWN_CHOICES)
    toxic = forms.ChoiceField(label=_("Toxicity"), required=False, choices=TOXIC_CHOICES)
    spam = forms.ChoiceField(label=_("Spam"), required=False, choices=SPAM_CHOICES)
    min_reach = forms.IntegerField(
        label=_("Minimum reach"), required=False, min_value=0, max_value=MAX_REACH
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)
    cursor = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any known network is a valid value (an API client, an old saved view), but the
        # list offers only those the workspace has mentions or sources for, read when the
        # form is drawn (the API never draws it).
        self.fields["network"].widget.choices = LazyChoices(
            lambda: [("", _("All networks")), *networks_in_use(workspace)]
        )
        # Only this workspace's queries are valid choices: an id from elsewhere is an error.
        queries = MonitoredQuery.objects.filter(workspace=workspace).values_list("id", "name")
        self.fields["query"].choices = [("", _("All mentions")), *queries]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("bougie OR parfum -soldes")}
        )
        self.fields["q"].help_text = _(
            'Words, "exact phrases", OR, NOT or -word, bougie* for any ending: as in '
            "monitored queries."
        )
        self.fields["author"].widget.attrs["placeholder"] = _("handle")

    def clean_lang(self) -> str:
        lang = self.cleaned_data["lang"].strip().lower().replace("_", "-")
        if lang and not LANG_RE.fullmatch(lang):
            raise ValidationError(_("Enter a language code such as fr or en."))
        return lang

    def clean_author(self) -> str:
        return self.cleaned_data["author"].strip().lstrip("@")

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or "date"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", _("The end of the period is before its start."))
        cursor = data.get("cursor")
        if cursor and "sort" in data:
            try:
                data["after"] = decode_cursor(cursor, data["sort"])
            except ValidationError as exc:
                self.add_error("cursor", exc)
        return data


class QueryForm(forms.ModelForm):
    class Meta:
        model = MonitoredQuery
        fields = ["name", "kind", "expression", "is_active"]
        widgets = {
            "expression": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        }
        help_texts = {
            "expression": _(
                'Words, "exact phrases", #hashtags, @handles, AND / OR / NOT (or ET / OU / '
                "SAUF), -word to exclude, bougie* for any ending, lang:fr, network:bluesky."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = QueryKind.choices


class PreviewForm(forms.Form):
    expression = forms.CharField(required=False, max_length=4000)


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of the view"), max_length=120)
    params = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


MAX_OVERVIEW_DAYS = 366


class PeriodForm(forms.Form):
    """The overview's period: whole days, 30 days up to today by default."""

    since = forms.DateField(
        label=pgettext_lazy("start of a period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=pgettext_lazy("end of a period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or until - dt.timedelta(days=29)
        for day in (since, until):
            if not MIN_YEAR <= day.year <= MAX_YEAR:
                raise ValidationError(_("Enter a year between 1990 and 2100."))
        if since > until:
            raise ValidationError(_("The end of the period is before its start."))
        if (until - since).days >= MAX_OVERVIEW_DAYS:
            raise ValidationError(_("Choose a period of one year at most."))
        data["since"], data["until"] = since, until
        return data


# --- sources --------------------------------------------------------------------------------

CONFIG_PREFIX = "cfg_"
MAX_INTERVAL_MINUTES = 7 * 24 * 60


class SourceForm(forms.Form):
    """A source of one connector kind: its name, schedule, account and the connector's own
    settings (built from its settings_fields, each as a `cfg_<name>` field)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    every_minutes = forms.IntegerField(
        label=_("Every (minutes)"),
        min_value=1,
        max_value=MAX_INTERVAL_MINUTES,
        initial=15,
        help_text=_("How often the source is read."),
    )

    def __init__(
        self,
        *args: Any,
        workspace: Workspace,
        connector: type,
        source: Any = None,
        **kwargs: Any,
    ) -> None:
        from parvis.connectors import ui
        from parvis.connectors.base import Auth
        from parvis.connectors.models import ConnectedAccount

        super().__init__(*args, **kwargs)
        self.connector = connector
        self.source = source
        for spec in connector.settings_fields:
            self.fields[CONFIG_PREFIX + spec.name] = ui.form_field(spec)
        self.accounts = ConnectedAccount.objects.filter(
            workspace=workspace, network=ui.account_network(connector)
        )
        if connector.needs_account or connector.auth != Auth.NONE:
            self.fields["account"] = forms.ModelChoiceField(
                label=_("Account"),
                queryset=self.accounts,
                required=connector.needs_account,
                empty_label=_("No account") if not connector.needs_account else "—",
                help_text=_("The workspace's own account the source reads through."),
            )
        # The account reads like the name and schedule: before the connector's own settings.
        self.order_fields(["name", "every_minutes", "account"])
        if source is not None:
            self.initial.update(self.initial_from(source))

    def initial_from(self, source: Any) -> dict[str, Any]:
        initial = {
            "name": source.name,
            "every_minutes": max(1, round(source.interval_seconds / 60)),
            "account": source.account_id,
        }
        for spec in self.connector.settings_fields:
            if spec.name in source.config:
                initial[CONFIG_PREFIX + spec.name] = source.config[spec.name]
        return initial

    def config(self) -> dict[str, Any]:
        """The settings to validate: the declared fields that have a value, over the ones a
        source already holds that the form does not show (kept as they are)."""
        declared = {spec.name for spec in self.connector.settings_fields}
        kept = {k: v for k, v in (self.source.config if self.source else {}).items()}
        config = {k: v for k, v in kept.items() if k not in declared}
        for spec in self.connector.settings_fields:
            value = self.cleaned_data.get(CONFIG_PREFIX + spec.name)
            if value is not None and value != "":
                config[spec.name] = value
        return config

    def interval_seconds(self) -> int:
        return self.cleaned_data["every_minutes"] * 60

    def account(self) -> Any:
        return self.cleaned_data.get("account")
