"""The networks Parvis knows, and what a connected account of each needs.

Connectors (one package each) arrive with the network-connector work; this module
is the shared vocabulary: network identifiers, display names and credential fields.
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
        Network(
            "bluesky",
            "Bluesky",
            (
                CredentialField("service_url", _("PDS address"), secret=False),
                CredentialField(
                    "app_password",
                    _("App password"),
                    help_text=_("Create one in Bluesky: Settings → Privacy and security."),
                ),
            ),
        ),
        Network(
            "mastodon",
            "Mastodon",
            (
                CredentialField("instance_url", _("Instance address"), secret=False),
                CredentialField("access_token", _("Access token")),
            ),
        ),
        Network(
            "reddit",
            "Reddit",
            (
                CredentialField("client_id", _("Client ID"), secret=False),
                CredentialField("client_secret", _("Client secret")),
                CredentialField("refresh_token", _("Refresh token")),
            ),
        ),
        Network("youtube", "YouTube", (CredentialField("api_key", _("API key")),)),
        Network("hackernews", "Hacker News"),
        Network("rss", _("RSS / Atom feed")),
        Network("x", "X (Twitter)", (CredentialField("bearer_token", _("Bearer token")),)),
        Network(
            "facebook", "Facebook", (CredentialField("page_access_token", _("Page access token")),)
        ),
        Network("instagram", "Instagram", (CredentialField("access_token", _("Access token")),)),
        Network("linkedin", "LinkedIn", (CredentialField("access_token", _("Access token")),)),
        Network("tiktok", "TikTok", (CredentialField("access_token", _("Access token")),)),
        Network("threads", "Threads", (CredentialField("access_token", _("Access token")),)),
    ]
}

NETWORK_CHOICES = [(n.code, n.label) for n in NETWORKS.values()]


def network_label(code: str) -> str:
    network = NETWORKS.get(code)
    return str(network.label) if network else code
