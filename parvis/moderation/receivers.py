"""What moderation does when the inbox takes new messages: apply the rules (in the worker)."""

from __future__ import annotations

from typing import Any


def moderate_new_messages(
    sender: Any, workspace: Any, message_ids: list[int], **kwargs: Any
) -> None:
    from parvis.moderation.tasks import moderate_task

    moderate_task(workspace.pk, list(message_ids))
