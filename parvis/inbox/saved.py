"""Saved replies and notifications: the few actions the inbox pages need beyond services.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from parvis.inbox.models import Notification, SavedReply
from parvis.workspaces.models import Workspace


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
