from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from parvis.core.networks import NETWORK_CHOICES
from parvis.workspaces.models import Competitor, NetworkChoice, Objective, Persona, Strategy
from parvis.workspaces.roles import LEAST_PRIVILEGED, Role
from parvis.workspaces.strategy import ITEM_KINDS, STRATEGY_FIELDS, clean_list


class ListField(forms.CharField):
    """A list edited as text: one item per line, or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:
        return clean_list(super().to_python(value))


class NetworksField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=NETWORK_CHOICES, required=False, **kwargs)


LIST_HELP = _("One per line, or separated by commas.")


class StrategyForm(forms.ModelForm):
    brand_keywords = ListField(label=_("Brand keywords"), required=False, help_text=LIST_HELP)
    themes = ListField(label=_("Themes"), required=False, help_text=LIST_HELP)
    words_to_use = ListField(label=_("Words to use"), required=False, help_text=LIST_HELP)
    words_to_avoid = ListField(label=_("Words to avoid"), required=False, help_text=LIST_HELP)
    signature_hashtags = ListField(
        label=_("Signature hashtags"), required=False, help_text=LIST_HELP
    )

    class Meta:
        model = Strategy
        fields = STRATEGY_FIELDS
        widgets = {
            "positioning": forms.Textarea(attrs={"rows": 2}),
            "tone": forms.Textarea(attrs={"rows": 2}),
        }


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = ITEM_KINDS["objective"].fields
        # "70,00" and "70,5" in French: a number input would show and want "70.00".
        localized_fields = ("target_value",)
        widgets = {
            "target_value": forms.TextInput(attrs={"inputmode": "decimal"}),
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class PersonaForm(forms.ModelForm):
    networks = NetworksField(label=_("Networks they use"))

    class Meta:
        model = Persona
        fields = ITEM_KINDS["persona"].fields
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "expectations": forms.Textarea(attrs={"rows": 2}),
        }


class NetworkChoiceForm(forms.ModelForm):
    class Meta:
        model = NetworkChoice
        fields = ITEM_KINDS["network"].fields
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}


class CompetitorForm(forms.ModelForm):
    keywords = ListField(label=_("Keywords"), required=False, help_text=LIST_HELP)
    handles = ListField(label=_("Accounts"), required=False, help_text=LIST_HELP)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Competitor
        fields = ITEM_KINDS["competitor"].fields


ITEM_FORMS: dict[str, type[forms.ModelForm]] = {
    "objective": ObjectiveForm,
    "persona": PersonaForm,
    "network": NetworkChoiceForm,
    "competitor": CompetitorForm,
}


class AddMemberForm(forms.Form):
    username = forms.CharField(label=_("Username or e-mail"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=LEAST_PRIVILEGED)

    def clean_username(self) -> Any:
        value = self.cleaned_data["username"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=value).first() or users.filter(email__iexact=value).first()
        if user is None:
            raise forms.ValidationError(_("No active user with this username or e-mail."))
        return user


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


# Region names of the IANA database, as a person reads them (the cities stay as spelt there).
ZONE_REGIONS = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


def zone_label(name: str) -> str:
    """« Amérique · Montreal (UTC-05:00) »: the region translated, the offset of today."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    region, _slash, rest = name.partition("/")
    place = rest.replace("_", " ").replace("/", " · ") if rest else name
    shown = f"{ZONE_REGIONS[region]} · {place}" if region in ZONE_REGIONS and rest else place
    offset = dt.datetime.now(ZoneInfo(name)).strftime("%z")
    sign = "-" if offset.startswith("-") else "+"
    return f"{shown} (UTC{sign}{offset[1:3]}:{offset[3:5]})"


class TimeZoneForm(forms.Form):
    """The workspace's clock: an IANA name typed or picked from the list; empty for the
    installation's zone. The service checks the name (parvis.workspaces.services)."""

    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        help_text=_(
            "Posts, the calendar and reports are shown on this clock. Type a city or a region "
            "and pick it from the list; empty: the installation's zone (%(zone)s)."
        ),
        widget=forms.TextInput(
            attrs={"list": "zone-names", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        field = self.fields["time_zone"]
        field.help_text = field.help_text % {"zone": settings.TIME_ZONE}

    def clean_time_zone(self) -> str:
        from parvis.workspaces.zones import is_zone_name

        value = self.cleaned_data["time_zone"].strip()
        if value and not is_zone_name(value):
            raise forms.ValidationError(
                _(
                    "Unknown time zone: choose one from the list (for example Europe/Paris "
                    "or America/Montreal)."
                )
            )
        return value
