"""The checks a post passes before it is scheduled, through one door: counting per network
(`parvis.connectors.counting`) and brand safety with the editorial line
(`parvis.publishing.safety`). Their answers become plain `Problem`s (a code, a message, a key
that identifies a safety finding for an override, its severity and examples), so services,
pages and the API share one shape."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from parvis.connectors import counting
from parvis.connectors.base import MediaFile, PublishLimits
from parvis.publishing import safety


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    key: str = ""  # stable identity of a safety finding (what an override accepts)
    network: str = ""
    # False for a warning a person may publish past (alt text missing, a tone remark): it
    # is shown, never in the way of scheduling.
    blocking: bool = True
    severity: str = ""  # safety findings: block | warn | info
    subject: str = ""  # the hashtag or word a safety finding is about
    # Recent mentions that show why (safety.Example: excerpt, published_at, network, url).
    examples: tuple[Any, ...] = ()


def count_problems(text: str, network: str, limits: PublishLimits | None = None) -> list[Problem]:
    """What makes `text` too long (or otherwise refused) on `network`, and its warnings
    (`blocking` False); empty when it fits."""
    result = counting.count(text, network, limits)
    return [
        Problem(p.code, str(p.message), network=network, blocking=p.blocking)
        for p in result.problems
    ]


def media_problems(
    network: str, media: list[MediaFile], limits: PublishLimits | None = None
) -> list[Problem]:
    return [
        Problem(p.code, str(p.message), network=network, blocking=p.blocking)
        for p in counting.check_media(network, media, limits)
    ]


def safety_findings(
    workspace: Any, text: str, networks: Iterable[str] | None = None
) -> list[Problem]:
    """Brand-safety findings of a text (hashtags riding a tragedy, sensitive topics) and the
    editorial line's remarks; only « block » ones need an override with a reason."""
    if not text.strip():
        return []
    networks = list(networks) if networks is not None else None
    return [
        Problem(
            f.code,
            str(f.message),
            key=f"{f.code}:{f.subject or f.message}",
            blocking=f.severity == safety.BLOCK,
            severity=f.severity,
            subject=f.subject,
            examples=tuple(f.examples),
        )
        for f in safety.check_post(workspace, text, networks=networks)
    ]
