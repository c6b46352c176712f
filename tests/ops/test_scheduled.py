"""The worker's daily backup, keeping N; its age on /healthz and for the owners."""

from __future__ import annotations

import os
import tarfile
import time

import pytest
from django.test import override_settings

from parvis.core.health import backups
from parvis.ops import scheduled
from parvis.ops.keys import open_sealed

pytestmark = pytest.mark.django_db(transaction=True)


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_daily_backup_written_once_a_day_and_pruned(tmp_path, workspace):
    with override_settings(BACKUP_DIR=tmp_path, BACKUP_KEEP=3, BACKUP_PASSPHRASE="long enough"):
        first = scheduled.run_if_due()
        assert first is not None and first.parent == tmp_path
        assert scheduled.run_if_due() is None  # not a day old yet
        with tarfile.open(first) as tar:
            names = tar.getnames()
            sealed = tar.extractfile("keys.enc").read()
        assert names[0] == "manifest.json" and "keys.enc" in names
        assert open_sealed(sealed, "long enough")["credentials_keys"]
        assert first.stat().st_mode & 0o777 == 0o600

        # Older archives, as if the worker had run for days.
        for day in range(1, 6):
            old = tmp_path / f"parvis-backup-2026110{day}T000000Z.tar.gz"
            old.write_bytes(b"old")
            age(old, 86400 * (10 - day))
        age(first, 23 * 3600 + 60)  # the newest is due again
        time.sleep(1.1)  # archive names hold the second
        second = scheduled.run_if_due()
        assert second is not None and second != first
    kept = backups(tmp_path)
    assert [p.name for p in kept][-1] == second.name
    assert len(kept) == 3 and first in kept


def test_without_a_passphrase_the_keys_are_left_out(tmp_path, workspace, caplog):
    with override_settings(BACKUP_DIR=tmp_path, BACKUP_KEEP=2, BACKUP_PASSPHRASE=""):
        path = scheduled.run_if_due()
    with tarfile.open(path) as tar:
        assert "keys.enc" not in tar.getnames()
    assert "without the keys" in caplog.text


def test_no_backup_dir_no_backup(workspace):
    with override_settings(BACKUP_DIR=None):
        assert scheduled.run_if_due() is None


def test_healthz_shows_the_last_backup_age(client, tmp_path):
    assert "backup" not in client.get("/healthz").json()
    with override_settings(BACKUP_DIR=tmp_path):
        assert client.get("/healthz").json()["backup"] == {"status": "missing"}
        archive = tmp_path / "parvis-backup-20261207T000000Z.tar.gz"
        archive.write_bytes(b"x")
        age(archive, 3600)
        body = client.get("/healthz").json()
        assert body["status"] == "ok"
        assert body["backup"]["status"] == "ok" and 3590 < body["backup"]["age_seconds"] < 3700
        age(archive, 40 * 3600)
        assert client.get("/healthz").json()["backup"]["status"] == "late"


def test_owners_see_the_backup_age_and_others_do_not(client, workspace, member_factory, tmp_path):
    owner = member_factory("owner")
    manager = member_factory("manager")
    url = f"/w/{workspace.slug}/"
    archive = tmp_path / "parvis-backup-20261207T000000Z.tar.gz"
    archive.write_bytes(b"x")
    age(archive, 3 * 3600 + 90)
    client.cookies["django_language"] = "en"
    with override_settings(BACKUP_DIR=tmp_path):
        client.force_login(owner)
        page = client.get(url).content.decode()
        panel = page[page.index("backup-title") :][:400]
        assert "Last backup 3\xa0hours, 1\xa0minute ago." in panel, panel
        age(archive, 50 * 3600)
        page = client.get(url).content.decode()
        assert "It is late" in page
        client.force_login(manager)
        assert "Last backup" not in client.get(url).content.decode()
    with override_settings(BACKUP_DIR=None):
        client.force_login(owner)
        assert "PARVIS_BACKUP_DIR" in client.get(url).content.decode()


def test_earlier_archives_in_the_data_dir_are_not_backed_up_again(tmp_path, workspace, settings):
    from parvis.ops import archive

    stray = settings.DATA_DIR / "parvis-backup-20261101T000000Z.tar.gz"
    stray.write_bytes(b"an old archive")
    kept = settings.DATA_DIR / "mail" / "note.eml"
    kept.parent.mkdir(exist_ok=True)
    kept.write_bytes(b"a mail")
    try:
        names = [name for name, _ in archive.data_files()]
    finally:
        stray.unlink()
        kept.unlink()
    assert "mail/note.eml" in names
    assert not any(name.startswith("parvis-backup-") for name in names)
    assert not any(
        name.startswith(("secret_key", "credentials.key", "parvis.sqlite3")) for name in names
    )
