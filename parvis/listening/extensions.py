"""What the apps above listening add to its pages, without listening importing them (the
layers are one-way): an app registers, in its `ready()`, a function giving the actions it
offers on a mention (the inbox: « send to the inbox »)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Action:
    label: str | Promise
    url: str
    method: str = "post"  # post: a button in a form (CSRF); get: a link


MentionAction = Callable[[Any, Any], "Action | None"]  # (request, mention) -> Action | None
MENTION_ACTIONS: list[MentionAction] = []


def register_mention_action(action: MentionAction) -> MentionAction:
    if action not in MENTION_ACTIONS:
        MENTION_ACTIONS.append(action)
    return action


def mention_actions(request: Any, mention: Any) -> list[Action]:
    return [a for a in (action(request, mention) for action in MENTION_ACTIONS) if a is not None]
