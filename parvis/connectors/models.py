from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.connectors import crypto
from parvis.core.networks import NETWORK_CHOICES
from parvis.workspaces.models import WorkspaceScoped


class ConnectedAccount(WorkspaceScoped):
    """A workspace's own profile on a network, with its encrypted credentials."""

    network = models.CharField(_("network"), max_length=30, choices=NETWORK_CHOICES)
    handle = models.CharField(_("account"), max_length=200)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    # Fernet token of a JSON object; never rendered, never logged, never sent by the API.
    credentials_encrypted = models.BinaryField(editable=False, default=b"")
    # Names of the credential fields that are set, so the UI can say "set" without decrypting.
    credential_names = models.JSONField(default=list, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    credentials_updated_at = models.DateTimeField(null=True, editable=False)
    # What the account's server accepts (a Mastodon instance's `configuration`), as last read
    # by connectors/limits.py: the composer counts against it without asking the network at
    # each keystroke. {} until read; a failed read keeps it and says why in `limits_error`.
    publish_limits = models.JSONField(default=dict, blank=True, editable=False)
    limits_read_at = models.DateTimeField(null=True, blank=True, editable=False)
    limits_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    limits_error = models.TextField(blank=True, editable=False)
    # When the sign-in dies unless the person connects the account again (a long-lived token
    # that cannot be renewed, a refresh token's end, a refresh the network refused: then the
    # moment it was refused), from the connector's `sign_in_expires_at`; None: no known end.
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The expiry the workspace was last warned of (listening/expiry.py): one warning per
    # account and expiry.
    expiry_warned_for = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "network", "handle"], name="one_account_per_handle"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_network_display()} {self.handle}"

    def __repr__(self) -> str:
        return f"<ConnectedAccount {self.pk} {self.network}:{self.handle}>"

    def credentials(self) -> dict[str, str]:
        """Decrypted credentials, for a connector's use only."""
        if not self.credentials_encrypted:
            return {}
        return crypto.decrypt(self.credentials_encrypted)


# Connector packages' own models belong to this app; their migrations live here too.
from parvis.connectors.facebook.models import FacebookDelivery, FacebookSend  # noqa: E402, F401
from parvis.connectors.youtube.models import YouTubeQuotaUsage  # noqa: E402, F401
