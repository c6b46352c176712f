from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parvis.core.networks import NETWORK_CHOICES, NETWORKS


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

    def __init__(
        self,
        *args: Any,
        network: str | None = None,
        choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if choices is not None:
            # Networks whose accounts connect through a connector are not pasted here.
            self.fields["network"].choices = choices
        allowed = {code for code, _label in self.fields["network"].choices}
        self.network_code = network if network in NETWORKS and network in allowed else None
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


class AccountFieldsForm(forms.Form):
    """What a connector asks to start connecting an account (its account_fields): an instance
    address, a client id and secret, an app password. Secrets are never rendered back."""

    def __init__(self, *args: Any, connector: type, **kwargs: Any) -> None:
        from parvis.connectors import ui

        super().__init__(*args, **kwargs)
        self.connector = connector
        self.secret_names = set()
        for spec in connector.account_fields():
            secret = ui.is_secret(spec)
            if secret:
                self.secret_names.add(spec.name)
            self.fields[spec.name] = ui.form_field(spec, secret=secret)

    def values(self) -> dict[str, str]:
        """The fields as the connector's login/oauth_start take them: strings, empties left out."""
        result = {}
        for name, value in self.cleaned_data.items():
            if value is None or value == "":
                continue
            result[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return result

    def typed_secrets(self) -> list[str]:
        """The secrets typed, to mask in error messages (a network may echo them)."""
        return [str(v) for k, v in self.data.items() if k in self.secret_names and v]


def manual_networks(guided: set[str]) -> list[tuple[str, str]]:
    """Networks with credential fields and no connector that connects accounts: for these,
    a token made on the network is pasted (X, Facebook, Instagram…)."""
    return [
        (n.code, str(n.label))
        for n in NETWORKS.values()
        if n.credential_fields and n.code not in guided
    ]
