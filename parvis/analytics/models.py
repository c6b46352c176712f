from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.workspaces.models import WorkspaceScoped


class AccountSnapshot(WorkspaceScoped):
    """A connected account's public counts on one day (UTC): one row per account and day,
    the day's last reading (collect.py upserts it). None: the network does not give it."""

    account = models.ForeignKey(
        "connectors.ConnectedAccount", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("read at"))
    followers = models.PositiveBigIntegerField(_("followers"), null=True, blank=True)
    following = models.PositiveBigIntegerField(_("following"), null=True, blank=True)
    posts = models.PositiveBigIntegerField(_("posts"), null=True, blank=True)

    class Meta:
        verbose_name = _("account snapshot")
        verbose_name_plural = _("account snapshots")
        ordering = ["account", "day"]
        constraints = [
            # Also the index the series are read by (account, then days in order).
            models.UniqueConstraint(fields=["account", "day"], name="one_snapshot_per_day")
        ]
        indexes = [models.Index(fields=["workspace", "day"], name="snapshot_workspace_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.followers}"
