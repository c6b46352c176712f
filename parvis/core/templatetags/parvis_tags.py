from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from parvis.core.networks import network_label
from parvis.workspaces.roles import Role

register = template.Library()

ROLE_LABELS = dict(Role.choices)
# Audit detail keys shown to people, in this order; ids are for machines and stay hidden.
AUDIT_KEYS = {
    "member": _("member"),
    "role": _("role"),
    "before": _("before"),
    "after": _("after"),
    "network": _("network"),
    "handle": _("account"),
    "name": _("name"),
    "fields": _("fields"),
    "token_hint": _("token"),
    "for_user": _("for"),
    "slug": _("identifier"),
}


# What an account's stored credentials are, in words (the keys are the connectors' own names).
CREDENTIAL_LABELS = {
    "access_token": _("access token"),
    "refresh_token": _("renewal token"),
    "access_jwt": _("session"),
    "refresh_jwt": _("session renewal"),
    "app_password": _("app password"),
    "api_key": _("API key"),
    "client_id": _("app identifier"),
    "client_secret": _("app secret"),
    "channel_id": _("channel"),
    "instance_url": _("server"),
    "service_url": _("server"),
    "did": _("account identifier"),
    "expires_at": _("expiry"),
    "token": _("token"),
}


@register.filter
def credential_label(name: str) -> str:
    """A stored credential's name in words; an unknown (third-party) one made readable."""
    label = CREDENTIAL_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ")


@register.filter(name="network_label")
def network_label_filter(code: str) -> str:
    return network_label(code)


def audit_value(key: str, value: Any) -> str:
    if key in {"role", "before", "after"}:
        return str(ROLE_LABELS.get(value, value))
    if key == "network":
        return network_label(value)
    if key == "token_hint":
        return f"{value}…"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


@register.filter
def audit_details(details: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(label), audit_value(key, details[key]))
        for key, label in AUDIT_KEYS.items()
        if key in details
    ]


@register.filter
def plain_fields(form: Any) -> list[Any]:
    """The form's fields shown first: all but those a connector marks advanced."""
    return [field for field in form if not getattr(field.field, "advanced", False)]


@register.filter
def advanced_fields(form: Any) -> list[Any]:
    """Technical fields with sensible defaults, folded under « Advanced » (core/_fields.html)."""
    return [field for field in form if getattr(field.field, "advanced", False)]


@register.filter
def any_errors(fields: list[Any]) -> bool:
    return any(field.errors for field in fields)
