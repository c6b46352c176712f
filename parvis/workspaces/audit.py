"""The workspace's security log: its own events and its members' sign-ins and tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from parvis.core.models import AuditEvent
from parvis.workspaces.models import Membership, Workspace

# Events of a person rather than of a workspace (recorded without one): who can enter the
# workspace, and with what, matters to whoever keeps it safe.
ACCOUNT_KINDS = (
    AuditEvent.Kind.LOGIN,
    AuditEvent.Kind.LOGIN_FAILED,
    AuditEvent.Kind.LOGOUT,
    AuditEvent.Kind.TOKEN_CREATED,
    AuditEvent.Kind.TOKEN_REVOKED,
)


def security_log(workspace: Workspace) -> QuerySet[AuditEvent]:
    """Newest first: the workspace's events, and the account events of its current members
    (failed logins by the username typed, since no one was signed in)."""
    members = Membership.objects.filter(workspace=workspace).values("user_id")
    usernames = get_user_model().objects.filter(pk__in=members).values("username")
    account = Q(workspace__isnull=True, kind__in=ACCOUNT_KINDS) & (
        Q(actor__in=members) | Q(actor__isnull=True, username__in=usernames)
    )
    return AuditEvent.objects.filter(Q(workspace=workspace) | account).select_related("actor")
