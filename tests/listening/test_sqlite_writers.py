"""Two processes ingesting into one workspace at the same time (what `parvis ingest` does,
in small batches so that their transactions interleave, with overlapping files): on SQLite
neither may fail with "database is locked" (a deferred transaction that reads, then writes,
cannot upgrade its lock once another process committed: SQLITE_BUSY at once, whatever the
timeout; the write transactions start IMMEDIATE), and on PostgreSQL neither may fail on the
unique constraints. Together they store what one would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.listening.factories import mention
from tests.processes import Database, fresh_deployment, run_parvis

pytestmark = pytest.mark.slow

PER_FILE = 6_000
BATCH = 500  # twelve write transactions each
INGEST = """
import json, sys, django
django.setup()
from parvis.listening.ingest import ingest_lines
from parvis.workspaces.models import Workspace
with open(sys.argv[1], encoding="utf-8") as lines:
    summary = ingest_lines(
        Workspace.objects.get(slug="lumiere"), lines, batch_size=BATCH, overlap=False
    )
print(json.dumps(summary.as_dict()))
"""


def write_feed(path, numbers) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n in numbers:
            handle.write(json.dumps(mention(n)) + "\n")


def test_two_ingests_at_once_store_everything_once(tmp_path):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_feed(first, range(PER_FILE))
    write_feed(second, range(PER_FILE // 3, PER_FILE // 3 + PER_FILE))  # 2/3 overlap
    with fresh_deployment(tmp_path / "data", "writers") as env:
        run_parvis(["migrate"], env)
        run_parvis(["workspace", "create", "lumiere", "--name", "Maison Lumière"], env)
        ingests = [
            subprocess.Popen(
                [sys.executable, "-c", INGEST.replace("BATCH", str(BATCH)), str(path)],
                env={**env, "DJANGO_SETTINGS_MODULE": "parvis.settings"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for path in (first, second)
        ]
        outputs = [p.communicate(timeout=300)[0] for p in ingests]
        for process, output in zip(ingests, outputs, strict=True):
            assert process.returncode == 0, output
            assert "locked" not in output
        db = Database(env)
        expected = PER_FILE // 3 + PER_FILE
        assert db.mentions() == expected
        assert db.scalar("SELECT COUNT(DISTINCT external_id) FROM listening_mention") == expected
        assert db.scalar("SELECT SUM(mention_count) FROM listening_author") == expected
        wrong = db.scalar(
            "SELECT COUNT(*) FROM listening_author a WHERE a.mention_count <> "
            "(SELECT COUNT(*) FROM listening_mention m WHERE m.author_id = a.id)"
        )
        assert wrong == 0
