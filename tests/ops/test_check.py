"""`parvis check`: each misconfiguration it lists gives its error or warning line."""

from __future__ import annotations

import os
import shutil
from collections import namedtuple
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from parvis.ops import check
from parvis.ops.heartbeat import beat
from parvis.ops.models import WorkerHeartbeat
from tests.alerts.servers import free_port, smtp_server

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def levels(lines: list[check.Line]) -> list[str]:
    return [line.level for line in lines]


def only(lines: list[check.Line], level: str) -> check.Line:
    found = [line for line in lines if line.level == level]
    assert len(found) == 1, lines
    return found[0]


@pytest.mark.django_db
def test_worker_heartbeat_missing_stale_and_recent():
    assert "no worker has ever run" in only(check.check_worker(), "error").message
    beat()
    assert levels(check.check_worker()) == ["ok"]
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=10))
    assert "for 10 minutes" in only(check.check_worker(), "error").message


@pytest.mark.django_db
def test_the_database_is_migrated_in_tests():
    assert levels(check.check_database()) == ["ok"]
    assert levels(check.check_queue()) == ["ok"]


def test_keys_missing_or_readable_by_others(tmp_path, monkeypatch):
    monkeypatch.delenv("PARVIS_SECRET_KEY", raising=False)
    monkeypatch.delenv("PARVIS_CREDENTIALS_KEY", raising=False)
    with override_settings(DATA_DIR=tmp_path):
        (tmp_path / "secret_key").write_text("x" * 50)
        os.chmod(tmp_path / "secret_key", 0o644)
        lines = check.check_keys()
        assert levels(lines) == ["error", "error"]
        assert "mode 0644" in lines[0].message and "chmod 600" in lines[0].fix
        assert "credentials.key is missing" in lines[1].message
        os.chmod(tmp_path / "secret_key", 0o600)
        monkeypatch.setenv("PARVIS_CREDENTIALS_KEY", "set")
        assert levels(check.check_keys()) == ["ok", "ok"]


def test_data_dir_not_writable(tmp_path):
    with override_settings(DATA_DIR=tmp_path / "gone"):
        line = only(check.check_data_dir(), "error")
    assert "not writable" in line.message
    with override_settings(DATA_DIR=tmp_path):
        assert levels(check.check_data_dir()) == ["ok"]


HOSTS = [
    # behind the proxy with only the local names: every proxied request is a 400
    ({"BEHIND_TLS_PROXY": True}, "error", "names no public host"),
    (
        {
            "BEHIND_TLS_PROXY": True,
            "ALLOWED_HOSTS": ["parvis.example.com"],
            "CSRF_TRUSTED_ORIGINS": ["http://parvis.example.com"],
        },
        "error",
        "is http://",
    ),
    ({"CSRF_TRUSTED_ORIGINS": ["parvis.example.com"]}, "error", "not an origin"),
    (
        {"ALLOWED_HOSTS": ["localhost"], "PUBLIC_URL": "https://parvis.example.com"},
        "error",
        "not in PARVIS_ALLOWED_HOSTS",
    ),
    (
        {"BEHIND_TLS_PROXY": True, "ALLOWED_HOSTS": ["parvis.example.com"]},
        "warning",
        "no https origin",
    ),
    ({"DEMO_MODE": False, "DEBUG": False}, "warning", "PARVIS_BEHIND_TLS_PROXY is off"),
    (
        {"BEHIND_TLS_PROXY": True, "ALLOWED_HOSTS": ["*"], "CSRF_TRUSTED_ORIGINS": []},
        "warning",
        "contains *",
    ),
]


@pytest.mark.parametrize(("overrides", "level", "text"), HOSTS)
def test_hosts_and_origins_against_the_tls_setting(overrides, level, text):
    base = {
        "BEHIND_TLS_PROXY": False,
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
        "CSRF_TRUSTED_ORIGINS": [],
        "PUBLIC_URL": "",
        "DEMO_MODE": True,
    }
    with override_settings(**{**base, **overrides}):
        lines = check.check_hosts()
    assert any(line.level == level and text in line.message for line in lines), lines


def test_hosts_consistent_behind_the_proxy():
    with override_settings(
        BEHIND_TLS_PROXY=True,
        ALLOWED_HOSTS=["parvis.example.com", "localhost"],
        CSRF_TRUSTED_ORIGINS=["https://parvis.example.com"],
        PUBLIC_URL="https://parvis.example.com",
    ):
        assert levels(check.check_hosts()) == ["ok"]


def test_smtp_reachable_refusing_tls_or_absent():
    with smtp_server() as (_inbox, port):
        common = {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": port}
        with override_settings(**common, EMAIL_USE_TLS=False, EMAIL_HOST_USER=""):
            assert levels(check.check_smtp()) == ["ok"]
        # smtp:// means STARTTLS, which this server does not offer
        with override_settings(**common, EMAIL_USE_TLS=True, EMAIL_HOST_USER=""):
            assert "does not accept Parvis" in only(check.check_smtp(), "error").message
    with override_settings(
        EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port(), EMAIL_USE_TLS=False
    ):
        assert "ConnectionRefusedError" in only(check.check_smtp(), "error").message
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend"):
        assert "no SMTP server" in only(check.check_smtp(), "warning").message


@pytest.mark.django_db
def test_unknown_time_zone():
    with override_settings(TIME_ZONE="Mars/Olympus_Mons"):
        assert "unknown" in only(check.check_time_zone(), "error").message
    assert levels(check.check_time_zone())[0] == "ok"


def test_disk_space_low_and_critical(tmp_path, monkeypatch):
    with override_settings(DATA_DIR=tmp_path, BACKUP_DIR=None, CHECK_MIN_FREE_MB=10**9):
        assert "MB free" in only(check.check_disk(), "warning").message
        usage = namedtuple("usage", "total used free")
        monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 50 * 2**20))
        assert "50 MB free" in only(check.check_disk(), "error").message


def test_backups_off_late_or_without_keys(tmp_path):
    with override_settings(BACKUP_DIR=None):
        assert "PARVIS_BACKUP_DIR is not set" in only(check.check_backups(), "warning").message
    old = tmp_path / "parvis-backup-20261201T000000Z.tar.gz"
    old.write_bytes(b"x")
    two_days_ago = timezone.now().timestamp() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    with override_settings(BACKUP_DIR=tmp_path, BACKUP_PASSPHRASE="long enough"):
        assert "48 hours old" in only(check.check_backups(), "warning").message
        os.utime(old)
        assert levels(check.check_backups()) == ["ok"]
    with override_settings(BACKUP_DIR=tmp_path, BACKUP_PASSPHRASE=""):
        assert "leave the keys out" in only(check.check_backups(), "warning").message


def test_a_check_that_breaks_is_an_error_line(monkeypatch):
    def broken() -> list[check.Line]:
        raise RuntimeError("boom")

    broken.__name__ = "check_thing"
    monkeypatch.setattr(check, "CHECKS", [broken])
    lines = check.run_checks()
    assert lines == [check.Line("error", "thing", "RuntimeError: boom")]
    assert check.exit_code(lines) == 1


def test_exit_code_ignores_warnings():
    assert check.exit_code([check.Line("warning", "x", "y"), check.Line("ok", "z", "w")]) == 0
