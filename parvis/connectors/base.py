"""The connector contract: what every network connector is, says it can do, and raises.

A connector is one package under parvis/connectors/ (rss, demo, …), a subclass of Connector
registered by its `kind`. It turns its network's payloads into normalized mentions
(parvis.listening.normalize) and keeps a cursor so that restarts neither lose nor repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import httpx

    from parvis.listening.models import Source
    from parvis.listening.pipeline import Incoming


class Capability(StrEnum):
    LISTEN = "listen"  # search or stream public posts matching the monitored queries
    OWN_ACTIVITY = "own_activity"  # comments, replies, mentions, messages on our accounts
    REPLY = "reply"
    PUBLISH = "publish"
    MODERATE = "moderate"  # hide / delete
    METRICS = "metrics"


class ConnectorError(Exception):
    """Base of the errors a connector raises; `retryable` tells the scheduler what to do."""

    retryable: ClassVar[bool] = True


class RetryLater(ConnectorError):
    """Rate limit, server error, timeout: try again, not before `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Revoked token, deleted account, feed gone: the source is paused until a person acts.
    The message says what to do."""

    retryable: ClassVar[bool] = False


@dataclass
class FetchResult:
    items: list[Incoming]
    cursor: dict[str, Any]  # the source's cursor once these items are stored
    more: bool = False  # another page is ready now
    notes: dict[str, Any] = field(default_factory=dict)


class Connector:
    kind: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # Sources of this kind keep only mentions that match a monitored query.
    keep_unmatched: ClassVar[bool] = False

    def __init__(self, source: Source, http: httpx.Client | None = None) -> None:
        self.source = source
        self.http = http

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Check and normalise a source's settings; raise ValueError with a clear message."""
        return config

    def fetch(self, cursor: dict[str, Any]) -> FetchResult:
        raise NotImplementedError


REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    if cls.kind in REGISTRY and REGISTRY[cls.kind] is not cls:
        raise ValueError(f"two connectors named {cls.kind!r}")
    REGISTRY[cls.kind] = cls
    return cls


def get(kind: str) -> type[Connector]:
    load_all()
    try:
        return REGISTRY[kind]
    except KeyError:
        raise PermanentError(f"no connector named {kind!r} is installed") from None


CONNECTOR_PACKAGES = ["parvis.connectors.rss", "parvis.connectors.demo", "parvis.connectors.jsonl"]


def load_all() -> dict[str, type[Connector]]:
    """Import the connector packages, which register themselves."""
    import importlib

    for name in CONNECTOR_PACKAGES:
        importlib.import_module(name)
    return REGISTRY
