"""Editing sources and queries while they run, and the audit trail of those edits."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import parvis
from parvis.core.models import AuditEvent
from parvis.listening import leases, pipeline, services, sources
from parvis.listening.models import Source
from parvis.listening.pipeline import Incoming
from tests.listening.factories import mention

pytestmark = pytest.mark.django_db

FEED = "https://blog.test/feed?key=s3cret-feed-key"


def rss_source(workspace, actor=None) -> Source:
    return sources.do_create_source(
        workspace, kind="rss", name="Blog", config={"url": FEED}, actor=actor
    )


def test_renaming_a_running_source_keeps_its_lease_cursor_and_count(workspace, owner):
    source = rss_source(workspace)
    edited = Source.objects.get(pk=source.pk)  # the edit form's copy, read before the run
    assert leases.acquire(source.pk, "worker-1")
    items = [Incoming(data=mention(n)) for n in range(3)]
    pipeline.run(workspace, items, source=source, cursor={"etag": "page-2"})
    sources.do_update_source(
        edited, name="Blog renamed", config={"url": FEED}, interval_seconds=900, account=None
    )
    source.refresh_from_db()
    assert source.name == "Blog renamed"
    assert source.lease_owner == "worker-1" and source.lease_until is not None
    assert source.cursor == {"etag": "page-2"}
    assert source.items_total == 3 and source.newest_item_at is not None
    assert not leases.acquire(source.pk, "worker-2")


def test_new_settings_mid_run_keep_the_cursor_at_the_start(workspace, owner):
    source = rss_source(workspace)  # the running copy, with the old settings
    edited = Source.objects.get(pk=source.pk)
    new_feed = {"url": "https://other.test/feed"}
    sources.do_update_source(
        edited, name="Blog", config=new_feed, interval_seconds=900, account=None
    )
    items = [Incoming(data=mention(n)) for n in range(2)]
    pipeline.run(workspace, items, source=source, cursor={"etag": "old-feed-page-2"})
    source.refresh_from_db()
    assert source.config["url"] == new_feed["url"]
    assert source.cursor == {}  # the new feed is read from its start
    assert source.items_total == 2


def test_a_batch_adds_to_the_stored_count_not_to_its_own_copy(workspace):
    source = rss_source(workspace)
    Source.objects.filter(pk=source.pk).update(items_total=5)  # another run meanwhile
    pipeline.run(workspace, [Incoming(data=mention(n)) for n in range(2)], source=source)
    assert Source.objects.get(pk=source.pk).items_total == 7


def test_the_newest_item_date_never_goes_back(workspace):
    source = rss_source(workspace)
    pipeline.run(workspace, [Incoming(data=mention(19))], source=source)  # 2026-11-20
    newest = Source.objects.get(pk=source.pk).newest_item_at
    pipeline.run(workspace, [Incoming(data=mention(0))], source=source)  # 2026-11-01
    assert Source.objects.get(pk=source.pk).newest_item_at == newest


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


def test_source_changes_are_audited_with_field_names_only(workspace, owner):
    source = rss_source(workspace, actor=owner)
    sources.do_update_source(
        source,
        name="Blog 2",
        config={"url": FEED.replace("s3cret", "n3w-s3cret")},
        interval_seconds=900,
        account=None,
        actor=owner,
    )
    sources.do_update_source(
        source, name="Blog 2", config=dict(source.config), interval_seconds=900, account=None
    )  # nothing changed: nothing recorded
    sources.do_delete_source(source, actor=owner)
    [created] = events(AuditEvent.Kind.SOURCE_CREATED)
    [changed] = events(AuditEvent.Kind.SOURCE_CHANGED)
    [deleted] = events(AuditEvent.Kind.SOURCE_DELETED)
    assert created.actor == owner and created.workspace == workspace
    assert created.details["name"] == "Blog" and created.details["connector"] == "rss"
    assert changed.details["fields"] == ["name", "config.url"]
    assert deleted.details["name"] == "Blog 2"
    for event in (created, changed, deleted):
        assert "s3cret" not in json.dumps(event.details)


def test_query_changes_are_audited(workspace, owner):
    query = services.do_save_query(
        workspace, owner, {"name": "Marque", "kind": "brand", "expression": "bougie"}
    )
    services.do_save_query(
        workspace, owner, {"name": "Marque", "expression": "bougie OR cire"}, instance=query
    )
    services.do_delete_query(workspace, owner, query)
    [created] = events(AuditEvent.Kind.QUERY_CREATED)
    [changed] = events(AuditEvent.Kind.QUERY_CHANGED)
    [deleted] = events(AuditEvent.Kind.QUERY_DELETED)
    assert created.actor == owner and created.details["name"] == "Marque"
    assert changed.details["fields"] == ["expression"]
    assert deleted.details["name"] == "Marque" and deleted.workspace == workspace


def test_the_security_log_page_shows_source_changes(workspace, owner):
    from tests.conftest import login

    source = rss_source(workspace, actor=owner)
    sources.do_update_source(
        source, name="Blog 2", config={"url": FEED}, interval_seconds=60, account=None, actor=owner
    )
    page = login(owner).get(f"/w/{workspace.slug}/audit/").content.decode()
    assert "Blog 2" in page and "interval_seconds" in page
    assert "s3cret" not in page


# Calls of .save() with no update_fields that create a row (a fresh instance): all others must
# name the columns they change, so that they cannot write back a stale copy of the rest.
CREATES = {
    ("listening/services.py", "do_save_query"),
    ("listening/sources.py", "do_create_source"),
    ("workspaces/services.py", "do_create_workspace"),
    ("workspaces/services.py", "do_create_user"),
    ("connectors/services.py", "do_connect_account"),
    ("inbox/services.py", "do_save_reply"),  # only without a pk; edits name their columns
    ("inbox/intake.py", "take_own_post"),
    ("inbox/intake.py", "add_inbound"),
    ("inbox/sending.py", "record_sent"),
    # Publishing: each builds a new instance, validates it (full_clean), then inserts it.
    ("publishing/services.py", "do_create_campaign"),
    ("publishing/services.py", "do_create_post"),
    ("publishing/services.py", "add_variant"),
    ("publishing/services.py", "do_upload_media"),
    ("publishing/approvals.py", "_decide"),
    ("publishing/approvals.py", "do_create_link"),
    ("publishing/contest_services.py", "do_create_contest"),
    ("publishing/series.py", "do_create_series"),
    ("publishing/threads.py", "do_save_thread"),  # new parts; edited ones name their columns
}


def whole_row_saves() -> set[tuple[str, str]]:
    root = Path(parvis.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "save"
                    and not call.args
                    and not any(k.arg == "update_fields" for k in call.keywords)
                ):
                    found.add((path.relative_to(root).as_posix(), function.name))
    return found


def test_every_save_of_an_existing_row_names_its_columns():
    assert whole_row_saves() <= CREATES
