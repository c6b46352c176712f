from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from parvis.workspaces.access import user_workspaces
from parvis.workspaces.roles import Perm

# The areas of a community manager's day. `url` None: arriving with a later release.
AREAS = [
    ("dashboard", _("Overview"), "workspaces:dashboard"),
    ("listening", _("Listening"), "listening:explorer"),
    ("inbox", _("Inbox"), "inbox:list"),
    ("moderation", _("Moderation"), "moderation:rules"),
    ("publishing", _("Publishing"), "publishing:calendar"),
    ("alerts", _("Alerts"), "alerts:list"),
    ("reports", _("Reports"), "reports:archive"),
    ("strategy", _("Strategy"), "workspaces:strategy"),
]


AREA_BY_VIEW = {
    "workspaces:dashboard": "dashboard",
    "workspaces:members": "members",
    "workspaces:audit": "audit",
}


def active_area(view_name: str) -> str:
    if view_name.startswith("workspaces:") and ("strategy" in view_name or "item" in view_name):
        return "strategy"
    if view_name == "workspaces:editorial_line":
        return "strategy"
    if view_name.startswith("connectors:"):
        return "accounts"
    if view_name.startswith("listening:"):
        return "listening"
    if view_name.startswith("inbox:"):
        return "inbox"
    if view_name.startswith("moderation:"):
        return "moderation"
    if view_name.startswith("alerts:"):
        return "alerts"
    if view_name.startswith("publishing:"):
        return "publishing"
    if view_name.startswith("reports:"):
        return "reports"
    return AREA_BY_VIEW.get(view_name, "")


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    match = getattr(request, "resolver_match", None)
    return {
        "active_area": active_area(match.view_name if match else ""),
        "nav_workspaces": list(user_workspaces(user)),
        "nav_areas": AREAS,
        "current_workspace": getattr(request, "workspace", None),
        "current_membership": membership,
        "can_view_audit": bool(membership and membership.can(Perm.VIEW_AUDIT)),
    }
