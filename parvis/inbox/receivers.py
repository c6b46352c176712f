"""What the inbox does when listening stores mentions: take those addressed to the brand."""

from __future__ import annotations

from typing import Any


def take_new_mentions(sender: Any, workspace: Any, mention_ids: list[int], **kwargs: Any) -> None:
    from parvis.inbox.tasks import intake_task

    intake_task(workspace.pk)
