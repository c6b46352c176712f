"""Settings read from the environment, validated at start-up.

Every helper fails loudly with an error that names the variable, so a typo in a
deployment shows up at start and not as a strange behaviour later.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


class ConfigError(Exception):
    """A setting from the environment is invalid; the message names the variable."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}{upper}")
    return value


MAX_BODY_SETTING = re.compile(r"PARVIS_([A-Z0-9_]+)_MAX_BODY_MB")


def connector_body_caps() -> dict[str, int]:
    """PARVIS_<KIND>_MAX_BODY_MB, by connector kind: the largest HTTP answer a source of
    that kind may read, in MB (parvis.connectors.http). Kinds are checked once the
    connectors are loaded (parvis.connectors.apps)."""
    return {
        match[1].lower(): env_int(name, 0, minimum=1, maximum=4096)
        for name in sorted(os.environ)
        if (match := MAX_BODY_SETTING.fullmatch(name))
    }


def env_url(name: str, schemes: tuple[str, ...]) -> str:
    """An address (empty when unset: the caller's default applies)."""
    raw = env_str(name)
    if raw:
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.hostname:
            wanted = ", ".join(f"{s}://" for s in schemes)
            raise ConfigError(f"{name}={raw!r} is not an address starting with {wanted}")
    return raw


def bluesky_settings() -> dict[str, str]:
    """Where the Bluesky connector signs in, reads anonymously and listens (docs/connectors.md).
    Empty values leave the connector's own defaults; each source may override them."""
    did = env_str("PARVIS_BLUESKY_APPVIEW_DID")
    if did and did.lower() != "none" and not (did.startswith("did:") and "#" in did):
        raise ConfigError(
            f"PARVIS_BLUESKY_APPVIEW_DID={did!r} is not a service DID (did:web:host#service) "
            "or none"
        )
    return {
        "SERVICE_URL": env_url("PARVIS_BLUESKY_SERVICE_URL", ("https", "http")),
        "APPVIEW_URL": env_url("PARVIS_BLUESKY_APPVIEW_URL", ("https", "http")),
        "APPVIEW_DID": did,
        "FIREHOSE_URL": env_url("PARVIS_BLUESKY_FIREHOSE_URL", ("wss", "ws", "https", "http")),
    }


def youtube_settings() -> dict[str, int]:
    """The daily budget of each YouTube API key (a source may set its own): Google's defaults
    are 10,000 units and 100 search calls."""
    return {
        "DAILY_QUOTA": env_int("PARVIS_YOUTUBE_DAILY_QUOTA", 10_000, minimum=1),
        "DAILY_SEARCHES": env_int("PARVIS_YOUTUBE_DAILY_SEARCHES", 100, minimum=1),
    }


INTELLIGENCE_BACKENDS = ("default", "transformers")


def intelligence_settings() -> dict[str, str]:
    """The text-analysis backend and, for the transformers one, the model folders
    (docs/models.md). parvis.intelligence reads this without Django too."""
    conf: dict[str, str] = {}
    backend = env_str("PARVIS_INTELLIGENCE_BACKEND")
    if backend:
        if backend not in INTELLIGENCE_BACKENDS:
            raise ConfigError(
                f"PARVIS_INTELLIGENCE_BACKEND={backend!r} is not one of "
                + ", ".join(INTELLIGENCE_BACKENDS)
            )
        conf["BACKEND"] = backend
    for key, name in (
        ("SENTIMENT_MODEL", "PARVIS_SENTIMENT_MODEL"),
        ("TOXICITY_MODEL", "PARVIS_TOXICITY_MODEL"),
    ):
        raw = env_str(name)
        if raw:
            if not Path(raw).expanduser().is_dir():
                raise ConfigError(f"{name}={raw!r} is not a folder (a save_pretrained model)")
            conf[key] = raw
    return conf


def datasets_dir(default: Path) -> Path:
    """Where the training script reads its labelled sets (a developer's setting)."""
    raw = env_str("PARVIS_DATASETS_DIR")
    return Path(raw).expanduser() if raw else default


def data_dir() -> Path:
    """The folder holding the SQLite database, the queue, the secret key and the crypto key."""
    raw = env_str("PARVIS_DATA_DIR") or "parvis-data"
    path = Path(raw).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"PARVIS_DATA_DIR={raw!r} cannot be created: {exc}") from exc
    if not os.access(path, os.W_OK):
        raise ConfigError(f"PARVIS_DATA_DIR={raw!r} is not writable")
    return path


def read_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    """Return the secret stored in ``path``, creating it once with mode 0600."""
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    value = make()
    # O_EXCL: two processes starting together must not each write their own key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def make_private(database: Path | str) -> None:
    """Create a SQLite file readable by its owner only (0600, like the keys), and tighten one
    created looser by an older version. SQLite gives the -wal, -shm and -journal files the
    mode of the database file, so creating that one 0600 covers them.

    Called when the settings are read, before this process opens the database: closing any
    descriptor of a file drops every POSIX lock the process holds on it, SQLite's included.
    O_EXCL for the same reason: an existing file is never opened here, only chmod-ed."""
    path = Path(database)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return  # SQLite reports a missing folder or a read-only file with its own error
    for suffix in SQLITE_COMPANIONS:
        companion = path.with_name(path.name + suffix)
        try:
            if companion.stat().st_mode & 0o077:
                companion.chmod(0o600)
        except FileNotFoundError:
            continue


def secret_key(folder: Path) -> str:
    value = env_str("PARVIS_SECRET_KEY")
    if value:
        if len(value) < 32:
            raise ConfigError("PARVIS_SECRET_KEY must be at least 32 characters long")
        return value
    return read_or_create_secret(folder / "secret_key", lambda: secrets.token_urlsafe(50))


@dataclass(frozen=True)
class DatabaseURL:
    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: dict[str, str] | None = None


def parse_database_url(raw: str) -> DatabaseURL:
    """Parse ``postgres://user:pass@host:port/db?sslmode=...`` or ``sqlite:///path``."""
    parts = urlsplit(raw)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError("PARVIS_DATABASE_URL must name a database: postgres://.../DBNAME")
        return DatabaseURL(
            engine="postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=unquote(parts.hostname or ""),
            port=str(parts.port or ""),
            options=dict(parse_qsl(parts.query)),
        )
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ConfigError("PARVIS_DATABASE_URL=sqlite:///PATH needs a file path")
        return DatabaseURL(engine="sqlite", name=path)
    raise ConfigError(
        f"PARVIS_DATABASE_URL scheme {parts.scheme!r} is not supported (use postgres:// or sqlite://)"
    )


def sqlite_database(path: Path | str) -> dict:
    # SQLite would create the file with the process umask (usually 0644): mentions, sessions
    # and audit rows are no one else's to read on the server.
    make_private(path)
    return {
        "ENGINE": "parvis.db.sqlite",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets the web server read while the worker writes; IMMEDIATE avoids
            # "database is locked" on lock upgrades inside transactions.
            # cache_size: 64 MB of page cache per connection instead of SQLite's 2 MB, so the
            # mention indexes stay in memory while a million rows arrive.
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def database_settings(folder: Path) -> dict:
    raw = env_str("PARVIS_DATABASE_URL")
    if not raw:
        return sqlite_database(folder / "parvis.sqlite3")
    url = parse_database_url(raw)
    if url.engine == "sqlite":
        return sqlite_database(url.name)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": url.name,
        "USER": url.user,
        "PASSWORD": url.password,
        "HOST": url.host,
        "PORT": url.port,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": url.options or {},
    }


def huey_settings(folder: Path, name: str = "parvis") -> dict:
    # PARVIS_QUEUE_NAME lets several instances (or test runs) share one Redis server.
    name = env_str("PARVIS_QUEUE_NAME") or name
    redis_url = env_str("PARVIS_REDIS_URL")
    common = {"name": name, "immediate": False, "utc": True, "results": True}
    if redis_url:
        if urlsplit(redis_url).scheme not in {"redis", "rediss", "unix"}:
            raise ConfigError("PARVIS_REDIS_URL must start with redis://, rediss:// or unix://")
        return {**common, "huey_class": "huey.RedisHuey", "url": redis_url}
    queue = folder / "queue.sqlite3"
    make_private(queue)  # task arguments may name sources and workspaces
    return {
        **common,
        "huey_class": "huey.SqliteHuey",
        "filename": str(queue),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }


def credentials_keys(folder: Path) -> list[str]:
    """Fernet keys for credentials, newest first (``PARVIS_CREDENTIALS_KEY`` may list several,
    comma-separated, to rotate); by default one key generated once in the data dir."""
    from cryptography.fernet import Fernet

    keys = env_list("PARVIS_CREDENTIALS_KEY", [])
    for key in keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise ConfigError(
                "PARVIS_CREDENTIALS_KEY must be Fernet keys (32 url-safe base64-encoded bytes)"
            ) from exc
    if keys:
        return keys
    # The file may list several keys too, comma-separated: a restored backup writes them all.
    stored = read_or_create_secret(
        folder / "credentials.key", lambda: Fernet.generate_key().decode()
    )
    return [key.strip() for key in stored.split(",") if key.strip()]


def email_settings(folder: Path) -> dict[str, Any]:
    """Where Parvis's emails (escalations, SLA breaches) go. PARVIS_EMAIL_URL
    `smtp://user:password@host:587` (STARTTLS; `smtps://` for TLS on connect), the sender in
    PARVIS_EMAIL_FROM. Unset: each email is written to a file under <data dir>/mail, where the
    operator can read it, rather than lost on a server that does not exist."""
    sender = env_str("PARVIS_EMAIL_FROM", "parvis@localhost")
    if "@" not in sender:
        raise ConfigError(f"PARVIS_EMAIL_FROM={sender!r} is not an email address")
    raw = env_url("PARVIS_EMAIL_URL", ("smtp", "smtps"))
    if not raw:
        return {
            "EMAIL_BACKEND": "parvis.core.mailfiles.PrivateFileBackend",
            "EMAIL_FILE_PATH": str(folder / "mail"),
            "DEFAULT_FROM_EMAIL": sender,
        }
    parts = urlsplit(raw)
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:
        raise ConfigError("PARVIS_EMAIL_URL has a port that is not a number") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": 20,
        "DEFAULT_FROM_EMAIL": sender,
    }


def backup_dir() -> Path | None:
    """PARVIS_BACKUP_DIR: where the worker writes a backup each day (none when unset)."""
    raw = env_str("PARVIS_BACKUP_DIR")
    if not raw:
        return None
    path = Path(raw).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"PARVIS_BACKUP_DIR={raw!r} cannot be created: {exc}") from exc
    return path


LOG_FORMATS = ("plain", "json")


def log_format() -> str:
    value = env_str("PARVIS_LOG_FORMAT", "plain").lower() or "plain"
    if value not in LOG_FORMATS:
        raise ConfigError(f"PARVIS_LOG_FORMAT={value!r} is not one of " + ", ".join(LOG_FORMATS))
    return value


def metrics_token() -> str:
    """PARVIS_METRICS_TOKEN: the bearer token /metrics asks for; unset, /metrics is off."""
    value = env_str("PARVIS_METRICS_TOKEN")
    if value and len(value) < 16:
        raise ConfigError("PARVIS_METRICS_TOKEN must be at least 16 characters long")
    return value
