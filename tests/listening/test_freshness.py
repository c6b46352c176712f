"""The overview is served from a cache keyed by the workspace's mentions version: a new mention
of the workspace invalidates it, another workspace's does not, and an import's stream of
batches recomputes it at most every MIN_AGE seconds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parvis.listening import explorer, freshness
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import MonitoredQuery
from parvis.listening.rematch import rematch_query
from parvis.listening.services import do_delete_query
from tests.listening.factories import lines
from tests.listening.test_explorer import build_corpus, item
from tests.listening.test_views import queries_for, section

pytestmark = pytest.mark.django_db

BASE = "/w/lumiere/listening/"
PERIOD = {"since": "2026-11-01", "until": "2026-11-07"}


@pytest.fixture
def corpus(workspace):
    return build_corpus(workspace)


@pytest.fixture
def computed(monkeypatch):
    """How many times the overview's figures were computed."""
    calls = []
    real = explorer.overview

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(explorer, "overview", counting)
    return calls


@pytest.fixture
def no_min_age(monkeypatch):
    monkeypatch.setattr(freshness, "MIN_AGE", 0)
    monkeypatch.setattr(freshness, "COST_FACTOR", 0)


def total(client) -> int:
    page = client.get(f"{BASE}overview/", PERIOD).content.decode()
    return int(page.split('id="total">', 1)[1].split("<", 1)[0])


def new_mention(workspace, key: str = "new", day: int = 3) -> None:
    ingest_lines(
        workspace, lines([item(key, f"Maison Lumière : {key} bougie, {len(key)} étoiles", day)])
    )


def test_a_second_view_is_served_from_the_cache(owner_client, corpus, computed):
    first = queries_for(owner_client, f"{BASE}overview/", PERIOD)
    with CaptureQueriesContext(connection) as ctx:
        assert owner_client.get(f"{BASE}overview/", PERIOD).status_code == 200
    assert len(computed) == 1
    assert len(ctx.captured_queries) < first
    # Only the version is read: nothing scans the mentions, their matches or authors.
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "listening_mentionsversion" in tables
    for table in ('listening_mention"', "listening_mentionmatch", "listening_author"):
        assert table not in tables, table


def test_a_new_mention_changes_the_overview(owner_client, workspace, corpus, no_min_age):
    assert total(owner_client) == 9
    new_mention(workspace)
    assert total(owner_client) == 10


def test_another_workspaces_mention_does_not_invalidate(
    owner_client, corpus, other_workspace, computed
):
    assert total(owner_client) == 9
    new_mention(other_workspace)
    assert total(owner_client) == 9
    assert len(computed) == 1


def test_each_period_is_cached_apart(owner_client, corpus, computed):
    owner_client.get(f"{BASE}overview/", PERIOD)
    owner_client.get(f"{BASE}overview/", {"since": "2026-11-02", "until": "2026-11-07"})
    owner_client.get(f"{BASE}overview/", PERIOD)
    assert len(computed) == 2


def test_an_import_recomputes_at_most_every_min_age(
    owner_client, workspace, corpus, computed, monkeypatch
):
    clock = [1_000_000.0]
    monkeypatch.setattr(freshness.time, "time", lambda: clock[0])
    assert total(owner_client) == 9
    new_mention(workspace, "premiere")
    clock[0] += freshness.MIN_AGE / 2
    assert total(owner_client) == 9  # computed moments ago: kept
    new_mention(workspace, "seconde")
    clock[0] += freshness.MIN_AGE
    assert total(owner_client) == 11
    assert len(computed) == 2


def test_only_one_thread_recomputes_the_others_keep_the_figure(
    owner_client, workspace, corpus, computed, no_min_age
):
    assert total(owner_client) == 9
    new_mention(workspace)
    # The overview's key: its period and the brand's own authors (none here).
    key = freshness.cache_key(workspace.pk, "overview", (*explorer_period(), ()))
    assert freshness._claim(key)  # another thread of this process is recomputing it
    try:
        assert total(owner_client) == 9
    finally:
        freshness._release(key)
    assert total(owner_client) == 10


def explorer_period():
    import datetime as dt

    return dt.date(2026, 11, 1), dt.date(2026, 11, 7)


def test_query_changes_invalidate_share_of_voice(owner_client, workspace, corpus, no_min_age):
    def share_of_voice() -> str:
        return section(
            owner_client.get(f"{BASE}overview/", PERIOD).content.decode(), "share-of-voice"
        )

    assert "Cire &amp; Sens" in share_of_voice()
    competitor = MonitoredQuery.objects.get(workspace=workspace, kind="competitor")
    do_delete_query(workspace, None, competitor)
    assert "Cire &amp; Sens" not in share_of_voice()


def test_a_rematch_bumps_the_version(workspace, corpus):
    before = freshness.version(workspace.pk)
    rematch_query(MonitoredQuery.objects.filter(workspace=workspace).first().pk)
    assert freshness.version(workspace.pk) > before


def test_the_first_bump_creates_the_version_row(workspace):
    assert freshness.version(workspace.pk) == 0
    freshness.bump(workspace.pk)
    freshness.bump(workspace.pk)
    assert freshness.version(workspace.pk) == 2


def test_a_slow_figure_is_kept_longer(monkeypatch):
    monkeypatch.setattr(freshness, "MIN_AGE", 10)
    monkeypatch.setattr(freshness, "COST_FACTOR", 5)
    quick = freshness.Cached(version=1, computed_at=1000.0, seconds=0.1, value=None)
    slow = freshness.Cached(version=1, computed_at=1000.0, seconds=4.0, value=None)
    assert quick.kept(1009.0) and not quick.kept(1011.0)
    assert slow.kept(1015.0) and not slow.kept(1021.0)


def test_users_opening_a_new_figure_at_once_wait_for_one_computation(monkeypatch):
    import threading

    monkeypatch.setattr(freshness, "version", lambda workspace_id: 7)
    started, release = threading.Event(), threading.Event()
    computations = []

    def slow():
        computations.append(1)
        started.set()
        release.wait(10)
        return "figures"

    results = []
    first = threading.Thread(target=lambda: results.append(freshness.cached(1, "t", (), slow)))
    first.start()
    assert started.wait(10)
    others = [
        threading.Thread(target=lambda: results.append(freshness.cached(1, "t", (), slow)))
        for _ in range(3)
    ]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert [value for value, _at in results] == ["figures"] * 4
    assert len(computations) == 1


def test_an_out_of_date_figure_is_shown_while_a_thread_computes_the_new_one(monkeypatch):
    """In production an out-of-date figure is recomputed in a thread: the request that
    finds it shows the previous one at once, the next ones get the new one. The first
    computation of a figure is waited for (there is nothing to show before it)."""
    import threading

    monkeypatch.setattr(freshness, "BACKGROUND", True)
    monkeypatch.setattr(freshness, "MIN_AGE", 0)
    monkeypatch.setattr(freshness, "COST_FACTOR", 0)
    monkeypatch.setattr(freshness, "version", lambda workspace_id: state["version"])
    state = {"version": 1, "value": "first"}
    release = threading.Event()
    seen_in: list[str] = []

    def compute():
        seen_in.append(threading.current_thread().name)
        if state["value"] == "second":
            release.wait(10)  # the thread's computation takes its time
        return state["value"]

    main = threading.current_thread().name
    assert freshness.cached(7, "fig", (), compute)[0] == "first"  # waited for
    assert seen_in == [main]
    state.update(version=2, value="second")
    assert freshness.cached(7, "fig", (), compute)[0] == "first"  # at once, out of date
    assert freshness.cached(7, "fig", (), compute)[0] == "first"  # one thread at a time
    release.set()
    for _ in range(200):
        if freshness.cached(7, "fig", (), compute)[0] == "second":
            break
        threading.Event().wait(0.01)
    assert freshness.cached(7, "fig", (), compute)[0] == "second"
    assert len(seen_in) == 2 and seen_in[1] != main
