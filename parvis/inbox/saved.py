"""Saved replies and notifications: the few actions the inbox pages need beyond services.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from parvis.inbox.models import Conversation, Notification, SavedReply, Team
from parvis.inbox.services import fill_saved_reply
from parvis.workspaces.models import Membership, Workspace


def do_delete_saved_reply(workspace: Workspace, actor: Any, saved: SavedReply) -> None:
    """Delete a saved reply of the workspace (replies already sent keep their text)."""
    if saved.workspace_id != workspace.pk:
        raise SavedReply.DoesNotExist
    saved.delete()


def do_mark_notifications_read(
    workspace: Workspace, user: Any, ids: list[int] | None = None
) -> int:
    """Mark the user's notifications in the workspace read: those listed, else all of them."""
    rows = Notification.objects.filter(workspace=workspace, user=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


def expand_shortcut(
    workspace: Workspace, conversation: Conversation, agent: Any, text: str
) -> str | None:
    """« /merci » typed alone in the composer: that saved reply, filled in; else None."""
    word = text.strip()
    if not word.startswith("/") or " " in word or len(word) > 31:
        return None
    found = SavedReply.objects.filter(workspace=workspace, shortcut__iexact=word[1:]).first()
    return fill_saved_reply(found, conversation, agent) if found else None


def do_save_team(
    workspace: Workspace, actor: Any, name: str, members: list[Any], team: Team | None = None
) -> Team:
    """Create or change a team: a name and members of the workspace."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    name = " ".join(name.split())[:80]
    if not name:
        raise ValidationError(_("A team needs a name."))
    allowed = set(Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True))
    if any(user.pk not in allowed for user in members):
        raise ValidationError(_("Only members of the workspace can be in a team."))
    clash = Team.objects.filter(workspace=workspace, name=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ValidationError(_("A team already has this name."))
    if team is None:
        team = Team.objects.create(workspace=workspace, name=name)
    else:
        team.name = name
        team.save(update_fields=["name"])
    team.members.set(members)
    return team
