"""Template filters of the alerts pages.

`{{ request.membership|can:"manage_alerts" }}`: a permission (never a role) in a template
whose view does not pass it (the episode page's crisis panel). `{{ minutes|duration }}`:
« 26 min », « 46 h 15 min »."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from parvis.workspaces.roles import Perm

register = template.Library()


@register.filter
def can(membership: Any, perm: str) -> bool:
    try:
        return bool(membership is not None and membership.can(Perm(perm)))
    except (ValueError, AttributeError):
        return False


@register.filter
def duration(minutes: Any) -> str:
    try:
        total = max(0, int(minutes))
    except (TypeError, ValueError):
        return ""
    if total < 60:
        return _("%(m)s min") % {"m": total}
    hours, rest = divmod(total, 60)
    return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
