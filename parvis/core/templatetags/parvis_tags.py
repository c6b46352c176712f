from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from parvis.connectors.networks import network_label
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
