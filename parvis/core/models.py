from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """A security-relevant event: who did what, when, from where. Never holds a secret."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")
        WORKSPACE_CREATED = "workspace_created", _("Workspace created")
        MEMBER_ADDED = "member_added", _("Member added")
        MEMBER_ROLE_CHANGED = "member_role_changed", _("Member role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        ACCOUNT_CONNECTED = "account_connected", _("Account connected")
        CREDENTIALS_CHANGED = "credentials_changed", _("Credentials changed")
        ACCOUNT_REMOVED = "account_removed", _("Account removed")
        ACCOUNT_CHANGED = "account_changed", _("Account changed")
        SOURCE_CREATED = "source_created", _("Source added")
        SOURCE_CHANGED = "source_changed", _("Source changed")
        SOURCE_DELETED = "source_deleted", _("Source deleted")
        QUERY_CREATED = "query_created", _("Monitored query added")
        QUERY_CHANGED = "query_changed", _("Monitored query changed")
        QUERY_DELETED = "query_deleted", _("Monitored query deleted")
        # Who may let a post go out: as security-relevant as a member's role.
        APPROVAL_FLOW_CHANGED = "publishing_approval_settings", _("Approval flow changed")
        # The workspace's clock: when every scheduled post, report and office hour falls.
        WORKSPACE_CHANGED = "workspace_changed", _("Workspace settings changed")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
    )
    # For failed logins, the username typed (the actor may not exist).
    username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its hash is stored; it is shown once."""

    PREFIX = "pvs_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    # Optional: restrict the token to one workspace.
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="First characters, to recognise the token.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
