import json

import pytest

from parvis.cli import main as parvis_main
from parvis.connectors.base import Incoming
from parvis.listening import pipeline, search
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import (
    Author,
    Mention,
    MentionMatch,
    MonitoredQuery,
    QuarantinedItem,
    Source,
)
from parvis.listening.signals import mentions_stored
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db


def test_ingest_stores_enriches_and_aggregates(workspace):
    summary = ingest_lines(workspace, lines([mention(i) for i in range(20)]))
    assert summary.as_dict() == {"read": 20, "stored": 20, "duplicates": 0, "rejected": 0}
    first = Mention.objects.get(external_id__endswith="/000001")
    assert first.sentiment in {"negative", "neutral", "positive"}
    assert 0 <= first.toxicity <= 1 and 0 <= first.spam <= 1
    assert set(first.toxicity_categories) >= {"insult", "obscene", "hate", "threat"}
    assert first.engagement == 1 + 1 + 1 and first.reach == 100
    assert first.raw["author"]["handle"] == "user1.bsky.social"
    author = Author.objects.get(handle="user1.bsky.social")
    assert author.mention_count == Mention.objects.filter(author=author).count() == 3
    assert author.engagement == sum(
        Mention.objects.filter(author=author).values_list("engagement", flat=True)
    )
    assert author.influence > 0


def test_nothing_is_stored_twice(workspace):
    items = [mention(i) for i in range(10)]
    ingest_lines(workspace, lines(items + items[:3]))
    again = ingest_lines(workspace, lines(items))
    assert Mention.objects.count() == 10
    assert again.as_dict() == {"read": 10, "stored": 0, "duplicates": 10, "rejected": 0}
    assert Author.objects.get(handle="user1.bsky.social").mention_count == 2


def test_bad_lines_are_quarantined_and_the_rest_stored(workspace):
    good = lines([mention(1), mention(2)])
    bad = [
        "{not json\n",
        json.dumps({"network": "bluesky", "text": "no id"}) + "\n",
        json.dumps(mention(3, created_at="yesterday")) + "\n",
        json.dumps(mention(4, network="myspace")) + "\n",
        json.dumps(["a", "list"]) + "\n",
    ]
    summary = ingest_lines(workspace, [good[0], *bad, good[1]], origin="import.jsonl")
    assert summary.as_dict() == {"read": 7, "stored": 2, "duplicates": 0, "rejected": 5}
    rows = list(QuarantinedItem.objects.order_by("line_number"))
    assert [r.line_number for r in rows] == [2, 3, 4, 5, 6]
    assert rows[0].reason.startswith("invalid JSON") and rows[0].raw == "{not json"
    assert "external_id" in rows[1].reason
    assert "created_at" in rows[2].reason
    assert "unknown network" in rows[3].reason
    assert rows[4].reason == "not a JSON object"
    assert all(r.origin == "import.jsonl" and r.workspace == workspace for r in rows)


def test_naive_dates_are_read_as_utc(workspace):
    ingest_lines(workspace, lines([mention(1, created_at="2026-11-02T08:00:00")]))
    published = Mention.objects.get().published_at
    assert published.utcoffset().total_seconds() == 0 and published.hour == 8


def test_copy_paste_campaign_is_grouped_across_batches(workspace):
    text = "Je participe au concours #MaisonLumiere pour gagner un coffret de bougies !"
    items = [
        mention(i, text=text if i % 2 else f"Message différent numéro {i} sur les bougies")
        for i in range(8)
    ]
    ingest_lines(workspace, lines(items), batch_size=3)
    group = Mention.objects.filter(content_hash__gt="", group_head=True)
    heads = [m for m in group if m.text == text]
    assert len(heads) == 1 and heads[0].group_size == 4
    assert Mention.objects.filter(text=text).count() == 4  # every copy is kept


def test_short_identical_texts_are_not_a_campaign(workspace):
    ingest_lines(workspace, lines([mention(i, text="Merci !") for i in range(3)]))
    assert Mention.objects.filter(group_head=True).count() == 3


def test_queries_are_matched_and_recorded(workspace):
    brand = MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )
    rival = MonitoredQuery.objects.create(
        workspace=workspace,
        name="Rival",
        kind="competitor",
        expression='cireetsens OR "cire & sens"',
    )
    items = [
        mention(1),
        mention(2, text="Cire & Sens a de meilleures bougies"),
        mention(3, text="Rien à voir"),
    ]
    ingest_lines(workspace, lines(items))
    matched = {
        (m.mention.external_id[-1], m.query.name)
        for m in MentionMatch.objects.select_related("mention", "query")
    }
    assert matched == {("1", brand.name), ("2", rival.name)}
    assert Mention.objects.count() == 3  # an import keeps unmatched mentions


def test_sources_can_keep_only_matching_mentions(workspace):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression="lumiere"
    )
    items = [Incoming(mention(1)), Incoming(mention(2, text="Une belle journée à Lyon"))]
    summary = pipeline.run(workspace, items, keep_unmatched=False)
    assert (summary.stored, summary.skipped) == (1, 1)


def test_full_text_search_folds_accents_and_case(workspace):
    ingest_lines(
        workspace,
        lines([mention(1, text="La Société des bougies ÉTÉ"), mention(2, text="autre chose")]),
    )
    found = search.filter_text(Mention.objects.all(), "societe")
    assert [m.external_id[-1] for m in found] == ["1"]
    assert search.filter_text(Mention.objects.all(), "bougi").count() == 1  # prefix as you type
    assert search.filter_text(Mention.objects.all(), "absent").count() == 0


def test_a_failing_stage_writes_nothing_and_keeps_the_cursor(workspace, monkeypatch):
    source = Source.objects.create(workspace=workspace, kind="jsonl", name="s", cursor={"line": 0})

    def boom(rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(search, "index", boom)
    items = [Incoming(mention(1)), Incoming("x", raw="x", line=2, error="invalid JSON")]
    with pytest.raises(RuntimeError):
        pipeline.run(workspace, items, source=source, cursor={"line": 2})
    source.refresh_from_db()
    assert source.cursor == {"line": 0}
    assert not Mention.objects.exists() and not Author.objects.exists()
    assert not QuarantinedItem.objects.exists()


def test_cursor_and_health_advance_with_the_batch(workspace):
    source = Source.objects.create(workspace=workspace, kind="jsonl", name="s")
    pipeline.run(
        workspace, [Incoming(mention(1)), Incoming(mention(2))], source=source, cursor={"line": 2}
    )
    source.refresh_from_db()
    assert source.cursor == {"line": 2} and source.items_total == 2
    assert source.newest_item_at == max(Mention.objects.values_list("published_at", flat=True))


def test_event_is_emitted_after_commit(workspace, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, workspace, mention_ids, source, **kwargs):
        received.append(mention_ids)

    mentions_stored.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ingest_lines(workspace, lines([mention(1), mention(2)]))
    finally:
        mentions_stored.disconnect(listener)
    assert received == [list(Mention.objects.order_by("id").values_list("id", flat=True))]


def test_cli_ingest_prints_summary_and_exit_status(workspace, tmp_path, capsys):
    path = tmp_path / "mentions.jsonl"
    path.write_text("".join(lines([mention(1), mention(2)])), encoding="utf-8")
    assert parvis_main(["ingest", "--workspace", workspace.slug, str(path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == {"read": 2, "stored": 2, "duplicates": 0, "rejected": 0}
    path.write_text("".join(lines([mention(3)])) + "oops\n", encoding="utf-8")
    assert parvis_main(["ingest", "--workspace", workspace.slug, str(path)]) == 2
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == {"read": 2, "stored": 1, "duplicates": 0, "rejected": 1}


def test_cli_ingest_unknown_workspace(db, tmp_path, capsys):
    assert parvis_main(["ingest", "--workspace", "nope", str(tmp_path / "x.jsonl")]) == 1


def test_deleted_mentions_leave_the_search_index(workspace):
    ingest_lines(workspace, lines([mention(1, text="Une bougie parfumée à la figue")]))
    Mention.objects.all().delete()
    # The next mention may reuse the row id (SQLite): it must not inherit the old words.
    ingest_lines(workspace, lines([mention(2, text="Un autre sujet sans rapport")]))
    assert search.filter_text(Mention.objects.all(), "figue").count() == 0
    assert search.filter_text(Mention.objects.all(), "rapport").count() == 1


def test_workspace_deletion_cleans_the_index(workspace, other_workspace):
    ingest_lines(workspace, lines([mention(1, text="Une bougie parfumée à la figue")]))
    workspace.delete()
    ingest_lines(other_workspace, lines([mention(2, text="Un autre sujet sans rapport")]))
    assert search.filter_text(Mention.objects.all(), "figue").count() == 0


def test_one_run_per_source_even_between_threads_of_one_process(workspace):
    import threading

    from parvis.listening import leases

    source = Source.objects.create(workspace=workspace, kind="jsonl_file", name="s")
    names = []
    other = threading.Thread(target=lambda: names.append(leases.me()))
    other.start()
    other.join()
    assert names[0] != leases.me()  # the same process, another thread: another owner
    assert leases.acquire(source.pk)
    assert not leases.acquire(source.pk, owner=names[0])
    leases.release(source.pk)
    assert leases.acquire(source.pk, owner=names[0])


def test_a_dead_local_owner_loses_its_lease(workspace):
    import socket

    from parvis.listening import leases

    source = Source.objects.create(workspace=workspace, kind="jsonl_file", name="s")
    dead = f"{socket.gethostname()}:999999999:1"
    assert leases.acquire(source.pk, owner=dead)
    assert leases.acquire(source.pk)  # pid 999999999 does not exist
    remote = "another-machine:1:1"
    leases.release(source.pk)
    assert leases.acquire(source.pk, owner=remote)
    assert not leases.acquire(source.pk)  # alive for all we know, until it expires


def test_influence_matches_the_documented_examples():
    from parvis.listening.authors import influence

    # docs/listening.md
    assert round(influence(20_000, 250, 5)) == 56
    assert round(influence(150, 2, 1)) == 25
    assert influence(1_000_000, 1_000_000, 100) == 100.0
    assert influence(0, 0, 0) == 0.0


def test_a_new_query_is_matched_against_stored_mentions(
    workspace, owner, django_capture_on_commit_callbacks
):
    from unittest import mock

    from parvis.listening.rematch import rematch_query
    from parvis.listening.services import do_save_query

    ingest_lines(workspace, lines([mention(1), mention(2, text="Cire & Sens, les bougies")]))
    with (
        mock.patch("parvis.listening.tasks.rematch_query_task") as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        query = do_save_query(
            workspace, owner, {"name": "Rival", "kind": "competitor", "expression": '"cire & sens"'}
        )
    task.assert_called_once_with(query.pk)
    assert rematch_query(query.pk) == 1
    assert rematch_query(query.pk) == 1  # idempotent: replaces, never duplicates
    assert MentionMatch.objects.get(query=query).mention.external_id.endswith("000002")
    query.expression = "bougies"
    query.save()
    assert rematch_query(query.pk) == 2
