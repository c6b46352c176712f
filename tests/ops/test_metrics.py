"""/metrics scraped as Prometheus would, parsed with prometheus_client's text parser; JSON log
lines with the request id."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from parvis.alerts.models import Delivery
from parvis.inbox.models import Conversation, Event, EventKind
from parvis.listening.models import Source
from parvis.ops import heartbeat, logs

TOKEN = "a-metrics-token-of-some-length"
pytestmark = pytest.mark.django_db


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family for family in families}


def samples(family, name: str | None = None) -> dict[tuple, float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for s in family.samples
        if name is None or s.name == name
    }


def test_off_without_a_token_and_closed_without_the_right_one(client):
    assert client.get("/metrics").status_code == 404
    with override_settings(METRICS_TOKEN=TOKEN):
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token-at-all")
        assert wrong.status_code == 401
        assert wrong["WWW-Authenticate"].startswith("Bearer")
        assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@override_settings(METRICS_TOKEN=TOKEN)
def test_scrape_reads_the_database_and_the_requests(client, workspace):
    Source.objects.create(workspace=workspace, kind="rss", name="Blog", items_total=42, status="ok")
    Source.objects.create(
        workspace=workspace, kind="mastodon", name="Fedi", items_total=7, status="failing"
    )
    now = timezone.now()
    conversation = Conversation.objects.create(
        workspace=workspace,
        network="bluesky",
        thread_key="t1",
        clock="first",
        due_at=now,
        created_at=now,
        last_message_at=now,
    )
    for _ in range(2):
        Event.objects.create(
            workspace=workspace, conversation=conversation, kind=EventKind.BREACHED, at=now
        )
    for state in ("sent", "sent", "failed"):
        Delivery.objects.create(
            workspace=workspace,
            channel="email",
            target="x@example.test",
            state=state,
            next_attempt_at=now,
            created_at=now,
        )
    heartbeat.beat()
    heartbeat.record_task("parvis.listening.tasks.run_source_task", 1.5)
    heartbeat.record_task("parvis.listening.tasks.run_source_task", 0.5, failures=1)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200

    metrics = scrape(client)

    slug = workspace.slug
    sources = samples(metrics["parvis_source_up"])
    assert {labels: v for labels, v in sources.items() if ("workspace", slug) in labels} == {
        (("kind", "mastodon"), ("source", str(Source.objects.get(name="Fedi").pk)),
         ("status", "failing"), ("workspace", slug)): 0.0,
        (("kind", "rss"), ("source", str(Source.objects.get(name="Blog").pk)),
         ("status", "ok"), ("workspace", slug)): 1.0,
    }  # fmt: skip
    items = samples(metrics["parvis_source_items_ingested"], "parvis_source_items_ingested_total")
    assert sorted(items.values()) == [7.0, 42.0]
    breaches = samples(metrics["parvis_inbox_sla_breaches"], "parvis_inbox_sla_breaches_total")
    assert breaches == {(("workspace", slug),): 2.0}
    assert samples(metrics["parvis_inbox_conversations_overdue"]) == {(("workspace", slug),): 1.0}
    deliveries = samples(metrics["parvis_alert_deliveries"])
    assert deliveries[(("channel", "email"), ("state", "sent"), ("workspace", slug))] == 2.0
    assert deliveries[(("channel", "email"), ("state", "failed"), ("workspace", slug))] == 1.0
    task = (("task", "parvis.listening.tasks.run_source_task"),)
    durations = metrics["parvis_task_duration_seconds"]
    assert samples(durations, "parvis_task_duration_seconds_count")[task] == 2.0
    assert samples(durations, "parvis_task_duration_seconds_sum")[task] == 2.0
    assert samples(metrics["parvis_task_failures"], "parvis_task_failures_total")[task] == 1.0
    ages = samples(metrics["parvis_worker_heartbeat_age_seconds"])
    assert len(ages) == 1 and 0 <= next(iter(ages.values())) < 60
    assert samples(metrics["parvis_queue_depth"])[()] >= 0
    assert metrics["parvis_publishing_variants"].type == "gauge"

    latency = metrics["parvis_http_request_duration_seconds"]
    assert latency.type == "histogram"
    counts = samples(latency, "parvis_http_request_duration_seconds_count")
    assert counts[(("method", "GET"), ("status", "2xx"), ("view", "healthz"))] >= 3
    buckets = samples(latency, "parvis_http_request_duration_seconds_bucket")
    inf = (("le", "+Inf"), ("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    assert buckets[inf] == counts[(("method", "GET"), ("status", "2xx"), ("view", "healthz"))]


def test_json_log_lines_carry_the_request_id(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="proxy-id-1234")
        hostile = client.get("/no-such-page/", HTTP_X_REQUEST_ID="x" * 500 + "\n{}")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    assert response["X-Request-ID"] == "proxy-id-1234"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["request_id"] == "proxy-id-1234"
    assert lines[0]["level"] == "WARNING" and "Not Found" in lines[0]["message"]
    # A header that is not a sane token is replaced by an id of our own.
    assert lines[1]["request_id"] == hostile["X-Request-ID"] != "x" * 500
    assert len(hostile["X-Request-ID"]) == 32


def test_task_timings_are_batched_then_flushed_by_the_heartbeat(monkeypatch):
    from parvis.ops.models import TaskStat

    monkeypatch.setattr(heartbeat, "FLUSH_SECONDS", 3600.0)
    monkeypatch.setattr(heartbeat, "_last_flush", __import__("time").monotonic())
    for n in range(5):
        heartbeat.task_started(f"id-{n}")
        heartbeat.task_finished(f"id-{n}", "parvis.publishing.tasks.publish", failed=n == 4)
    heartbeat.task_finished("never-started", "parvis.publishing.tasks.publish", failed=False)
    assert not TaskStat.objects.exists()  # held in memory: no write per task
    heartbeat.beat()
    stat = TaskStat.objects.get(name="parvis.publishing.tasks.publish")
    assert (stat.runs, stat.failures) == (5, 1)
    assert 0 <= stat.seconds_total < 5


@override_settings(METRICS_TOKEN=TOKEN)
def test_pipeline_stage_timings_reach_the_metrics(client, workspace):
    from parvis.listening.ingest import ingest_lines
    from parvis.listening.stage_times import drain
    from tests.listening.factories import lines, mention

    drain()  # what earlier tests left in this process
    ingest_lines(workspace, lines([mention(n) for n in range(30)]), batch_size=10)
    heartbeat.flush()
    stages = scrape(client)["parvis_pipeline_stage_duration_seconds"]
    counts = samples(stages, "parvis_pipeline_stage_duration_seconds_count")
    # Three batches went through every stage that ran, the write transaction's included.
    assert counts[(("stage", "store"),)] == 3.0, counts
    assert counts[(("stage", "advance_source"),)] == 3.0
    total = samples(stages, "parvis_pipeline_stage_duration_seconds_sum")
    assert all(seconds >= 0 for seconds in total.values()) and sum(total.values()) > 0
