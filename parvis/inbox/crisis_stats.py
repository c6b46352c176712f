"""What the inbox tells the crisis room (through listening.extensions, since alerts may not
import the inbox): of a crisis's mentions, those that became inbox messages, those answered,
and how long the first answer took."""

from __future__ import annotations

from typing import Any

from parvis.inbox.models import Direction, Message
from parvis.listening.extensions import AnswerStats

CHUNK = 500


def answer_stats(workspace: Any, mention_ids: list[int]) -> AnswerStats:
    inbound: list[tuple[int, Any]] = []
    for i in range(0, len(mention_ids), CHUNK):
        inbound += list(
            Message.objects.filter(
                workspace=workspace,
                direction=Direction.IN,
                mention_id__in=mention_ids[i : i + CHUNK],
            ).values_list("conversation_id", "sent_at")
        )
    if not inbound:
        return AnswerStats()
    conversations = {c for c, _ in inbound}
    answers: dict[int, list[Any]] = {}
    ordered = sorted(conversations)
    for ids in (ordered[j : j + CHUNK] for j in range(0, len(ordered), CHUNK)):
        for conversation_id, sent_at in Message.objects.filter(
            workspace=workspace, direction=Direction.OUT, conversation_id__in=ids
        ).values_list("conversation_id", "sent_at"):
            answers.setdefault(conversation_id, []).append(sent_at)
    answered = 0
    minutes: list[float] = []
    for conversation_id, sent_at in inbound:
        later = [a for a in answers.get(conversation_id, ()) if a >= sent_at]
        if later:
            answered += 1
            minutes.append((min(later) - sent_at).total_seconds() / 60)
    return AnswerStats(in_inbox=len(inbound), answered=answered, response_minutes=tuple(minutes))
