"""What the web pages show of the connectors: which kinds a person may add as a source, which
connect an account, the words for capabilities and auth methods, and form fields built from
a connector's SettingField declarations (source settings and account fields alike)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from parvis.connectors import base
from parvis.connectors.base import Auth, Capability, Connector, SettingField

CAPABILITY_LABELS = {
    Capability.LISTEN: _("Listen"),
    Capability.OWN_ACTIVITY: _("Own activity"),
    Capability.REPLY: _("Reply"),
    Capability.PUBLISH: _("Publish"),
    Capability.MODERATE: _("Moderate"),
    Capability.METRICS: _("Metrics"),
}

AUTH_LABELS = {
    Auth.NONE: _("No account needed"),
    Auth.APP_PASSWORD: _("App password"),
    Auth.OAUTH2: _("Authorization on the network"),
    Auth.API_KEY: _("API key"),
}


def server_only(kind: str) -> bool:
    """Kinds the web pages never offer (Connector.web_ui is False): a JSON Lines path would let
    any editor read server files through the quarantine page; the demo replay is for the demo.
    The command line still adds them: it runs as the server's operator."""
    connector = base.load_all().get(kind)
    return connector is None or not connector.web_ui


# Account fields whose value must never be shown again: rendered as password inputs without
# their value, and scrubbed from error messages.
SECRET_KINDS = frozenset({"password", "secret"})
SECRET_NAME = re.compile(r"password|secret|token|api_?key|private", re.IGNORECASE)


def is_secret(spec: SettingField) -> bool:
    return spec.kind in SECRET_KINDS or bool(SECRET_NAME.search(spec.name))


def capability_labels(connector: type[Connector]) -> list[str]:
    """The connector's capabilities in the enum's order, as words."""
    return [str(CAPABILITY_LABELS[c]) for c in Capability if c in connector.capabilities]


def source_kinds() -> list[type[Connector]]:
    """Connectors a person may add as a source from the web pages, by label."""
    connectors = [c for c in base.load_all().values() if c.web_ui]
    return sorted(connectors, key=lambda c: str(c.label).casefold())


def source_kind(kind: str | None) -> type[Connector] | None:
    if not kind or server_only(kind):
        return None
    return base.load_all().get(kind)


def account_connectors() -> list[type[Connector]]:
    """Connectors that connect an account: one per network and auth method (two connectors
    of one network sharing a sign-in would show the same form twice)."""
    seen: set[tuple[str, str]] = set()
    result = []
    for kind, connector in sorted(base.load_all().items()):
        key = (connector.network or kind, connector.auth)
        if connector.auth == Auth.NONE or server_only(kind) or key in seen:
            continue
        seen.add(key)
        result.append(connector)
    return sorted(result, key=lambda c: str(c.label).casefold())


def account_connector(kind: str | None) -> type[Connector] | None:
    return next((c for c in account_connectors() if c.kind == kind), None)


def account_network(connector: type[Connector]) -> str:
    """The network code stored on the connected account."""
    return connector.network or connector.kind


@dataclass(frozen=True)
class KindRow:
    """One connector as the pick-a-kind pages list it."""

    kind: str
    label: str
    network: str
    capabilities: list[str]
    auth: str
    auth_code: str
    needs_account: bool


def kind_row(connector: type[Connector]) -> KindRow:
    return KindRow(
        kind=connector.kind,
        label=str(connector.label),
        network=account_network(connector),
        capabilities=capability_labels(connector),
        auth=str(AUTH_LABELS.get(connector.auth, connector.auth)),
        auth_code=str(connector.auth),
        needs_account=connector.needs_account,
    )


# --- form fields from SettingField ----------------------------------------------------------

MAX_TEXT = 2000


class AddressField(forms.URLField):
    """A web or websocket address (a firehose is wss://); which schemes a setting accepts in
    the end is its connector's validate_config's call."""

    default_validators = [URLValidator(schemes=["http", "https", "ws", "wss"])]


def form_field(spec: SettingField, *, secret: bool = False) -> forms.Field:
    """A Django form field for one SettingField (text, url, int, bool, choice)."""
    common: dict[str, Any] = {
        "label": spec.label,
        "help_text": spec.help_text,
        "required": spec.required,
    }
    if spec.default is not None and not secret:
        common["initial"] = spec.default
    field = _django_field(spec, secret, common)
    field.advanced = spec.advanced  # read by core/_fields.html (the « Advanced » section)
    return field


def _django_field(spec: SettingField, secret: bool, common: dict[str, Any]) -> forms.Field:
    if spec.kind == "bool":
        return forms.BooleanField(**{**common, "required": False})
    if spec.kind == "int":
        return forms.IntegerField(min_value=0, max_value=10**9, **common)
    if spec.kind == "choice":
        choices = list(spec.choices)
        if not spec.required:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **common)
    if spec.kind == "url":
        return AddressField(max_length=MAX_TEXT, assume_scheme="https", **common)
    if secret:
        # Never rendered back into the page, never remembered by the browser's autofill.
        widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
        return forms.CharField(max_length=MAX_TEXT, widget=widget, strip=True, **common)
    return forms.CharField(max_length=MAX_TEXT, **common)


def scrub(message: str, secrets: list[str]) -> str:
    """An error message with any secret the user typed masked (a network may echo it)."""
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) >= 4:
            message = message.replace(value, "•••")
    return message


def youtube_quotas(workspace: Any) -> list[Any]:
    """What is left today of each YouTube key of the workspace, for the sources page's panel
    (connectors/youtube_quota.html); empty when no YouTube account is connected."""
    from parvis.connectors.youtube.quota import quota_for_workspace

    return quota_for_workspace(workspace)
