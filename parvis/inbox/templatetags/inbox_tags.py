from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from parvis.core.networks import network_label
from parvis.inbox import listing

register = template.Library()


@register.filter
def can(membership: Any, perm: str) -> bool:
    """{% if current_membership|can:"reply" %}: whether the member holds a permission."""
    return bool(membership) and membership.can(perm)


@register.filter
def status_label(code: str) -> str:
    return str(listing.STATUS_LABELS.get(code, code))


@register.filter
def network(code: str) -> str:
    return network_label(code)


@register.filter
def sentiment_word(value: Any) -> str:
    """An author's average sentiment (-1 … 1) or a message's label, in words."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        return {"positive": _("Positive"), "negative": _("Negative"), "neutral": _("Neutral")}.get(
            value, value
        )
    if value > 0.2:
        return _("Positive")
    if value < -0.2:
        return _("Negative")
    return _("Neutral")


@register.filter
def hours(value: Any) -> str:
    """A figure in hours, « 2,5 h », or « — » when there is none."""
    if value is None:
        return "—"
    return _("%(hours)s h") % {"hours": template.defaultfilters.floatformat(value, 1)}


@register.filter
def percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{template.defaultfilters.floatformat(value * 100, 0)} %"


@register.filter
def at_handle(handle: str) -> str:
    """« @alice » whether the network gave « alice » or « @alice » (Mastodon, YouTube)."""
    handle = str(handle or "").strip()
    return "@" + handle.lstrip("@") if handle else ""


@register.filter
def person(user: Any) -> str:
    """A member as colleagues call them: their name, else their username."""
    return listing.person(user) if user is not None else ""
