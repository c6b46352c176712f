"""The workspace home's backup panel, for the owners (Perm.VIEW_OPERATIONS): they answer for
the data, and a backup that stopped is only noticed when it is needed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from parvis.core.health import BACKUP_LATE_SECONDS, last_backup_age
from parvis.workspaces.roles import Perm


def backup_panel(request: Any) -> str:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.can(Perm.VIEW_OPERATIONS):
        return ""
    age = last_backup_age() if settings.BACKUP_DIR else None
    context = {
        "configured": bool(settings.BACKUP_DIR),
        "written_at": timezone.now() - timedelta(seconds=age) if age is not None else None,
        "late": age is None or age > BACKUP_LATE_SECONDS,
    }
    return render_to_string("ops/_backup_panel.html", context)
