"""What the YouTube Data API quota has spent today, per Google Cloud project.

Google counts quota per project, and a project is what an API key belongs to, so usage is
keyed by a fingerprint of the key (never the key itself): two sources, or two connected
channels, reading through one key share one budget. Days are Pacific days, as Google's.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from parvis.workspaces.models import WorkspaceScoped


class YouTubeQuotaUsage(WorkspaceScoped):
    # "key:" + 16 hex digits of the key's SHA-256: enough to tell keys apart, useless to a thief.
    project = models.CharField(_("project"), max_length=64)
    day = models.DateField(_("day (Pacific time)"))
    units = models.PositiveIntegerField(_("units"), default=0)
    # search.list has its own bucket of calls per day (Google's quota table, 2025 onward).
    searches = models.PositiveIntegerField(_("searches"), default=0)
    calls = models.PositiveIntegerField(_("calls"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "connectors"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "project", "day"], name="youtube_quota_one_row_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"YouTube quota {self.project} {self.day}: {self.units} units"
