from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.connectors.networks import NETWORK_CHOICES, NETWORKS


def credential_form_fields(network_code: str, *, required: bool) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for spec in NETWORKS[network_code].credential_fields:
        # Secrets are never rendered back into the page: render_value=False.
        widget = (
            forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            if spec.secret
            else forms.TextInput()
        )
        fields[f"cred_{spec.name}"] = forms.CharField(
            label=spec.label,
            help_text=spec.help_text,
            required=required,
            widget=widget,
            max_length=4000,
        )
    return fields


class ConnectAccountForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), choices=NETWORK_CHOICES)
    handle = forms.CharField(label=_("Account (handle, page or address)"), max_length=200)
    display_name = forms.CharField(label=_("Display name"), max_length=200, required=False)

    def __init__(self, *args: Any, network: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network_code = network if network in NETWORKS else None
        if self.network_code:
            self.fields["network"].initial = self.network_code
            self.fields.update(credential_form_fields(self.network_code, required=True))

    def credentials(self) -> dict[str, str]:
        return {
            name.removeprefix("cred_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("cred_")
        }


class UpdateCredentialsForm(forms.Form):
    def __init__(self, *args: Any, network: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(credential_form_fields(network, required=False))

    def credentials(self) -> dict[str, str]:
        return {name.removeprefix("cred_"): value for name, value in self.cleaned_data.items()}
