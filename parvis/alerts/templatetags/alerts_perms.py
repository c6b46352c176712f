"""`{{ request.membership|can:"manage_alerts" }}`: a permission (never a role) in a template
whose view does not pass it (the episode page's crisis panel)."""

from __future__ import annotations

from typing import Any

from django import template

from parvis.workspaces.roles import Perm

register = template.Library()


@register.filter
def can(membership: Any, perm: str) -> bool:
    try:
        return bool(membership is not None and membership.can(Perm(perm)))
    except (ValueError, AttributeError):
        return False
