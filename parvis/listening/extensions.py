"""What the apps above listening add to its pages, without listening importing them (the
layers are one-way): an app registers, in its `ready()`, a function giving the actions it
offers on a mention (the inbox: « send to the inbox »)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


# --- answers to mentions (the inbox tells the crisis room, which may not import it) ----------


@dataclass(frozen=True)
class AnswerStats:
    """Of some mentions: how many reached the inbox, how many of those the brand answered,
    and the minutes from each answered mention to its first answer."""

    in_inbox: int = 0
    answered: int = 0
    response_minutes: tuple[float, ...] = ()


AnswerProvider = Callable[[Any, list[int]], AnswerStats]  # (workspace, mention ids)
ANSWER_PROVIDERS: list[AnswerProvider] = []


def register_answer_provider(provider: AnswerProvider) -> AnswerProvider:
    if provider not in ANSWER_PROVIDERS:
        ANSWER_PROVIDERS.append(provider)
    return provider


def answer_stats(workspace: Any, mention_ids: list[int]) -> AnswerStats | None:
    """None when no app answers mentions (no inbox installed)."""
    if not ANSWER_PROVIDERS:
        return None
    parts = [provider(workspace, mention_ids) for provider in ANSWER_PROVIDERS]
    return AnswerStats(
        in_inbox=sum(p.in_inbox for p in parts),
        answered=sum(p.answered for p in parts),
        response_minutes=tuple(m for p in parts for m in p.response_minutes),
    )


# --- holds on publishing (the crisis room pauses scheduled posts; publishing reads it) ------

PublishingHold = Callable[[Any], "str | Promise | None"]  # workspace -> why it is held, or None
PUBLISHING_HOLDS: list[PublishingHold] = []


def register_publishing_hold(hold: PublishingHold) -> PublishingHold:
    if hold not in PUBLISHING_HOLDS:
        PUBLISHING_HOLDS.append(hold)
    return hold


def publishing_holds(workspace: Any) -> list[str | Promise]:
    """Why the workspace's scheduled posts must wait now (empty: they may go)."""
    return [r for r in (hold(workspace) for hold in PUBLISHING_HOLDS) if r]


# --- the bell (publishing tells members what needs them; the alerts app shows it) ----------


@dataclass(frozen=True)
class Notice:
    """A message for some members' bell. `title` and `text` are English msgids marked with
    gettext_noop by the app that sends them, translated when shown (each reader's language),
    with `params` (the network's words stay as they came). `key` names the event: a notice
    whose key a member already has is not stored again (a retried or repeated call)."""

    workspace_id: int
    user_ids: tuple[int, ...]
    key: str
    kind: str
    title: str
    text: str
    url: str  # a path in the app (the post's page)
    params: dict[str, str] = field(default_factory=dict)


Notifier = Callable[[Notice], int]  # stores the notice; returns how many members got it
NOTIFIERS: list[Notifier] = []


def register_notifier(notifier: Notifier) -> Notifier:
    if notifier not in NOTIFIERS:
        NOTIFIERS.append(notifier)
    return notifier


def notify(notice: Notice) -> int:
    """Put the notice in the members' bell; 0 when no app shows a bell (no alerts app). Call
    it inside the transaction that records the event, so both happen or neither."""
    return sum(notifier(notice) for notifier in NOTIFIERS)


# --- results of published posts (publishing tells the analytics app, which may not import it) --


@dataclass(frozen=True)
class PostTotals:
    """Of the posts published in a period: how many, their interactions (likes, reposts,
    replies, quotes: the counts the networks gave), and the views of those that have a view
    count (`viewed`: how many have one; their interactions are `viewed_interactions`)."""

    posts: int = 0
    interactions: int = 0
    viewed: int = 0
    viewed_interactions: int = 0
    views: int = 0


# (workspace, since, until, network or "") -> PostTotals
PostTotalsProvider = Callable[[Any, Any, Any, str], PostTotals]
POST_TOTALS_PROVIDERS: list[PostTotalsProvider] = []


def register_post_totals(provider: PostTotalsProvider) -> PostTotalsProvider:
    if provider not in POST_TOTALS_PROVIDERS:
        POST_TOTALS_PROVIDERS.append(provider)
    return provider


def post_totals(workspace: Any, since: Any, until: Any, network: str = "") -> PostTotals | None:
    """None when no app publishes posts (no publishing installed)."""
    if not POST_TOTALS_PROVIDERS:
        return None
    parts = [provider(workspace, since, until, network) for provider in POST_TOTALS_PROVIDERS]
    return PostTotals(
        posts=sum(p.posts for p in parts),
        interactions=sum(p.interactions for p in parts),
        viewed=sum(p.viewed for p in parts),
        viewed_interactions=sum(p.viewed_interactions for p in parts),
        views=sum(p.views for p in parts),
    )
