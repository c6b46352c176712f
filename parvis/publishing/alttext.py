"""How long an image's description (alt text) may be on each network, counted the network's
way. Pure: services.do_set_alt_text and the pages call it.

- Mastodon: 1,500 characters (the `description` of a media attachment, code points), from
  counting.MEDIA_RULES;
- X: 1,000 characters (the media metadata's alt text), from counting.MEDIA_RULES;
- Bluesky: 2,000 graphemes, the limit of the Bluesky app, and 10,000 UTF-8 bytes, what the
  Bluesky connector sends at most (`bluesky.publishing.MAX_ALT_BYTES`);
- other networks: no documented limit is checked here, only what Parvis keeps (MAX_STORED).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from parvis.connectors import counting
from parvis.core.networks import network_label

MAX_STORED = 5_000  # above every network's limit: what Parvis keeps at all
BLUESKY_ALT_GRAPHEMES = 2_000
GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True)
class AltLimit:
    network: str
    limit: int
    graphemes: bool = False  # counted in grapheme clusters, else in characters (code points)
    max_bytes: int | None = None  # and at most this many UTF-8 bytes

    def measure(self, text: str) -> int:
        return len(GRAPHEME.findall(text)) if self.graphemes else len(text)


def limit_for(network: str) -> AltLimit | None:
    if network == "bluesky":
        from parvis.connectors.bluesky.publishing import MAX_ALT_BYTES

        return AltLimit("bluesky", BLUESKY_ALT_GRAPHEMES, graphemes=True, max_bytes=MAX_ALT_BYTES)
    rule = counting.MEDIA_RULES.get(network)
    if rule is not None and rule.alt_max:
        return AltLimit(network, rule.alt_max)
    return None


def limits_for(networks: Iterable[str]) -> list[AltLimit]:
    found = [limit_for(n) for n in sorted(set(networks))]
    return [f for f in found if f is not None]


def alt_problems(text: str, networks: Iterable[str]) -> list[str]:
    """What each network would refuse in this description (empty: it fits everywhere)."""
    problems = []
    for limit in limits_for(networks):
        used = limit.measure(text)
        if used > limit.limit:
            problems.append(
                _(
                    "%(network)s takes a description of %(limit)s characters at most and this "
                    "one counts %(used)s: remove %(over)s."
                )
                % {
                    "network": network_label(limit.network),
                    "limit": number_format(limit.limit, force_grouping=True),
                    "used": number_format(used, force_grouping=True),
                    "over": number_format(used - limit.limit, force_grouping=True),
                }
            )
        size = len(text.encode("utf-8", "replace"))
        if limit.max_bytes is not None and size > limit.max_bytes:
            problems.append(
                _(
                    "%(network)s also takes %(limit)s bytes at most in a description and this "
                    "one weighs %(used)s (an emoji takes several): shorten it."
                )
                % {
                    "network": network_label(limit.network),
                    "limit": number_format(limit.max_bytes, force_grouping=True),
                    "used": number_format(size, force_grouping=True),
                }
            )
    return problems


def limits_sentence(networks: Iterable[str]) -> str:
    """« Mastodon: 1,500 · Bluesky: 2,000 » for the form's help; "" when none is known."""
    return " · ".join(
        f"{network_label(limit.network)}: {number_format(limit.limit, force_grouping=True)}"
        for limit in limits_for(networks)
    )
