"""`parvis check`: what a self-hoster runs after configuring Parvis. Each line says ok, warning
or error, and for the last two what to do; any error makes the command exit non-zero.

Each check is a plain function returning its lines, so that a test can give it a
misconfiguration and read what it says."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import tempfile
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone

OK, WARNING, ERROR = "ok", "warning", "error"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Under this, a check fails outright (SQLite and the queue cannot even commit): 100 MB.
CRITICAL_FREE_MB = 100


@dataclass(frozen=True)
class Line:
    level: str
    name: str
    message: str
    fix: str = ""

    def render(self) -> str:
        text = f"{self.level:<8}{self.name:<12}{self.message}"
        return text + (f"\n{'':<20}→ {self.fix}" if self.fix else "")


Check = Callable[[], list[Line]]


def check_settings() -> list[Line]:
    # Reaching this point means parvis.config accepted every variable (a bad one stops
    # `parvis check` before: cli.setup_django prints it as an error).
    lines = [Line(OK, "settings", "every PARVIS_* variable is valid")]
    if settings.DEBUG:
        lines.append(
            Line(
                WARNING,
                "settings",
                "PARVIS_DEBUG is on: error pages show the code and settings to anyone",
                "unset PARVIS_DEBUG on a server",
            )
        )
    return lines


def check_database() -> list[Line]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return [
            Line(
                ERROR,
                "database",
                f"{connection.vendor} unreachable: {type(exc).__name__}: {exc}".strip(),
                "check PARVIS_DATABASE_URL (host, port, user, password) and that the server runs",
            )
        ]
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
        more = f" and {len(plan) - 3} more" if len(plan) > 3 else ""
        return [
            Line(
                ERROR,
                "database",
                f"{len(plan)} migrations not applied ({names}{more})",
                "run `parvis migrate` (after a backup: `parvis backup`)",
            )
        ]
    return [Line(OK, "database", f"{connection.vendor} reachable, every migration applied")]


def check_queue() -> list[Line]:
    from huey.contrib.djhuey import HUEY

    try:
        pending = HUEY.pending_count()
    except Exception as exc:
        return [
            Line(
                ERROR,
                "queue",
                f"{type(HUEY).__name__} unreachable: {type(exc).__name__}",
                "check PARVIS_REDIS_URL and that Redis runs (or unset it for the SQLite queue)",
            )
        ]
    return [Line(OK, "queue", f"{type(HUEY).__name__} reachable, {pending} tasks waiting")]


def check_worker() -> list[Line]:
    from parvis.ops.heartbeat import STALE_AFTER, last_heartbeat

    try:
        seen = last_heartbeat()
    except Exception:
        return []  # the database line already says why
    fix = "start one: `parvis worker` (systemd: `systemctl start parvis-worker`)"
    if seen is None:
        return [Line(ERROR, "worker", "no worker has ever run", fix)]
    age = timezone.now() - seen
    if age > STALE_AFTER:
        minutes = int(age / timedelta(minutes=1))
        return [Line(ERROR, "worker", f"no worker heartbeat for {minutes} minutes", fix)]
    return [Line(OK, "worker", f"heartbeat {int(age.total_seconds())} s ago")]


def check_keys() -> list[Line]:
    from parvis import config

    lines = []
    folder = Path(settings.DATA_DIR)
    for name, variable in (
        ("secret_key", "PARVIS_SECRET_KEY"),
        ("credentials.key", "PARVIS_CREDENTIALS_KEY"),
    ):
        if config.env_str(variable):
            lines.append(Line(OK, "keys", f"{variable} set in the environment"))
            continue
        path = folder / name
        if not path.is_file():
            lines.append(
                Line(
                    ERROR,
                    "keys",
                    f"{path} is missing",
                    "restore it from a backup (`parvis restore`), or set " + variable,
                )
            )
            continue
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            lines.append(
                Line(
                    ERROR,
                    "keys",
                    f"{path} is readable by others (mode {mode:04o})",
                    f"chmod 600 {path}",
                )
            )
        else:
            lines.append(Line(OK, "keys", f"{path} present, mode 0600"))
    return lines


def check_data_dir() -> list[Line]:
    folder = Path(settings.DATA_DIR)
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".parvis-check-"):
            pass
    except OSError as exc:
        return [
            Line(
                ERROR,
                "data dir",
                f"{folder} is not writable: {exc.strerror}",
                f"chown the folder to the user running Parvis (chown -R parvis: {folder})",
            )
        ]
    return [Line(OK, "data dir", f"{folder} writable")]


def hosts_of(origins: list[str]) -> set[str]:
    return {urlsplit(origin).hostname or "" for origin in origins}


def check_hosts() -> list[Line]:
    hosts = [h for h in settings.ALLOWED_HOSTS if h]
    public = [h for h in hosts if h not in LOCAL_HOSTS]
    origins = list(settings.CSRF_TRUSTED_ORIGINS)
    behind = settings.BEHIND_TLS_PROXY
    lines = []
    if "*" in hosts:
        lines.append(
            Line(
                WARNING,
                "hosts",
                "PARVIS_ALLOWED_HOSTS contains *: any Host header is accepted",
                "list the server's names, e.g. PARVIS_ALLOWED_HOSTS=parvis.example.com",
            )
        )
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            lines.append(
                Line(
                    ERROR,
                    "csrf",
                    f"PARVIS_CSRF_TRUSTED_ORIGINS has {origin!r}, not an origin",
                    "write origins as https://parvis.example.com (scheme and host, no path)",
                )
            )
        elif behind and parts.scheme != "https":
            lines.append(
                Line(
                    ERROR,
                    "csrf",
                    f"{origin} is http:// while Parvis is behind a TLS proxy",
                    f"use https://{parts.netloc}",
                )
            )
    if behind:
        if not public:
            lines.append(
                Line(
                    ERROR,
                    "hosts",
                    "PARVIS_BEHIND_TLS_PROXY is on but PARVIS_ALLOWED_HOSTS names no public "
                    "host: every request through the proxy gets a 400",
                    "set PARVIS_ALLOWED_HOSTS=parvis.example.com (the name in your TLS "
                    "certificate)",
                )
            )
        missing = [h for h in public if h != "*" and h.lstrip(".") not in hosts_of(origins)]
        if public and missing:
            lines.append(
                Line(
                    WARNING,
                    "csrf",
                    "no https origin in PARVIS_CSRF_TRUSTED_ORIGINS for "
                    + ", ".join(missing)
                    + ": forms fail if the proxy does not send X-Forwarded-Proto",
                    "set PARVIS_CSRF_TRUSTED_ORIGINS="
                    + ",".join(f"https://{h.lstrip('.')}" for h in missing),
                )
            )
    elif not (settings.DEBUG or settings.DEMO_MODE):
        lines.append(
            Line(
                WARNING,
                "tls",
                "PARVIS_BEHIND_TLS_PROXY is off: cookies are Secure, so signing in works only "
                "through HTTPS",
                "serve Parvis through a TLS reverse proxy (deploy/) and set "
                "PARVIS_BEHIND_TLS_PROXY=1",
            )
        )
    if settings.PUBLIC_URL:
        parts = urlsplit(settings.PUBLIC_URL)
        if parts.hostname and parts.hostname not in hosts and "*" not in hosts:
            lines.append(
                Line(
                    ERROR,
                    "hosts",
                    f"PARVIS_PUBLIC_URL's host {parts.hostname} is not in PARVIS_ALLOWED_HOSTS: "
                    "the networks' webhooks and media fetches get a 400",
                    f"add {parts.hostname} to PARVIS_ALLOWED_HOSTS",
                )
            )
    if not lines:
        lines.append(Line(OK, "hosts", "allowed hosts and CSRF origins agree with the TLS setup"))
    return lines


def check_smtp() -> list[Line]:
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return [
            Line(
                WARNING,
                "smtp",
                f"no SMTP server: e-mails are written to files in {settings.EMAIL_FILE_PATH}",
                "set PARVIS_EMAIL_URL=smtp://user:password@host:587 to send them",
            )
        ]
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    try:
        context = ssl.create_default_context()
        server = (
            smtplib.SMTP_SSL(host, port, timeout=10, context=context)
            if settings.EMAIL_USE_SSL
            else smtplib.SMTP(host, port, timeout=10)
        )
        with server:
            server.ehlo()
            if settings.EMAIL_USE_TLS:
                server.starttls(context=context)
                server.ehlo()
            if settings.EMAIL_HOST_USER:
                server.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    except (OSError, smtplib.SMTPException) as exc:
        return [
            Line(
                ERROR,
                "smtp",
                f"{host}:{port} does not accept Parvis: {type(exc).__name__}: {exc}",
                "check PARVIS_EMAIL_URL (host, port, smtp:// for STARTTLS or smtps://, "
                "user and password)",
            )
        ]
    return [Line(OK, "smtp", f"{host}:{port} accepts Parvis's login")]


def check_time_zone() -> list[Line]:
    try:
        zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [
            Line(
                ERROR,
                "time zone",
                f"the time zone {settings.TIME_ZONE} is unknown to this system",
                "install the time zone data: apt-get install tzdata",
            )
        ]
    if not settings.USE_TZ:
        return [Line(ERROR, "time zone", "USE_TZ is off", "Parvis stores every time in UTC")]
    lines = [Line(OK, "time zone", f"{settings.TIME_ZONE}, times stored in UTC")]
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW TIME ZONE")
                row = cursor.fetchone()
        except Exception:
            return lines
        if row and row[0] not in {"UTC", "Etc/UTC"}:
            lines.append(Line(OK, "time zone", f"PostgreSQL session zone {row[0]}"))
    return lines


def check_disk() -> list[Line]:
    lines = []
    places = [("data dir", Path(settings.DATA_DIR))]
    if settings.BACKUP_DIR:
        places.append(("backups", Path(settings.BACKUP_DIR)))
    for label, folder in places:
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
        text = f"{free_mb} MB free under {folder} ({label})"
        if free_mb < CRITICAL_FREE_MB:
            lines.append(Line(ERROR, "disk", text, "free space now: Parvis cannot write"))
        elif free_mb < settings.CHECK_MIN_FREE_MB:
            lines.append(
                Line(
                    WARNING,
                    "disk",
                    text,
                    f"free space or grow the disk (warning under "
                    f"PARVIS_CHECK_MIN_FREE_MB={settings.CHECK_MIN_FREE_MB})",
                )
            )
        else:
            lines.append(Line(OK, "disk", text))
    return lines


def check_backups() -> list[Line]:
    from parvis.core.health import BACKUP_LATE_SECONDS, last_backup_age

    if not settings.BACKUP_DIR:
        return [
            Line(
                WARNING,
                "backups",
                "no daily backups (PARVIS_BACKUP_DIR is not set)",
                "set PARVIS_BACKUP_DIR (and PARVIS_BACKUP_PASSPHRASE to include the keys), or "
                "run `parvis backup` from cron",
            )
        ]
    age = last_backup_age()
    if age is not None and age > BACKUP_LATE_SECONDS:
        return [
            Line(
                WARNING,
                "backups",
                f"the last backup is {int(age // 3600)} hours old",
                "check the worker's log for the backup's error",
            )
        ]
    lines = []
    if not settings.BACKUP_PASSPHRASE:
        lines.append(
            Line(
                WARNING,
                "backups",
                "daily backups leave the keys out (PARVIS_BACKUP_PASSPHRASE is not set)",
                "set PARVIS_BACKUP_PASSPHRASE, or keep a copy of the data dir's keys elsewhere",
            )
        )
    when = (
        "none yet (the worker makes one within the hour)"
        if age is None
        else (f"last {int(age // 60)} minutes ago")
    )
    lines.append(Line(OK, "backups", f"daily into {settings.BACKUP_DIR}, {when}"))
    return lines


CHECKS: list[Check] = [
    check_settings,
    check_database,
    check_queue,
    check_worker,
    check_keys,
    check_data_dir,
    check_hosts,
    check_smtp,
    check_time_zone,
    check_disk,
    check_backups,
]


def run_checks() -> list[Line]:
    lines: list[Line] = []
    for check in CHECKS:
        try:
            lines += check()
        except Exception as exc:  # a check that breaks is an error line, not a traceback
            lines.append(Line(ERROR, check.__name__[6:], f"{type(exc).__name__}: {exc}"))
    return lines


def exit_code(lines: list[Line]) -> int:
    return 1 if any(line.level == ERROR for line in lines) else 0
