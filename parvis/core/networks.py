"""The networks Parvis knows, and what a connected account of each needs.

The shared vocabulary: network identifiers and display names, and for networks without a
connector (TikTok) the credential fields of the "paste a token" form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool = True
    help_text: str = ""


@dataclass(frozen=True)
class Network:
    code: str
    label: str
    credential_fields: tuple[CredentialField, ...] = field(default_factory=tuple)


NETWORKS: dict[str, Network] = {
    n.code: n
    for n in [
        # Networks with a connector describe their sign-in in the connector (account_fields,
        # login, oauth_*); credential fields here are for pasting a token by hand, for the
        # networks without one. An account connected by pasting a token before its network had
        # a connector keeps its stored credentials; its page offers to connect it again.
        Network("bluesky", "Bluesky"),
        Network("mastodon", "Mastodon"),
        Network("reddit", "Reddit"),
        Network("youtube", "YouTube"),
        Network("hackernews", "Hacker News"),
        Network("rss", _("RSS / Atom feed")),
        Network("x", "X (Twitter)"),
        Network("facebook", "Facebook"),
        Network("instagram", "Instagram"),
        Network("linkedin", "LinkedIn"),
        Network("tiktok", "TikTok", (CredentialField("access_token", _("Access token")),)),
        Network("threads", "Threads"),
    ]
}

NETWORK_CHOICES = [(n.code, n.label) for n in NETWORKS.values()]


def network_label(code: str) -> str:
    network = NETWORKS.get(code)
    return str(network.label) if network else code
