"""The editorial line checked on a reply before it leaves: the address form the strategy
chose (tutoiement / vouvoiement) and its words to avoid (shared with publishing, in
parvis/workspaces/editorial.py), the network's length limit (here).

Warnings, not refusals: the community manager may send anyway (`force`), and the reply keeps
the warnings it was sent with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from parvis.connectors.base import PublishLimits
from parvis.connectors.counting import count
from parvis.workspaces import editorial
from parvis.workspaces.editorial import fold
from parvis.workspaces.models import Strategy

__all__ = ["REFUSED", "REPLY_LIMITS", "Warning", "blocking", "check", "fold"]

# Replies are counted as the network counts them (parvis/connectors/counting.py: Bluesky
# graphemes, X weights, Mastodon links at 23…). Where a reply is a comment capped apart from
# posts, its own limit: YouTube and Reddit comments 10,000, Facebook 8,000, LinkedIn 1,250,
# TikTok 150.
REPLY_LIMITS = {
    "reddit": 10_000,
    "youtube": 10_000,
    "facebook": 8_000,
    "linkedin": 1_250,
    "tiktok": 150,
}
# What the network refuses outright, besides the length (counting.py's problem codes).
REFUSED = ("too_many_bytes", "invalid_character")


@dataclass(frozen=True)
class Warning:
    code: str  # address_form | avoid | length | empty | too_many_bytes | invalid_character
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def check(text: str, strategy: Strategy | None, network: str) -> list[Warning]:
    warnings: list[Warning] = []
    if not text.strip():
        return [Warning("empty", _("The reply is empty."))]
    if strategy is not None:
        warnings += [Warning(r.code, r.message) for r in editorial.check_reply(text, strategy)]
    counted = count(text, network, PublishLimits(max_characters=REPLY_LIMITS.get(network)))
    if counted.limit and counted.used > counted.limit:
        warnings.append(
            Warning(
                "length",
                _("%(length)s characters: the network takes %(limit)s at most.")
                % {"length": counted.used, "limit": counted.limit},
            )
        )
    warnings += [Warning(p.code, p.message) for p in counted.problems if p.code in REFUSED]
    return warnings


def blocking(warnings: list[Warning]) -> bool:
    """Warnings that even `force` cannot send past: the network would refuse the post."""
    return any(w.code in ("empty", "length", *REFUSED) for w in warnings)
