"""The editorial line checked on a reply before it leaves: the address form the strategy
chose (tutoiement / vouvoiement) and its words to avoid (shared with publishing, in
parvis/workspaces/editorial.py), the network's length limit (here).

Warnings, not refusals: the community manager may send anyway (`force`), and the reply keeps
the warnings it was sent with.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from parvis.workspaces import editorial
from parvis.workspaces.editorial import fold
from parvis.workspaces.models import Strategy

__all__ = ["LIMITS", "Warning", "blocking", "check", "fold", "graphemes"]

# What a post may hold, in characters as the network counts them (Bluesky: 300 graphemes,
# Mastodon's default instance limit: 500, YouTube comments: 10,000, Reddit: 10,000).
LIMITS = {
    "bluesky": 300,
    "mastodon": 500,
    "reddit": 10_000,
    "youtube": 10_000,
    "x": 280,
    "threads": 500,
    "instagram": 2_200,
    "facebook": 8_000,
    "linkedin": 1_250,
    "tiktok": 150,
}


@dataclass(frozen=True)
class Warning:
    code: str  # address_form | avoid | length | empty
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def graphemes(text: str) -> int:
    """Characters as a reader counts them: a letter and its accents, an emoji with its
    modifiers, count once (close to Bluesky's grapheme count for ordinary text)."""
    return sum(
        1
        for c in unicodedata.normalize("NFC", text)
        if not unicodedata.combining(c)
        and c not in "\u200d\ufe0f"
        and not 0x1F3FB <= ord(c) <= 0x1F3FF
    )


def check(text: str, strategy: Strategy | None, network: str) -> list[Warning]:
    warnings: list[Warning] = []
    if not text.strip():
        return [Warning("empty", _("The reply is empty."))]
    if strategy is not None:
        warnings += [Warning(r.code, r.message) for r in editorial.check_reply(text, strategy)]
    limit = LIMITS.get(network)
    if limit is not None and (length := graphemes(text)) > limit:
        warnings.append(
            Warning(
                "length",
                _("%(length)s characters: the network takes %(limit)s at most.")
                % {"length": length, "limit": limit},
            )
        )
    return warnings


def blocking(warnings: list[Warning]) -> bool:
    """Warnings that even `force` cannot send past: the network would refuse the post."""
    return any(w.code in ("empty", "length") for w in warnings)
