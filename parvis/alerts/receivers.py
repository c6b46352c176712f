"""What the alerts do when listening stores mentions: fold them into the series and the
keyword rules, in a task (the catch-up every minute repairs a signal lost in a crash)."""

from __future__ import annotations

from typing import Any


def take_new_mentions(sender: Any, workspace: Any, mention_ids: list[int], **kwargs: Any) -> None:
    from parvis.alerts.tasks import stream_task

    stream_task(workspace.pk)
