"""The publishing pages' forms: they parse and check what a person typed; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parvis.core.networks import network_label
from parvis.publishing.calendar import MAX_YEAR, MIN_YEAR

MAX_TEXT = 100_000
MAX_REASON = 5_000


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """Text a person typed: refused when it cannot be stored (NUL, lone surrogates)."""
    if len(value) > limit:
        raise ValidationError(_("This text is too long."))
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise ValidationError(_("This text contains characters that cannot be stored."))
    return value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def set_choices(field: forms.Field, choices: list[tuple[str, Any]]) -> None:
    """Choices known at request time (the workspace's accounts, campaigns)."""
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def check_date(value: dt.date | None) -> dt.date | None:
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(
            _("Choose a date between %(first)s and %(last)s.")
            % {
                "first": MIN_YEAR,
                "last": MAX_YEAR,
            }
        )
    return value


def local_moment(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """A date and a time read on the workspace's clock, as an aware datetime.

    In the hour that does not exist when clocks spring forward, fold=0 takes the offset of
    before the change (02:30 becomes 03:30); in the hour that happens twice, the first one.
    """
    naive = dt.datetime.combine(day, time)
    moment = naive.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC).astimezone(zone)


class FilterForm(forms.Form):
    """The calendar's filters, from the URL (shareable): anything unknown is ignored."""

    network = forms.ChoiceField(label=_("Network"), required=False)
    account = forms.ChoiceField(label=_("Account"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    alsace = forms.BooleanField(label=_("Alsace-Moselle holidays"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        accounts: list[Any],
        statuses: list[tuple[str, Any]],
        campaigns: list[Any],
    ) -> None:
        super().__init__(data)
        every = [("", pgettext_lazy("every network or account", "All"))]
        networks = sorted({a.network for a in accounts})
        set_choices(self.fields["network"], every + [(n, network_label(n)) for n in networks])
        set_choices(
            self.fields["account"],
            every + [(str(a.pk), f"{network_label(a.network)} · {a.handle}") for a in accounts],
        )
        set_choices(self.fields["status"], every + list(statuses))
        any_campaign = [("", pgettext_lazy("every campaign", "All"))]
        set_choices(
            self.fields["campaign"], any_campaign + [(str(c.pk), c.name) for c in campaigns]
        )

    def values(self) -> dict[str, str]:
        """The valid filters only (a forged value is dropped, not an error page)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}


class ComposerForm(forms.Form):
    """The master text, the accounts (each with the master text or its own), the campaign,
    the time on the workspace's clock, and one image or video with its alternative text."""

    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "id": "id_text"}),
        help_text=_("Written once; each account below can keep it or have its own version."),
    )
    accounts = forms.MultipleChoiceField(
        label=_("Publish on"), required=False, widget=forms.CheckboxSelectMultiple
    )
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    day = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    time = forms.TimeField(label=_("Time"), required=False, widget=TimeInput())
    upload = forms.FileField(label=_("Image or video"), required=False)
    alt_text = forms.CharField(
        label=_("Alternative text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Describes the image for people who cannot see it (read by screen readers)."),
    )

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        accounts: list[Any],
        campaigns: list[Any],
        zone: ZoneInfo,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, files, initial=initial)
        self.zone = zone
        self.account_list = accounts
        set_choices(
            self.fields["accounts"],
            [(str(a.pk), f"{network_label(a.network)} · {a.handle}") for a in accounts],
        )
        set_choices(
            self.fields["campaign"], [("", _("None"))] + [(str(c.pk), c.name) for c in campaigns]
        )
        for account in accounts:
            self.fields[f"own_{account.pk}"] = forms.BooleanField(
                label=_("Own text for this account"), required=False
            )
            self.fields[f"variant_{account.pk}"] = forms.CharField(
                label=_("Text for %(account)s") % {"account": account.handle},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def clean_text(self) -> str:
        return clean_text(self.cleaned_data["text"])

    def clean_alt_text(self) -> str:
        return clean_text(self.cleaned_data["alt_text"], MAX_REASON)

    def clean_day(self) -> dt.date | None:
        return check_date(self.cleaned_data["day"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for account in self.account_list:
            key = f"variant_{account.pk}"
            try:
                cleaned[key] = clean_text(cleaned.get(key) or "")
            except ValidationError as error:
                self.add_error(key, error)
        day, time = cleaned.get("day"), cleaned.get("time")
        if time is not None and day is None:
            self.add_error("day", _("Choose the date too."))
        if cleaned.get("upload") is not None and not cleaned.get("alt_text", "").strip():
            self.add_error("alt_text", _("Describe the image: not everyone can see it."))
        return cleaned

    def scheduled_at(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("day"), self.cleaned_data.get("time")
        if day is None:
            return None
        return local_moment(day, time or dt.time(9, 0), self.zone)

    def variants(self) -> dict[int, str]:
        """Account id -> its own text ("" keeps the master text)."""
        chosen = {int(pk) for pk in self.cleaned_data.get("accounts") or []}
        return {
            account.pk: (
                self.cleaned_data.get(f"variant_{account.pk}", "")
                if self.cleaned_data.get(f"own_{account.pk}")
                else ""
            )
            for account in self.account_list
            if account.pk in chosen
        }

    def campaign_id(self) -> int | None:
        value = self.cleaned_data.get("campaign")
        return int(value) if value else None

    def account_rows(self) -> list[dict[str, Any]]:
        """What the template shows per account: its checkbox state and its two fields."""
        chosen = set(self["accounts"].value() or [])
        return [
            {
                "account": account,
                "checked": str(account.pk) in chosen,
                "own": self[f"own_{account.pk}"],
                "text": self[f"variant_{account.pk}"],
            }
            for account in self.account_list
        ]


class MoveForm(forms.Form):
    """« Move to… »: another day, and the time (kept when left empty)."""

    day = forms.DateField(label=_("Move to"), widget=DateInput())
    time = forms.TimeField(label=_("Time"), required=False, widget=TimeInput())

    def clean_day(self) -> dt.date | None:
        return check_date(self.cleaned_data["day"])

    def moment(self, zone: ZoneInfo, current: dt.datetime | None) -> dt.datetime:
        time = self.cleaned_data.get("time")
        if time is None:
            time = current.astimezone(zone).time() if current else dt.time(9, 0)
        return local_moment(self.cleaned_data["day"], time.replace(tzinfo=None), zone)


class DecisionForm(forms.Form):
    APPROVE = "approve"
    CHANGES = "changes"

    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (CHANGES, _("Request changes"))],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_comment(self) -> str:
        return clean_text(self.cleaned_data["comment"], MAX_REASON).strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == self.CHANGES and not cleaned.get("comment"):
            self.add_error("comment", _("Say what should change."))
        return cleaned


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why publish it anyway?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the post's log with your name."),
    )

    def clean_reason(self) -> str:
        reason = clean_text(self.cleaned_data["reason"], MAX_REASON).strip()
        if not reason:
            raise ValidationError(_("Say why this post should go out anyway."))
        return reason


class LinkForm(forms.Form):
    email = forms.EmailField(label=_("Approver's e-mail address"))


class ApprovalSettingsForm(forms.Form):
    """Who approves a post before it is published: nobody, one role, or two in turn."""

    flow = forms.ChoiceField(label=_("Approval before publishing"), widget=forms.RadioSelect)
    step1_role = forms.ChoiceField(label=_("First step approved by"))
    step2_role = forms.ChoiceField(
        label=_("Second step approved by"), help_text=_("Only with two steps.")
    )
    link_hours = forms.IntegerField(
        label=_("Approval links expire after (hours)"), min_value=1, max_value=24 * 30
    )

    def __init__(
        self, data: Any = None, *, flows: list[Any], roles: list[Any], initial: Any = None
    ) -> None:
        super().__init__(data, initial=initial)
        set_choices(self.fields["flow"], flows)
        set_choices(self.fields["step1_role"], roles)
        set_choices(self.fields["step2_role"], roles)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_name(self) -> str:
        name = clean_text(self.cleaned_data["name"], 120).strip()
        if not name:
            raise ValidationError(_("Give the campaign a name."))
        return name

    def clean_description(self) -> str:
        return clean_text(self.cleaned_data["description"], MAX_REASON)
