"""What people do with sources: create, edit, pause, resume, run now, delete. Running them
is listening/runner.py, which the tasks call: this module hands runs to the tasks, never the
other way round."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.core.audit import record_event
from parvis.core.models import AuditEvent
from parvis.listening import freshness, tasks
from parvis.listening.models import Source, SourceStatus
from parvis.workspaces.models import Workspace

logger = logging.getLogger(__name__)


def do_create_source(
    workspace: Workspace,
    *,
    kind: str,
    name: str,
    config: dict[str, Any],
    interval_seconds: int = 900,
    account: ConnectedAccount | None = None,
    actor: Any = None,
) -> Source:
    connector = base.get(kind)
    check_account(connector, workspace, account)
    source = Source(
        workspace=workspace,
        kind=kind,
        name=name,
        config=connector.validate_config(config),
        interval_seconds=interval_seconds,
        next_run_at=timezone.now(),
        account=account,
    )
    source.full_clean()
    source.save()
    audit(AuditEvent.Kind.SOURCE_CREATED, source, actor)
    # The networks a workspace reads are shown from a cached figure (the explorer's network
    # filter): a new source may add one.
    freshness.bump(workspace.pk)
    return source


def audit(kind: str, source: Source, actor: Any, **details: Any) -> None:
    """Sources decide what is collected, and with which account: who changed them matters.
    Names of the fields only, never the settings' values (a feed address may hold a key)."""
    record_event(
        kind,
        actor=actor,
        workspace=source.workspace,
        source_id=source.pk,
        connector=source.kind,
        name=source.name,
        **details,
    )


def check_account(
    connector: type[base.Connector], workspace: Workspace, account: ConnectedAccount | None
) -> None:
    if account is None:
        if connector.needs_account:
            raise ValueError(f"a {connector.kind} source reads through a connected account")
        return
    if account.workspace_id != workspace.pk:
        raise ValueError("the account belongs to another workspace")
    if connector.network and account.network != connector.network:
        raise ValueError(f"a {connector.kind} source needs a {connector.network} account")


def do_resume_source(source: Source) -> None:
    """After a person fixed the cause (new token, new address), or paused it, run again now."""
    source.is_active = True
    source.status = SourceStatus.OK
    source.consecutive_failures = 0
    source.next_run_at = timezone.now()
    source.save(update_fields=["is_active", "status", "consecutive_failures", "next_run_at"])


def do_update_source(
    source: Source,
    *,
    name: str,
    config: dict[str, Any],
    interval_seconds: int,
    account: ConnectedAccount | None,
    actor: Any = None,
) -> Source:
    """Change a source's name, settings, schedule or account (its kind stays). New settings
    describe another feed or search, so the cursor starts over (the pipeline drops repeats).

    Only the edited columns are written: the source may be running meanwhile, and its lease,
    cursor and counts belong to that run (a whole-row save from the form's copy of the row
    gave the lease away and set the cursor and count back)."""
    connector = base.get(source.kind)
    check_account(connector, source.workspace, account)
    config = connector.validate_config(config)
    changed = [
        f
        for f, value in [
            ("name", name),
            ("config", config),
            ("interval_seconds", interval_seconds),
            ("account_id", account.pk if account else None),
        ]
        if getattr(source, f) != value
    ]
    config_keys = sorted(
        k for k in {*config, *source.config} if config.get(k) != source.config.get(k)
    )
    saved = [f.removesuffix("_id") for f in changed]
    if "config" in changed:
        source.cursor = {}
        saved.append("cursor")
    if "interval_seconds" in changed and source.next_run_at is not None:
        source.next_run_at = min(
            source.next_run_at, timezone.now() + dt.timedelta(seconds=interval_seconds)
        )
        saved.append("next_run_at")
    source.name = name
    source.config = config
    source.interval_seconds = interval_seconds
    source.account = account
    source.full_clean()
    if not changed:
        return source
    source.save(update_fields=saved)
    fields = [f.removesuffix("_id") for f in changed if f != "config"]
    fields += [f"config.{k}" for k in config_keys]
    audit(AuditEvent.Kind.SOURCE_CHANGED, source, actor, fields=fields)
    return source


def do_pause_source(source: Source) -> None:
    """A person stops the source until they resume it (the scheduler skips inactive ones).
    Distinct from an error pause (status PAUSED), which keeps the error to show."""
    source.is_active = False
    source.next_run_at = None
    source.save(update_fields=["is_active", "next_run_at"])


def do_run_now(source: Source) -> None:
    """Hand a run to a worker once this transaction commits (a paused source does not run).
    Its next slot moves on as the scheduler's claim does, so the scheduler does not run it a
    second time in the same minute."""
    source_id = source.pk
    source.next_run_at = timezone.now() + dt.timedelta(seconds=source.interval_seconds)
    source.save(update_fields=["next_run_at"])

    def enqueue() -> None:
        try:
            tasks.run_source_task(source_id)
        except Exception:  # the queue is down: the scheduler's next pass still runs it
            logger.warning("source %s: could not queue a run", source_id, exc_info=True)
            Source.objects.filter(pk=source_id).update(next_run_at=timezone.now())

    transaction.on_commit(enqueue)


def do_delete_source(source: Source, actor: Any = None) -> None:
    """The source goes; the mentions it collected stay (their source becomes empty)."""
    audit(AuditEvent.Kind.SOURCE_DELETED, source, actor)
    freshness.bump(source.workspace_id)
    source.delete()
