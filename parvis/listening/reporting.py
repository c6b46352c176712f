"""The figures a client report reads from the apps that sit beside the analytics app (the
inbox, moderation, alerts, publishing), which analytics may not import (the layers are
one-way). Each app registers, in its `ready()`, a provider for its section; the report asks
for a section by name and gets plain dataclasses, or None when no app provides it.

Every provider counts with the database (aggregates over the period [since, until)), never
by reading a period's rows into Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PUBLICATIONS = "publications"
COMMUNITY = "community"
MODERATION = "moderation"
CRISES = "crises"


@dataclass(frozen=True)
class PostResult:
    """One published post on one account, with what the network counted (None: unknown)."""

    text: str
    network: str
    handle: str
    published_at: dt.datetime
    likes: int | None
    reposts: int | None
    replies: int | None
    views: int | None
    url: str = ""

    @property
    def interactions(self) -> int:
        return (self.likes or 0) + (self.reposts or 0) + (self.replies or 0)


@dataclass(frozen=True)
class NetworkPosts:
    network: str
    posts: int
    interactions: int
    views: int


@dataclass(frozen=True)
class Publications:
    """The posts published in the period (one per account: a post sent to two accounts is two)
    and the sums of their counts."""

    posts: int = 0
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    views: int = 0
    viewed: int = 0  # posts whose network gives a view count
    by_network: tuple[NetworkPosts, ...] = ()
    top: tuple[PostResult, ...] = ()

    @property
    def interactions(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes


@dataclass(frozen=True)
class Community:
    """The conversations whose first message arrived in the period, and the brand's answers."""

    received: int = 0  # conversations opened by someone in the period
    answered: int = 0  # … of which the brand answered (at any time since)
    median_first_response_minutes: float | None = None
    breached: int = 0  # … whose first answer came after the SLA target
    replies_sent: int = 0  # the brand's messages sent in the period, whatever conversation

    @property
    def response_rate(self) -> float | None:
        return 100.0 * self.answered / self.received if self.received else None


@dataclass(frozen=True)
class Moderation:
    """Hides and deletions decided in the period, by reason (label, count), most first."""

    hidden: int = 0
    deleted: int = 0
    reviewed: int = 0  # sent to the review queue
    by_reason: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CrisisRow:
    started_at: dt.datetime
    closed_at: dt.datetime | None
    title: str
    severity: str
    mentions: int
    peak: int
    note: str = ""


@dataclass(frozen=True)
class Crises:
    """The crises open at some moment of the period, and the alerts raised in it."""

    crises: tuple[CrisisRow, ...] = ()
    alerts_by_severity: tuple[tuple[str, int], ...] = field(default=())


# (workspace, since, until) -> the section's dataclass
SectionProvider = Callable[[Any, dt.datetime, dt.datetime], Any]
SECTION_PROVIDERS: dict[str, SectionProvider] = {}


def register_section(name: str, provider: SectionProvider) -> SectionProvider:
    SECTION_PROVIDERS[name] = provider
    return provider


def section(name: str, workspace: Any, since: dt.datetime, until: dt.datetime) -> Any:
    """The section's figures, or None when no installed app provides them."""
    provider = SECTION_PROVIDERS.get(name)
    return provider(workspace, since, until) if provider is not None else None
