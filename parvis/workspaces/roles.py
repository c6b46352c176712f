"""Roles and what each may do: the one place where this is decided.

Views and API endpoints name a permission; they never test a role directly.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    MODERATOR = "moderator", _("Moderator")
    ANALYST = "analyst", _("Analyst")
    CLIENT = "client", _("Client (read-only)")


class Perm(StrEnum):
    VIEW = "view"
    EDIT_STRATEGY = "edit_strategy"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_AUDIT = "view_audit"
    MANAGE_LISTENING = "manage_listening"
    REPLY = "reply"
    MODERATE = "moderate"
    PUBLISH = "publish"
    APPROVE = "approve"
    VIEW_REPORTS = "view_reports"
    WRITE_REPORTS = "write_reports"
    MANAGE_ALERTS = "manage_alerts"
    VIEW_OPERATIONS = "view_operations"


ALL = frozenset(Role)
EDITORS = frozenset({Role.OWNER, Role.MANAGER, Role.COMMUNITY_MANAGER})
LEADS = frozenset({Role.OWNER, Role.MANAGER})

PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.VIEW: ALL,
    Perm.EDIT_STRATEGY: EDITORS,
    Perm.MANAGE_MEMBERS: LEADS,
    Perm.MANAGE_ACCOUNTS: LEADS,
    Perm.VIEW_AUDIT: LEADS,
    Perm.MANAGE_LISTENING: EDITORS,
    Perm.REPLY: EDITORS | {Role.MODERATOR},
    Perm.MODERATE: EDITORS | {Role.MODERATOR},
    Perm.PUBLISH: EDITORS,
    Perm.APPROVE: LEADS | {Role.CLIENT},
    Perm.VIEW_REPORTS: ALL,
    # The client's report, its comments and where it is e-mailed: the editors, not the client
    # (nor the analyst, the least privileged role new members get).
    Perm.WRITE_REPORTS: EDITORS,
    # Who is woken at night and where the brand's alerts go are the editors' call, as the
    # queries they watch are.
    Perm.MANAGE_ALERTS: EDITORS,
    # The server's backups (parvis/ops): whoever answers for the data, the owners.
    Perm.VIEW_OPERATIONS: frozenset({Role.OWNER}),
}

PERMISSION_LABELS: dict[Perm, StrOrPromise] = {
    Perm.VIEW: _("See the workspace and its strategy"),
    Perm.EDIT_STRATEGY: _("Edit the strategy and the editorial line"),
    Perm.MANAGE_MEMBERS: _("Invite members and change roles"),
    Perm.MANAGE_ACCOUNTS: _("Connect network accounts and their credentials"),
    Perm.VIEW_AUDIT: _("Read the security log"),
    Perm.MANAGE_LISTENING: _("Create and edit listening queries and sources"),
    Perm.REPLY: _("Answer in the inbox"),
    Perm.MODERATE: _("Hide or delete comments, with a reason"),
    Perm.PUBLISH: _("Write and schedule posts"),
    Perm.APPROVE: _("Approve posts before publication"),
    Perm.VIEW_REPORTS: _("Read reports and KPIs"),
    Perm.WRITE_REPORTS: _("Write reports, their comments and their schedule"),
    Perm.MANAGE_ALERTS: _("Create and edit alert rules and quiet hours"),
    Perm.VIEW_OPERATIONS: _("See whether the server's backups are recent"),
}


def role_can(role: str, perm: Perm) -> bool:
    return role in PERMISSIONS[perm]


def permissions_of(role: str) -> frozenset[Perm]:
    return frozenset(perm for perm in Perm if role_can(role, perm))


# What a new member gets unless someone chooses more: a mistaken click then grants too
# little, never too much (today the analyst: seeing the workspace and its reports).
LEAST_PRIVILEGED: Role = min(Role, key=lambda role: len(permissions_of(role)))


def can_grant(granter_role: str, role: str) -> bool:
    """Only an owner makes or unmakes owners; managers handle every other role."""
    if not role_can(granter_role, Perm.MANAGE_MEMBERS):
        return False
    return granter_role == Role.OWNER or role != Role.OWNER


def matrix() -> list[tuple[str, list[bool]]]:
    """Rows (permission label, one bool per role in Role order), for the roles table."""
    return [
        (str(PERMISSION_LABELS[perm]), [role in PERMISSIONS[perm] for role in Role])
        for perm in Perm
    ]
