"""The inbox's forms: they parse and check what a page sends; the services do the rest."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parvis.core.networks import NETWORK_CHOICES
from parvis.inbox.listing import STATUS_LABELS
from parvis.inbox.models import (
    Conversation,
    EscalationRole,
    InboxSettings,
    Priority,
    SavedReply,
    Status,
    Tag,
    Team,
)
from parvis.listening.models import Source
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Workspace

User = get_user_model()

SENTIMENTS = [
    ("", _("Any sentiment")),
    ("positive", _("Positive")),
    ("neutral", _("Neutral")),
    ("negative", _("Negative")),
]


def members_of(workspace: Workspace):
    return User.objects.filter(memberships__workspace=workspace).order_by("username")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class FilterForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), required=False)
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=Source.objects.none(), required=False
    )
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.none(), required=False)
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=SENTIMENTS, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The networks the inbox has conversations on (one index scan), not every one Parvis
        # knows: no « X » or « TikTok » to pick where nothing ever came from them.
        present = set(
            scoped(Conversation, workspace).order_by().values_list("network", flat=True).distinct()
        )
        networks = [(code, label) for code, label in NETWORK_CHOICES if code in present]
        self.fields["network"].choices = [("", _("Any network")), *networks]
        self.fields["status"].choices = [("", _("Any status")), *STATUS_LABELS.items()]
        source = self.fields["source"]
        source.queryset = scoped(Source, workspace).only("id", "name").order_by("name")
        source.empty_label = _("Any source")
        tag = self.fields["tag"]
        tag.queryset = scoped(Tag, workspace)
        tag.empty_label = _("Any tag")

    def values(self) -> dict[str, Any]:
        return self.cleaned_data if self.is_valid() else {}


BULK_CHOICES = [
    ("assign", _("Assign to…")),
    ("tag", _("Tag")),
    ("resolve", _("Resolve")),
    ("spam", _("Mark as spam")),
]


class BulkForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=BULK_CHOICES)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=True)
    assignee = MemberChoiceField(label=_("Member"), queryset=User.objects.none(), required=False)
    tag = forms.CharField(
        label=_("Tag"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Tag name")}),
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members_of(workspace)
        self.fields["assignee"].empty_label = _("Nobody")
        ids = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(i, i) for i in ids if str(i).isdigit()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "tag" and not data.get("tag", "").strip():
            self.add_error("tag", _("Name the tag."))
        return data


class AssignForm(forms.Form):
    assignee = MemberChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members_of(workspace)
        self.fields["assignee"].empty_label = _("Nobody")
        self.fields["team"].queryset = scoped(Team, workspace)
        self.fields["team"].empty_label = _("No team")


class MembersChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        # An id past 64 bits is no choice (the database would raise on `pk__in`).
        for pk in value:
            if str(pk).isdigit() and int(pk) >= 2**63:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team"), max_length=80)
    members = MembersChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members_of(workspace)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s, label) for s, label in STATUS_LABELS.items() if s != Status.NEW],
    )


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)


SNOOZE_CHOICES = [
    ("1h", _("For 1 hour")),
    ("tomorrow", _("Tomorrow 9:00")),
    ("monday", _("Next Monday 9:00")),
    ("custom", _("Until…")),
    ("wake", _("Wake up now")),
]


class SnoozeForm(forms.Form):
    when = forms.ChoiceField(label=_("Snooze"), choices=SNOOZE_CHOICES)
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def moment(self, now: dt.datetime) -> dt.datetime | None:
        """When the conversation wakes up (None: now), in the workspace's time zone."""
        when = self.cleaned_data["when"]
        local = now.astimezone(self.zone)
        nine = dt.time(9, 0)
        if when == "1h":
            return now + dt.timedelta(hours=1)
        if when == "tomorrow":
            day = local.date() + dt.timedelta(days=1)
            return dt.datetime.combine(day, nine, tzinfo=self.zone)
        if when == "monday":
            day = local.date() + dt.timedelta(days=7 - local.weekday())
            return dt.datetime.combine(day, nine, tzinfo=self.zone)
        if when == "custom":
            until = self.cleaned_data.get("until")
            if until is None:
                raise ValidationError(_("Choose the date and time."))
            moment = until.replace(tzinfo=None).replace(tzinfo=self.zone)
            try:
                moment.astimezone(dt.UTC)  # year 1 east of Greenwich, 9999 west of it
            except OverflowError:
                raise ValidationError(_("Choose the date and time.")) from None
            return moment
        return None


class TagsForm(forms.Form):
    add = forms.CharField(
        label=_("Add a tag"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Add a tag")}),
    )
    remove = forms.CharField(required=False, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only members see it. Mention someone with @username."),
    )


class EscalateForm(forms.Form):
    to_user = MemberChoiceField(label=_("Person"), queryset=User.objects.none(), required=False)
    to_role = forms.ChoiceField(
        label=_("Or a role"),
        choices=[("", "—"), *EscalationRole.choices],
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = members_of(workspace)
        self.fields["to_user"].empty_label = "—"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("to_user") and not data.get("to_role"):
            raise ValidationError(_("Choose a person or a role."))
        return data


class ComposerForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    force = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "shortcut", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As long as a reply may be (the composer's limit).
        self.fields["text"].max_length = ComposerForm.base_fields["text"].max_length
        self.fields["text"].validators.append(
            MaxLengthValidator(ComposerForm.base_fields["text"].max_length)
        )


# --- settings -------------------------------------------------------------------------------

# A context of their own: without it these entries would replace Django's own weekday names
# (lower case in French) in every date of the site (« Prévu le Jeudi … »).
WEEKDAYS = [
    pgettext_lazy("weekday, as a label", "Monday"),
    pgettext_lazy("weekday, as a label", "Tuesday"),
    pgettext_lazy("weekday, as a label", "Wednesday"),
    pgettext_lazy("weekday, as a label", "Thursday"),
    pgettext_lazy("weekday, as a label", "Friday"),
    pgettext_lazy("weekday, as a label", "Saturday"),
    pgettext_lazy("weekday, as a label", "Sunday"),
]
SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})\s*$")


def parse_spans(text: str) -> list[list[str]]:
    """« 09:00-12:30, 14:00-18:00 » → [["09:00", "12:30"], ["14:00", "18:00"]]."""
    spans = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        match = SPAN.match(part)
        if not match:
            raise ValidationError(_("Write the hours as 09:00-12:30, 14:00-18:00 (empty: closed)."))
        spans.append([t.zfill(5) for t in match.groups()])
    return spans


def format_spans(spans: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans)


class SettingsForm(forms.Form):
    time_zone = forms.CharField(label=_("Time zone"), max_length=64)
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One date a line, as 2026-12-25."),
    )
    first_response_hours = forms.DecimalField(
        label=_("First response (hours)"), min_value=0.25, max_value=2000, decimal_places=2
    )
    next_response_hours = forms.DecimalField(
        label=_("Next response (hours)"), min_value=0.25, max_value=2000, decimal_places=2
    )
    resolution_hours = forms.DecimalField(
        label=_("Resolution (hours)"), min_value=0.25, max_value=20000, decimal_places=2
    )
    route_questions = forms.BooleanField(
        label=_("Questions naming the brand come to the inbox"), required=False
    )
    route_complaints = forms.BooleanField(
        label=_("Complaints naming the brand come to the inbox"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(label=label, required=False, max_length=200)

    @classmethod
    def initial_from(cls, settings: InboxSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "time_zone": settings.time_zone,
            "holidays": "\n".join(settings.holidays or []),
            "first_response_hours": round(settings.first_response_minutes / 60, 2),
            "next_response_hours": round(settings.next_response_minutes / 60, 2),
            "resolution_hours": round(settings.resolution_minutes / 60, 2),
            "route_questions": settings.route_questions,
            "route_complaints": settings.route_complaints,
        }
        hours = settings.business_hours or {}
        for day in range(7):
            initial[f"day_{day}"] = format_spans(hours.get(str(day), []))
        return initial

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"day_{day}"] for day in range(7)]

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(_("Unknown time zone (for example: Europe/Paris).")) from None
        return value

    def clean_holidays(self) -> list[str]:
        days = []
        for line in self.cleaned_data["holidays"].splitlines():
            if not line.strip():
                continue
            try:
                days.append(dt.date.fromisoformat(line.strip()).isoformat())
            except ValueError:
                raise ValidationError(
                    _("« %(line)s » is not a date (write 2026-12-25)."), params={"line": line}
                ) from None
        return sorted(set(days))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        hours = {}
        for day in range(7):
            try:
                spans = parse_spans(data.get(f"day_{day}") or "")
            except ValidationError as error:
                self.add_error(f"day_{day}", error)
                continue
            if spans:
                hours[str(day)] = spans
        if not hours and not any(f"day_{day}" in self.errors for day in range(7)):
            # Closed every day: no clock could ever reach its target.
            self.add_error("day_0", _("Open at least one day a week."))
        data["business_hours"] = hours
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "time_zone": data["time_zone"],
            "business_hours": data["business_hours"],
            "holidays": data["holidays"],
            "first_response_minutes": round(data["first_response_hours"] * 60),
            "next_response_minutes": round(data["next_response_hours"] * 60),
            "resolution_minutes": round(data["resolution_hours"] * 60),
            "route_questions": data["route_questions"],
            "route_complaints": data["route_complaints"],
        }
