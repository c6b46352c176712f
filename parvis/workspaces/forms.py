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
