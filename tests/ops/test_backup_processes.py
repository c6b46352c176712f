"""`parvis backup` and `parvis restore` as an operator runs them, on the test run's database
(SQLite, or PostgreSQL in its pass: fresh_deployment makes a database of its own), while
another process keeps ingesting."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from tests.processes import (
    Database,
    fresh_deployment,
    run_parvis,
    wait_until,
)

pytestmark = pytest.mark.slow

PASSPHRASE = "correct horse battery staple\n"
BATCH = 40  # mentions per transaction of the loader

# Ingests batches of BATCH mentions, each in its own transaction, until the stop file exists.
LOADER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from parvis.cli import setup_django
    setup_django()
    from parvis.listening.ingest import ingest_lines
    from parvis.workspaces.models import Workspace
    workspace = Workspace.objects.get(slug="acme")
    stop, n = Path(sys.argv[1]), 0
    while not stop.exists():
        lines = []
        for i in range(n, n + {batch}):
            lines.append(json.dumps({{
                "network": "bluesky",
                "external_id": f"at://did:plc:load/app.bsky.feed.post/{{i:07d}}",
                "url": f"https://bsky.app/profile/load.bsky.social/post/{{i:07d}}",
                "author": {{"handle": f"user{{i % 11}}.bsky.social", "followers": i % 500}},
                "text": f"Bougie numéro {{i}} de Maison Lumière, superbe",
                "created_at": f"2026-11-{{1 + i % 20:02d}}T10:{{i % 60:02d}}:00+00:00",
                "lang": "fr",
            }}))
        ingest_lines(workspace, lines, batch_size={batch}, overlap=False)
        n += {batch}
        time.sleep(0.05)
    """
).format(batch=BATCH)


def tables(db: Database) -> list[str]:
    if db.url:
        return [
            r[0] for r in db.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
    return [
        r[0]
        for r in db.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]


def every_row(db: Database) -> dict[str, list[str]]:
    """Each table's rows, as sorted text, to compare two databases."""
    return {
        name: sorted(repr(row) for row in db.rows(f'SELECT * FROM "{name}"'))
        for name in sorted(tables(db))
    }


def mention_ids(db: Database) -> set[str]:
    return {r[0] for r in db.rows("SELECT external_id FROM listening_mention")}


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        return json.loads(handle.read())


@pytest.fixture
def live(tmp_path):
    with fresh_deployment(tmp_path / "live", "bkp") as env:
        run_parvis(["migrate"], env)
        run_parvis(["workspace", "create", "acme", "--name", "Acme"], env)
        media = Path(env["PARVIS_DATA_DIR"]) / "publishing" / "media" / "ab"
        media.mkdir(parents=True)
        (media / "ab12.png").write_bytes(b"\x89PNG fake image bytes")
        yield env


@pytest.fixture
def target(tmp_path):
    with fresh_deployment(tmp_path / "target", "rst") as env:
        yield env


def test_round_trip_while_another_process_ingests(live, target, tmp_path):
    db = Database(live)
    stop = tmp_path / "stop"
    loader_script = tmp_path / "loader.py"
    loader_script.write_text(LOADER)
    with (tmp_path / "loader.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, str(loader_script), str(stop)], env=live, stdout=log, stderr=log
        )
    try:
        wait_until(lambda: db.mentions() >= 3 * BATCH, "the loader's first batches", timeout=90)
        archive = tmp_path / "during.tar.gz"
        run_parvis(["backup", "--out", str(archive)], live, stdin=PASSPHRASE)
        after_backup = db.mentions()
        wait_until(lambda: db.mentions() > after_backup, "the loader still writing", timeout=60)
    finally:
        stop.touch()
        process.wait(timeout=60)
    assert process.returncode == 0, (tmp_path / "loader.log").read_text()

    manifest = manifest_of(archive)
    assert manifest["keys"] is True
    assert "files/publishing/media/ab/ab12.png" in manifest["members"]
    assert ["ops", "0001_ops"] in manifest["migrations"]

    restored = run_parvis(["restore", str(archive)], target, stdin=PASSPHRASE)
    assert "keys restored" in restored.stdout
    copy = Database(target)
    # Each table holds exactly the rows the manifest counted (one snapshot for both) ...
    for name, count in manifest["tables"].items():
        assert copy.scalar(f'SELECT COUNT(*) FROM "{name}"') == count, name
    # ... that snapshot fell between two of the loader's transactions, never inside one ...
    copied = mention_ids(copy)
    assert len(copied) % BATCH == 0 and len(copied) >= 3 * BATCH
    assert copied < mention_ids(db)  # ... and the loader went on after it.
    assert (Path(target["PARVIS_DATA_DIR"]) / "publishing/media/ab/ab12.png").read_bytes() == (
        b"\x89PNG fake image bytes"
    )
    for key in ("secret_key", "credentials.key"):
        restored_key = Path(target["PARVIS_DATA_DIR"]) / key
        assert restored_key.read_text() == (Path(live["PARVIS_DATA_DIR"]) / key).read_text()
        assert restored_key.stat().st_mode & 0o777 == 0o600

    # Quiet now: a second backup restored over the first (--force) equals the live database
    # row for row, in every table.
    again = tmp_path / "after.tar.gz"
    run_parvis(["backup", "--out", str(again), "--without-keys"], live)
    refused = run_parvis(["restore", str(again)], target, check=False)
    assert refused.returncode == 1 and "not empty" in refused.stderr
    done = run_parvis(["restore", str(again), "--force"], target)
    assert "no keys" in done.stderr or "holds no keys" in done.stderr
    assert every_row(copy) == every_row(db)


def test_a_backup_of_an_earlier_migration_state_restores_and_migrates_forward(
    live, target, tmp_path
):
    # The state before this branch: no ops app tables.
    run_parvis(["manage", "migrate", "ops", "zero"], live)
    archive = tmp_path / "old.tar.gz"
    run_parvis(["backup", "--out", str(archive), "--without-keys"], live)
    assert ["ops", "0001_ops"] not in manifest_of(archive)["migrations"]
    assert "ops_taskstat" not in manifest_of(archive)["tables"]

    run_parvis(["restore", str(archive)], target)
    copy = Database(target)
    assert copy.scalar("SELECT COUNT(*) FROM django_migrations WHERE app = 'ops'") == 1
    assert copy.scalar("SELECT COUNT(*) FROM ops_taskstat") == 0
    assert copy.scalar("SELECT slug FROM workspaces_workspace") == "acme"
    check = run_parvis(["manage", "migrate", "--check"], target, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def rewrite(archive: Path, out: Path, change) -> None:
    """Copy the archive, passing each member's (name, bytes) through `change`."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        for info in src:
            handle = src.extractfile(info)
            assert handle is not None
            data = change(info.name, handle.read())
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def test_damaged_wrong_passphrase_and_newer_archives_are_refused(live, target, tmp_path):
    archive = tmp_path / "ok.tar.gz"
    run_parvis(["backup", "--out", str(archive)], live, stdin=PASSPHRASE)
    copy = Database(target)

    damaged = tmp_path / "damaged.tar.gz"
    rewrite(archive, damaged, lambda n, d: d + b"x" if n.endswith(".png") else d)
    done = run_parvis(["restore", str(damaged)], target, stdin=PASSPHRASE, check=False)
    assert done.returncode == 1 and "checksum mismatch" in done.stderr

    wrong = run_parvis(["restore", str(archive)], target, stdin="not the passphrase\n", check=False)
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr

    def future(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"].append(["ops", "9999_from_the_future"])
        return json.dumps(manifest).encode()

    newer = tmp_path / "newer.tar.gz"
    rewrite(archive, newer, future)
    done = run_parvis(["restore", str(newer)], target, stdin=PASSPHRASE, check=False)
    assert done.returncode == 1 and "newer Parvis" in done.stderr

    short = run_parvis(
        ["backup", "--out", str(tmp_path / "x.tar.gz")], live, stdin="short\n", check=False
    )
    assert short.returncode == 1 and "at least 8" in short.stderr

    # Nothing was written by the refused restores.
    assert tables(copy) == []
    assert not (Path(target["PARVIS_DATA_DIR"]) / "publishing").exists()
