import os
import stat

import pytest

from parvis import config


def test_database_url_postgres():
    url = config.parse_database_url(
        "postgres://parvis:s%40cret@db.example:5433/parvis?sslmode=require"
    )
    assert (url.engine, url.name, url.user, url.password, url.host, url.port) == (
        "postgresql",
        "parvis",
        "parvis",
        "s@cret",
        "db.example",
        "5433",
    )
    assert url.options == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://x/y", "not supported"),
        ("postgres://host/", "must name a database"),
        ("sqlite:///", "needs a file path"),
    ],
)
def test_database_url_errors_name_the_variable(raw, message):
    with pytest.raises(config.ConfigError, match="PARVIS_DATABASE_URL") as err:
        config.parse_database_url(raw)
    assert message in str(err.value)


def test_default_database_is_sqlite_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("PARVIS_DATABASE_URL", raising=False)
    db = config.database_settings(tmp_path)
    assert db["ENGINE"] == "parvis.db.sqlite"
    assert db["NAME"] == str(tmp_path / "parvis.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_boolean_errors_name_the_variable(monkeypatch):
    monkeypatch.setenv("PARVIS_DEBUG", "maybe")
    with pytest.raises(config.ConfigError, match="PARVIS_DEBUG"):
        config.env_bool("PARVIS_DEBUG")
    monkeypatch.setenv("PARVIS_DEBUG", "on")
    assert config.env_bool("PARVIS_DEBUG") is True


def test_queue_switches_to_redis(tmp_path, monkeypatch):
    monkeypatch.delenv("PARVIS_REDIS_URL", raising=False)
    assert config.huey_settings(tmp_path)["huey_class"] == "huey.SqliteHuey"
    monkeypatch.setenv("PARVIS_REDIS_URL", "redis://127.0.0.1:6379/2")
    assert config.huey_settings(tmp_path)["huey_class"] == "huey.RedisHuey"
    monkeypatch.setenv("PARVIS_REDIS_URL", "http://nope")
    with pytest.raises(config.ConfigError, match="PARVIS_REDIS_URL"):
        config.huey_settings(tmp_path)


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("PARVIS_SECRET_KEY", raising=False)
    first = config.secret_key(tmp_path)
    assert first == config.secret_key(tmp_path)
    assert len(first) >= 50
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_short_secret_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PARVIS_SECRET_KEY", "short")
    with pytest.raises(config.ConfigError, match="PARVIS_SECRET_KEY"):
        config.secret_key(tmp_path)


def test_credentials_key_from_env_is_validated(monkeypatch, tmp_path):
    monkeypatch.setenv("PARVIS_CREDENTIALS_KEY", "not-a-fernet-key")
    with pytest.raises(config.ConfigError, match="PARVIS_CREDENTIALS_KEY"):
        config.credentials_keys(tmp_path)


def test_unwritable_data_dir_is_reported(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PARVIS_DATA_DIR", str(blocker / "sub"))
    with pytest.raises(config.ConfigError, match="PARVIS_DATA_DIR"):
        config.data_dir()


def test_bad_setting_stops_the_cli_with_the_variable_name(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "PARVIS_DATA_DIR": str(tmp_path), "PARVIS_DATABASE_URL": "mysql://x/y"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "parvis.cli", "migrate"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "PARVIS_DATABASE_URL" in result.stderr


def production_settings(tmp_path, **env) -> dict:
    """Import parvis.settings in a fresh interpreter with only the given PARVIS_* variables."""
    import json
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PARVIS_", "DJANGO_"))}
    clean.update(PARVIS_DATA_DIR=str(tmp_path), **env)
    code = (
        "import json, parvis.settings as s; print(json.dumps({'secure': s.SESSION_COOKIE_SECURE,"
        " 'csrf_secure': s.CSRF_COOKIE_SECURE, 'hasher': s.PASSWORD_HASHERS[0],"
        " 'debug': s.DEBUG, 'middleware': s.MIDDLEWARE}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_production_defaults_are_safe(tmp_path):
    prod = production_settings(tmp_path)
    assert prod["debug"] is False
    assert prod["secure"] is True and prod["csrf_secure"] is True
    assert prod["hasher"].endswith("Argon2PasswordHasher")
    assert "parvis.core.middleware.ContentSecurityPolicyMiddleware" in prod["middleware"]


def test_debug_and_demo_relax_only_the_secure_cookie_flag(tmp_path):
    assert production_settings(tmp_path, PARVIS_DEBUG="1")["secure"] is False
    demo = production_settings(tmp_path, PARVIS_DEMO="1")
    assert demo["secure"] is False and demo["debug"] is False


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_database_and_its_wal_files_are_created_0600(tmp_path, monkeypatch):
    from parvis.db.sqlite.base import DatabaseWrapper

    monkeypatch.delenv("PARVIS_DATABASE_URL", raising=False)
    old_umask = os.umask(0o022)  # the usual umask, which gives 0644 files
    try:
        wrapper = DatabaseWrapper({**config.database_settings(tmp_path), "TIME_ZONE": None})
        # The backend's own connection (pytest-django guards the ORM's), in WAL mode: the
        # first write creates -wal and -shm.
        connection = wrapper.get_new_connection(wrapper.get_connection_params())
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == ["parvis.sqlite3", "parvis.sqlite3-shm", "parvis.sqlite3-wal"]
        assert {name: mode(tmp_path / name) for name in files} == dict.fromkeys(files, 0o600)
        connection.close()
    finally:
        os.umask(old_umask)


def test_an_existing_world_readable_database_is_tightened(tmp_path):
    database = tmp_path / "parvis.sqlite3"
    for suffix in ("", "-wal"):
        (tmp_path / f"parvis.sqlite3{suffix}").write_bytes(b"")
        (tmp_path / f"parvis.sqlite3{suffix}").chmod(0o644)
    config.make_private(database)
    assert mode(database) == 0o600 and mode(tmp_path / "parvis.sqlite3-wal") == 0o600


def test_the_sqlite_queue_file_is_created_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("PARVIS_REDIS_URL", raising=False)
    old_umask = os.umask(0o022)
    try:
        filename = config.huey_settings(tmp_path)["filename"]
    finally:
        os.umask(old_umask)
    assert mode(filename) == 0o600


def test_whole_number_settings_name_the_variable(monkeypatch):
    assert config.env_int("PARVIS_TEST_INT", 7) == 7
    monkeypatch.setenv("PARVIS_TEST_INT", "2_000")
    assert config.env_int("PARVIS_TEST_INT", 7) == 2000
    for wrong in ("lots", "1.5", "-3"):
        monkeypatch.setenv("PARVIS_TEST_INT", wrong)
        with pytest.raises(config.ConfigError, match="PARVIS_TEST_INT"):
            config.env_int("PARVIS_TEST_INT", 7, minimum=1)


# Settings that connectors and intelligence used to read from the environment in the middle
# of a run: a bad value now stops Parvis at start, naming the variable.
MOVED_SETTINGS = [
    ("PARVIS_YOUTUBE_DAILY_QUOTA", "lots"),
    ("PARVIS_YOUTUBE_DAILY_SEARCHES", "0"),
    ("PARVIS_BLUESKY_SERVICE_URL", "bsky.social"),
    ("PARVIS_BLUESKY_APPVIEW_URL", "ftp://api.bsky.app"),
    ("PARVIS_BLUESKY_APPVIEW_DID", "api.bsky.app"),
    ("PARVIS_BLUESKY_FIREHOSE_URL", "bsky.network"),
    ("PARVIS_INTELLIGENCE_BACKEND", "transformer"),
    ("PARVIS_SENTIMENT_MODEL", "/nowhere/sentiment"),
    ("PARVIS_TOXICITY_MODEL", "/nowhere/toxicity"),
]


@pytest.mark.parametrize(("name", "value"), MOVED_SETTINGS)
def test_a_bad_connector_or_intelligence_setting_stops_the_start(tmp_path, name, value):
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PARVIS_", "DJANGO_"))}
    clean.update(PARVIS_DATA_DIR=str(tmp_path), **{name: value})
    result = subprocess.run(
        [sys.executable, "-c", "import parvis.settings"], env=clean, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert f"ConfigError: {name}=" in result.stderr


def test_the_cli_stops_at_start_on_a_mistyped_youtube_quota(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "PARVIS_DATA_DIR": str(tmp_path), "PARVIS_YOUTUBE_DAILY_QUOTA": "10k"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "parvis.cli", "migrate"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "configuration error: PARVIS_YOUTUBE_DAILY_QUOTA='10k'" in result.stderr
    assert "Traceback" not in result.stderr


def test_connector_and_intelligence_settings_read_good_values(monkeypatch, tmp_path):
    monkeypatch.setenv("PARVIS_YOUTUBE_DAILY_QUOTA", "20_000")
    monkeypatch.setenv("PARVIS_BLUESKY_FIREHOSE_URL", "wss://jetstream.example/subscribe")
    monkeypatch.setenv("PARVIS_BLUESKY_APPVIEW_DID", "none")
    monkeypatch.setenv("PARVIS_INTELLIGENCE_BACKEND", "transformers")
    monkeypatch.setenv("PARVIS_SENTIMENT_MODEL", str(tmp_path))
    assert config.youtube_settings() == {"DAILY_QUOTA": 20_000, "DAILY_SEARCHES": 100}
    bluesky = config.bluesky_settings()
    assert bluesky["FIREHOSE_URL"] == "wss://jetstream.example/subscribe"
    assert bluesky["APPVIEW_DID"] == "none" and bluesky["SERVICE_URL"] == ""
    assert config.intelligence_settings() == {
        "BACKEND": "transformers",
        "SENTIMENT_MODEL": str(tmp_path),
    }


def test_making_the_database_private_keeps_this_process_locks(tmp_path):
    """Closing any descriptor of a file drops the process's POSIX locks on it: make_private
    must never open a database SQLite already holds (it broke the demo with disk I/O errors)."""
    import sqlite3
    import subprocess
    import sys

    database = tmp_path / "parvis.sqlite3"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")  # a write lock on the database file
    try:
        config.make_private(database)
        probe = (
            "import sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
            "try:\n    db.execute('BEGIN IMMEDIATE')\nexcept sqlite3.OperationalError:\n"
            "    sys.exit(3)\n"
        )
        other = subprocess.run([sys.executable, "-c", probe, str(database)], timeout=30)
        assert other.returncode == 3  # still locked by the holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_email_settings_default_to_files_in_the_data_dir(tmp_path, monkeypatch):
    from parvis import config

    monkeypatch.delenv("PARVIS_EMAIL_URL", raising=False)
    monkeypatch.delenv("PARVIS_EMAIL_FROM", raising=False)
    settings = config.email_settings(tmp_path)
    assert settings["EMAIL_BACKEND"] == "parvis.core.mailfiles.PrivateFileBackend"
    assert settings["EMAIL_FILE_PATH"] == str(tmp_path / "mail")


def test_emails_written_to_files_are_for_the_operator_only(tmp_path):
    import os
    import stat

    from django.core.mail import EmailMessage

    from parvis.core.mailfiles import PrivateFileBackend

    old = os.umask(0o022)  # the usual umask: a plain file would be 0644
    try:
        backend = PrivateFileBackend(file_path=str(tmp_path / "mail"))
        sent = backend.send_messages(
            [EmailMessage("Validation", "https://parvis.example/approve/secret", to=["c@x.fr"])]
        )
    finally:
        os.umask(old)
    assert sent == 1
    folder = tmp_path / "mail"
    (written,) = list(folder.iterdir())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert "approve/secret" in written.read_text()


def test_email_url_configures_smtp_and_fails_loudly(tmp_path, monkeypatch):
    import pytest

    from parvis import config

    monkeypatch.setenv("PARVIS_EMAIL_URL", "smtp://cm%40x.fr:s3cret@mail.example.com")
    monkeypatch.setenv("PARVIS_EMAIL_FROM", "parvis@x.fr")
    settings = config.email_settings(tmp_path)
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_USE_TLS"]) == (
        "mail.example.com",
        587,
        True,
    )
    assert (
        settings["EMAIL_HOST_USER"] == "cm@x.fr" and settings["DEFAULT_FROM_EMAIL"] == "parvis@x.fr"
    )
    monkeypatch.setenv("PARVIS_EMAIL_URL", "mail.example.com")
    with pytest.raises(config.ConfigError, match="PARVIS_EMAIL_URL"):
        config.email_settings(tmp_path)
    monkeypatch.setenv("PARVIS_EMAIL_URL", "smtps://mail.example.com")
    monkeypatch.setenv("PARVIS_EMAIL_FROM", "nobody")
    with pytest.raises(config.ConfigError, match="PARVIS_EMAIL_FROM"):
        config.email_settings(tmp_path)
