from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A worker process's last sign of life: written every minute by a periodic task, so a
    recent row proves that a consumer takes tasks from the queue (`parvis check`, /metrics)."""

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "pid"], name="ops_heartbeat_host_pid")
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class TaskStat(models.Model):
    """Runs and durations of one task name, summed over every worker since the database was
    created; counters the database increments (F()), read at scrape time by /metrics."""

    name = models.CharField(max_length=200, unique=True)
    runs = models.PositiveBigIntegerField(default=0)
    failures = models.PositiveBigIntegerField(default=0)
    seconds_total = models.FloatField(default=0.0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
