"""Workspaces and memberships: every write goes through a do_* action."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from parvis.core.audit import record_event
from parvis.core.models import AuditEvent
from parvis.workspaces.models import Membership, Strategy, Workspace
from parvis.workspaces.roles import Role, can_grant

User = get_user_model()


@transaction.atomic
def do_create_workspace(slug: str, name: str, *, actor: Any = None, owner: Any = None) -> Workspace:
    workspace = Workspace(slug=slug, name=name)
    workspace.full_clean()
    workspace.save()
    Strategy.objects.create(workspace=workspace)
    record_event(AuditEvent.Kind.WORKSPACE_CREATED, actor=actor, workspace=workspace, slug=slug)
    if owner is not None:
        do_add_member(workspace, owner, Role.OWNER, actor=actor)
    return workspace


def do_create_user(username: str, password: str, *, email: str = "") -> Any:
    user = User(username=username, email=email)
    # The same rules as a password changed on the web (too short, too common, too close to
    # the username): the command line is how the first, most powerful accounts are made.
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError(_("Unknown role: %s") % role)


def check_grant(actor_membership: Membership | None, role: str) -> None:
    """None means an administrator acting from the command line."""
    if actor_membership is not None and not can_grant(actor_membership.role, role):
        raise ValidationError(_("Your role cannot grant or change the role “%s”.") % role)


@transaction.atomic
def do_add_member(
    workspace: Workspace,
    user: Any,
    role: str,
    *,
    actor: Any = None,
    actor_membership: Membership | None = None,
) -> Membership:
    check_role(role)
    check_grant(actor_membership, role)
    membership, created = Membership.objects.get_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    if not created:
        return do_change_role(membership, role, actor=actor, actor_membership=actor_membership)
    record_event(
        AuditEvent.Kind.MEMBER_ADDED,
        actor=actor,
        workspace=workspace,
        member=user.get_username(),
        role=role,
    )
    return membership


def owners_left_after(membership: Membership) -> int:
    return (
        Membership.objects.filter(workspace=membership.workspace, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def do_change_role(
    membership: Membership,
    role: str,
    *,
    actor: Any = None,
    actor_membership: Membership | None = None,
) -> Membership:
    check_role(role)
    if membership.role == role:
        return membership
    check_grant(actor_membership, membership.role)
    check_grant(actor_membership, role)
    if membership.role == Role.OWNER and owners_left_after(membership) == 0:
        raise ValidationError(_("A workspace keeps at least one owner."))
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record_event(
        AuditEvent.Kind.MEMBER_ROLE_CHANGED,
        actor=actor,
        workspace=membership.workspace,
        member=membership.user.get_username(),
        before=before,
        after=role,
    )
    return membership


@transaction.atomic
def do_remove_member(
    membership: Membership, *, actor: Any = None, actor_membership: Membership | None = None
) -> None:
    check_grant(actor_membership, membership.role)
    if membership.role == Role.OWNER and owners_left_after(membership) == 0:
        raise ValidationError(_("A workspace keeps at least one owner."))
    membership.delete()
    record_event(
        AuditEvent.Kind.MEMBER_REMOVED,
        actor=actor,
        workspace=membership.workspace,
        member=membership.user.get_username(),
        role=membership.role,
    )


@transaction.atomic
def do_set_time_zone(workspace: Workspace, time_zone: str, *, actor: Any = None) -> Workspace:
    """The workspace's clock: an IANA zone name as spelt in the database ("Europe/Paris"),
    or "" for the installation's. The calendar, scheduling and the best-time map read it
    through zones.zone_of; settings created later (office and quiet hours) start from it."""
    from parvis.workspaces.zones import is_zone_name

    name = time_zone.strip() if isinstance(time_zone, str) else ""
    if name and (len(name) > 64 or not is_zone_name(name)):
        raise ValidationError(
            {
                "time_zone": _(
                    "Unknown time zone: choose one from the list (for example Europe/Paris "
                    "or America/Montreal)."
                )
            }
        )
    # The row as stored now, not the caller's copy (two people may change it at once).
    current = Workspace.objects.select_for_update().get(pk=workspace.pk)
    before = current.time_zone
    if before == name:
        workspace.time_zone = name
        return workspace
    current.time_zone = name
    current.save(update_fields=["time_zone"])
    workspace.time_zone = name
    record_event(
        AuditEvent.Kind.WORKSPACE_CHANGED,
        actor=actor,
        workspace=workspace,
        fields=["time_zone"],
        before=before,
        after=name,
    )
    return workspace
