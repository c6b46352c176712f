"""/metrics in Prometheus's text format (prometheus_client). The request latencies are this
process's (a histogram the middleware fills); everything else is read from the database and
the queue at scrape time by a collector, so it is the same whichever web process answers and
covers the workers' work too."""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

# auto_describe off: describing would run the collector's queries at import.
REGISTRY = CollectorRegistry(auto_describe=False)
REQUEST_SECONDS = Histogram(
    "parvis_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, view and status class.",
    ["method", "view", "status"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# The views are the resolver's names (a bounded set); methods outside this list are "other".
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_request(method: str, view: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUEST_SECONDS.labels(method, view, f"{status // 100}xx").observe(seconds)


class DatabaseCollector(Collector):
    """Counts and states read at scrape time."""

    def collect(self) -> Iterator:
        yield from self.queue()
        yield from self.workers()
        yield from self.tasks()
        yield from self.sources()
        yield from self.inbox()
        yield from self.publishing()
        yield from self.alerts()
        yield from self.backup()

    def queue(self) -> Iterator:
        from huey.contrib.djhuey import HUEY

        gauge = GaugeMetricFamily("parvis_queue_depth", "Tasks waiting in the queue.")
        # An unreachable queue has no depth to report (parvis check says why).
        with contextlib.suppress(Exception):
            gauge.add_metric([], HUEY.pending_count())
        yield gauge

    def workers(self) -> Iterator:
        from parvis.ops.models import WorkerHeartbeat

        now = timezone.now()
        age = GaugeMetricFamily(
            "parvis_worker_heartbeat_age_seconds",
            "Seconds since each worker process last ran its heartbeat task.",
            labels=["host", "pid"],
        )
        for beat in WorkerHeartbeat.objects.order_by("host", "pid"):
            age.add_metric([beat.host, str(beat.pid)], (now - beat.seen_at).total_seconds())
        yield age

    def tasks(self) -> Iterator:
        from parvis.ops.heartbeat import STAGE_PREFIX
        from parvis.ops.models import TaskStat

        duration = SummaryMetricFamily(
            "parvis_task_duration_seconds",
            "Time the workers spent running each task.",
            labels=["task"],
        )
        failures = CounterMetricFamily(
            "parvis_task_failures", "Task runs that raised an error.", labels=["task"]
        )
        stages = SummaryMetricFamily(
            "parvis_pipeline_stage_duration_seconds",
            "Time the ingestion pipeline spent in each stage, over every batch.",
            labels=["stage"],
        )
        for stat in TaskStat.objects.order_by("name"):
            if stat.name.startswith(STAGE_PREFIX):
                stages.add_metric([stat.name[len(STAGE_PREFIX) :]], stat.runs, stat.seconds_total)
                continue
            duration.add_metric([stat.name], stat.runs, stat.seconds_total)
            failures.add_metric([stat.name], stat.failures)
        yield duration
        yield failures
        yield stages

    def sources(self) -> Iterator:
        from parvis.listening.models import Source

        up = GaugeMetricFamily(
            "parvis_source_up",
            "1 when the source's last run succeeded, 0 when it is failing or paused.",
            labels=["workspace", "source", "kind", "status"],
        )
        items = CounterMetricFamily(
            "parvis_source_items_ingested",
            "Items the source has delivered to the pipeline.",
            labels=["workspace", "source", "kind"],
        )
        rows = Source.objects.filter(is_active=True).values_list(
            "workspace__slug", "pk", "kind", "status", "items_total"
        )
        for workspace, pk, kind, status, total in rows.order_by("pk"):
            up.add_metric([workspace, str(pk), kind, status], 1.0 if status == "ok" else 0.0)
            items.add_metric([workspace, str(pk), kind], total)
        yield up
        yield items

    def inbox(self) -> Iterator:
        from parvis.inbox.models import Conversation, Event, EventKind

        breaches = CounterMetricFamily(
            "parvis_inbox_sla_breaches",
            "Conversations whose SLA clock ran past its due time.",
            labels=["workspace"],
        )
        rows = (
            Event.objects.filter(kind=EventKind.BREACHED)
            .values_list("workspace__slug")
            .annotate(n=Count("pk"))
            .order_by("workspace__slug")
        )
        for workspace, count in rows:
            breaches.add_metric([workspace], count)
        yield breaches
        overdue = GaugeMetricFamily(
            "parvis_inbox_conversations_overdue",
            "Conversations past their SLA due time now.",
            labels=["workspace"],
        )
        overdue_rows = (
            Conversation.objects.filter(due_at__lt=timezone.now())
            .exclude(clock="")
            .values_list("workspace__slug")
            .annotate(n=Count("pk"))
            .order_by("workspace__slug")
        )
        for workspace, count in overdue_rows:
            overdue.add_metric([workspace], count)
        yield overdue

    def publishing(self) -> Iterator:
        from parvis.publishing.models import Variant

        variants = GaugeMetricFamily(
            "parvis_publishing_variants",
            "Posts on one account, by status (failed: failed for good).",
            labels=["workspace", "status"],
        )
        rows = (
            Variant.objects.values_list("workspace__slug", "status")
            .annotate(n=Count("pk"))
            .order_by("workspace__slug", "status")
        )
        for workspace, status, count in rows:
            variants.add_metric([workspace, status], count)
        yield variants

    def alerts(self) -> Iterator:
        from parvis.alerts.models import Delivery

        deliveries = GaugeMetricFamily(
            "parvis_alert_deliveries",
            "Alert and digest deliveries, by channel and state.",
            labels=["workspace", "channel", "state"],
        )
        rows = (
            Delivery.objects.values_list("workspace__slug", "channel", "state")
            .annotate(n=Count("pk"), attempts=Sum("attempts"))
            .order_by("workspace__slug", "channel", "state")
        )
        for workspace, channel, state, count, _attempts in rows:
            deliveries.add_metric([workspace, channel, state], count)
        yield deliveries

    def backup(self) -> Iterator:
        from parvis.core.health import last_backup_age

        age = last_backup_age()
        if age is not None:
            yield GaugeMetricFamily(
                "parvis_backup_age_seconds",
                "Seconds since the newest archive in PARVIS_BACKUP_DIR was written.",
                value=age,
            )


REGISTRY.register(DatabaseCollector())
# The classic text format, which every Prometheus reads (the client's newest default, 1.0.0,
# is for Prometheus 3 only); every name here is a legacy name, so the body is the same.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404  # off: as if there were no such page
    if not authorized(request):
        response = HttpResponse("bearer token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE)
