"""What the demo keeps of its own: the replies its replay connector « sent », and whether the
demo inbox was dressed once (demo/inbox.py)."""

from __future__ import annotations

from django.db import models

from parvis.workspaces.models import WorkspaceScoped


class DemoSentPost(WorkspaceScoped):
    """A reply posted through the demo connector: the demo's network is this table."""

    idempotency_key = models.CharField(max_length=100, unique=True)
    network = models.CharField(max_length=30)
    in_reply_to = models.CharField(max_length=400)
    private = models.BooleanField(default=False)
    text = models.TextField()
    external_id = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.external_id


class DemoInbox(WorkspaceScoped):
    """Set once the demo inbox was dressed after the backlog intake: never again after."""

    dressed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="unique_demo_inbox")]

    def __str__(self) -> str:
        return f"demo inbox {self.workspace_id}"


class DemoModeration(WorkspaceScoped):
    """What the demo connector « did » to an item: the demo's network keeps it here, one row
    per (workspace, item), so hiding twice is one hidden item."""

    class State(models.TextChoices):
        VISIBLE = "visible"
        HIDDEN = "hidden"
        DELETED = "deleted"

    external_id = models.CharField(max_length=400)
    state = models.CharField(max_length=10, choices=State.choices, default=State.VISIBLE)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"], name="unique_demo_moderation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.state}"
