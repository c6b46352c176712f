"""Running sources: fetch pages from the connector, push them through the pipeline, keep the
source's health (last success, last error, backoff) up to date. The Huey tasks
(listening/tasks.py) call this; the actions people take on sources are in sources.py."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from parvis.connectors import base, http
from parvis.connectors.base import ConnectorError, RetryLater
from parvis.listening import leases, pipeline
from parvis.listening.fetch_context import WorkspaceFetchContext
from parvis.listening.models import Source, SourceStatus
from parvis.listening.pipeline import Summary

logger = logging.getLogger(__name__)

MAX_PAGES_PER_RUN = 20
FAILING_AFTER = 5  # consecutive failures before a retrying source is shown as failing


def record_success(source: Source, now: dt.datetime) -> None:
    source.status = SourceStatus.OK
    source.last_run_at = source.last_success_at = now
    source.consecutive_failures = 0
    source.next_run_at = now + dt.timedelta(seconds=source.interval_seconds)
    source.save(
        update_fields=[
            "status",
            "last_run_at",
            "last_success_at",
            "consecutive_failures",
            "next_run_at",
        ]
    )


def record_failure(source: Source, error: ConnectorError, now: dt.datetime) -> None:
    source.consecutive_failures += 1
    source.last_run_at = source.last_error_at = now
    source.last_error = str(error)[:2000]
    if error.retryable:
        wait = http.backoff(source.consecutive_failures, getattr(error, "retry_after", None))
        source.next_run_at = now + dt.timedelta(seconds=wait)
        failing = source.consecutive_failures >= FAILING_AFTER
        source.status = SourceStatus.FAILING if failing else SourceStatus.RETRYING
    else:
        source.status = SourceStatus.PAUSED
        source.next_run_at = None
    source.save(
        update_fields=[
            "consecutive_failures",
            "last_run_at",
            "last_error_at",
            "last_error",
            "next_run_at",
            "status",
        ]
    )


def fetch_context(source: Source, connector: base.Connector) -> WorkspaceFetchContext:
    keep_unmatched = bool(source.config.get("keep_all", connector.keep_unmatched))
    return WorkspaceFetchContext(source.workspace, keep_unmatched=keep_unmatched)


def fetch_pages(source: Source, connector: base.Connector) -> Summary:
    context = fetch_context(source, connector)
    keep_unmatched = context.keep_unmatched
    total = Summary()
    for _ in range(MAX_PAGES_PER_RUN):
        result = connector.fetch(dict(source.cursor), context)
        summary = pipeline.run(
            source.workspace,
            result.items,
            source=source,
            origin=source.name,
            cursor=result.cursor,
            keep_unmatched=keep_unmatched,
        )
        total.add(summary)
        leases.renew(source.pk)
        if not result.more:
            break
    return total


def run_source(source_id: int, *, http_client: httpx.Client | None = None) -> Summary:
    """One run of a source, unless another is under way. Errors are recorded on the source,
    never raised."""
    if not leases.acquire(source_id):
        logger.info("source %s is already running elsewhere", source_id)
        return Summary()
    try:
        return run_leased(source_id, http_client)
    finally:
        leases.release(source_id)


def run_leased(source_id: int, http_client: httpx.Client | None) -> Summary:
    source = Source.objects.select_related("workspace", "account").filter(pk=source_id).first()
    if source is None or not source.is_active or source.status == SourceStatus.PAUSED:
        return Summary()
    try:
        connector_class = base.get(source.kind)
        connector = connector_class(source, http_client or connector_class.http_client())
        summary = fetch_pages(source, connector)
    except ConnectorError as exc:
        record_failure(source, exc, timezone.now())
        return Summary()
    except Exception as exc:  # a bug or a database error must not stop the other sources
        logger.exception("source %s failed", source.pk)
        record_failure(source, RetryLater(f"{type(exc).__name__}: {exc}"), timezone.now())
        return Summary()
    record_success(source, timezone.now())
    return summary


def claim_due_sources(now: dt.datetime | None = None) -> list[int]:
    """Sources due now, each pushed to its next slot so it is not enqueued twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Source.objects.filter(is_active=True)
            .exclude(status=SourceStatus.PAUSED)
            .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
            .values_list("pk", "interval_seconds")
        )
        for pk, interval in due:
            Source.objects.filter(pk=pk).update(next_run_at=now + dt.timedelta(seconds=interval))
    return [pk for pk, _ in due]
