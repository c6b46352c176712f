"""What the Facebook connector keeps besides the account's credentials.

- `FacebookSend`: one row per reply or post sent with an idempotency key. The Graph API has
  no idempotency key, so exactly once is kept here: the row is written before the call; a
  later attempt with the same key returns what was recorded, or, when the answer was lost,
  reads the Page back (find_reply / find_post from the row's start) before sending again.
- `FacebookDelivery`: a webhook delivery's changes, verified and waiting for the Page's
  source to store them through the pipeline. Unique on the SHA-256 of each change, so a
  replayed delivery adds nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.workspaces.models import WorkspaceScoped


class FacebookSend(WorkspaceScoped):
    account_id = models.BigIntegerField(_("account"))
    kind = models.CharField(_("kind"), max_length=10)  # reply | post
    key = models.CharField(_("idempotency key"), max_length=200)
    started_at = models.DateTimeField(_("started at"))
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    url = models.CharField(_("address"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        app_label = "connectors"
        constraints = [
            models.UniqueConstraint(
                fields=["account_id", "kind", "key"], name="facebook_send_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"Facebook {self.kind} {self.key}: {self.external_id or 'pending'}"


class FacebookDelivery(models.Model):
    """One change of a webhook delivery (entry.changes[]), for one Page."""

    page_id = models.CharField(_("Page id"), max_length=64, db_index=True)
    digest = models.CharField(_("SHA-256 of the change"), max_length=64, unique=True)
    change = models.JSONField(_("change"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    taken_at = models.DateTimeField(_("stored at"), null=True, blank=True)

    class Meta:
        app_label = "connectors"
        indexes = [models.Index(fields=["page_id", "taken_at"], name="facebook_delivery_pending")]

    def __str__(self) -> str:
        return f"Facebook webhook change {self.digest[:12]} for {self.page_id}"
