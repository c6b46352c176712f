"""`parvis backup` and `parvis restore`: one tar archive holding a consistent copy of the
database, the data dir's files and (encrypted) the keys, described by a manifest.

The database copy is consistent while Parvis runs: SQLite through its online backup API (one
step, so a single read transaction covers every page; WAL writers are not blocked), PostgreSQL
through `pg_dump -Fc` inside a REPEATABLE READ transaction whose snapshot the row counts of the
manifest read too (`--snapshot`), so the counts describe exactly the rows dumped.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection, connections

import parvis
from parvis.core.health import BACKUP_PREFIX, BACKUP_SUFFIX
from parvis.ops import keys as keyfile

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
KEYS_MEMBER = "keys.enc"
MEDIA_PREFIX = "files/"
# Files of the data dir that are not data to restore: the database and queue (copied through
# their own APIs, or transient), the keys (encrypted apart), what Parvis regenerates.
SKIPPED_NAMES = {"secret_key", "credentials.key"}
SKIPPED_PREFIXES = ("parvis.sqlite3", "queue.sqlite3")
SKIPPED_FOLDERS = {"static"}
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass
class Manifest:
    engine: str
    parvis_version: str
    created_at: str
    migrations: list[list[str]]
    tables: dict[str, int]
    members: dict[str, str] = field(default_factory=dict)
    keys: bool = False
    format: int = FORMAT

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError(f"archive format {data.get('format')!r} is not {FORMAT}")
            return cls(**data)
        except (ValueError, TypeError, AttributeError) as exc:
            raise BackupError(f"the manifest cannot be read: {exc}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def excluded_folders() -> set[Path]:
    folders = {data_dir() / name for name in SKIPPED_FOLDERS}
    backup_dir = getattr(settings, "BACKUP_DIR", None)
    if backup_dir:
        folders.add(Path(backup_dir).resolve())
    return folders


def data_files() -> Iterator[tuple[str, Path]]:
    """(path relative to the data dir, path) of every file to keep: media, mail, …"""
    root = data_dir()
    skipped = excluded_folders()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        if any(folder == path or folder in path.parents for folder in skipped):
            continue
        relative = path.relative_to(root)
        name = relative.as_posix()
        if name in SKIPPED_NAMES or name.startswith(SKIPPED_PREFIXES) or ".partial" in name:
            continue
        if any(part.startswith(".parvis-") for part in relative.parts):
            continue  # a backup's or restore's staging folder
        if path.name.startswith(BACKUP_PREFIX) and path.name.endswith(BACKUP_SUFFIX):
            continue  # an earlier backup written into the data dir
        yield name, path


# --- the database -----------------------------------------------------------------------------


def applied_migrations(cursor: Any) -> list[list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [[app, name] for app, name in cursor.fetchall()]


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [name for (name,) in rows]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dump_sqlite(target: Path) -> tuple[list[list[str]], dict[str, int]]:
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, under one read transaction.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        tables = {
            name: copy.execute(f"SELECT COUNT(*) FROM {quote(name)}").fetchone()[0]  # noqa: S608
            for name in sqlite_tables(copy)
        }
        migrations = applied_migrations(copy.cursor()) if "django_migrations" in tables else []
    finally:
        copy.close()
    return migrations, tables


def pg_conninfo(staging: Path) -> str:
    """libpq connection string for pg_dump/pg_restore; the password goes through a passfile
    (0600, in the staging folder) rather than the command line anyone can read in ps."""
    conf = settings.DATABASES["default"]
    parts = {"dbname": conf["NAME"], "user": conf.get("USER"), "host": conf.get("HOST")}
    parts["port"] = conf.get("PORT")
    for key, value in (conf.get("OPTIONS") or {}).items():
        if key in {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"}:
            parts[key] = value
    if conf.get("PASSWORD"):
        passfile = staging / "pgpass"
        escaped = [
            str(v or "*").replace("\\", "\\\\").replace(":", "\\:")
            for v in (conf.get("HOST") or "localhost", conf.get("PORT") or "*", "*", conf["USER"])
        ]
        password = conf["PASSWORD"].replace("\\", "\\\\").replace(":", "\\:")
        passfile.touch(mode=0o600)
        passfile.write_text(":".join([*escaped, password]) + "\n")
        parts["passfile"] = str(passfile)

    def quoted(v: str) -> str:
        return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{k}={quoted(v)}" for k, v in parts.items() if v)


def run_tool(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def dump_postgres(target: Path, staging: Path) -> tuple[list[list[str]], dict[str, int]]:
    import psycopg

    conf = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=conf["NAME"],
        user=conf.get("USER") or None,
        password=conf.get("PASSWORD") or None,
        host=conf.get("HOST") or None,
        port=conf.get("PORT") or None,
        **{k: v for k, v in (conf.get("OPTIONS") or {}).items() if k == "sslmode"},
    ) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            row = cursor.fetchone()
            assert row is not None
            snapshot = row[0]
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "ORDER BY tablename"
            )
            names = [name for (name,) in cursor.fetchall()]
            tables = {}
            for name in names:
                cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608
                count = cursor.fetchone()
                tables[name] = count[0] if count else 0
            migrations = applied_migrations(cursor) if "django_migrations" in tables else []
            # The dump sees this transaction's snapshot: the counts above are its counts.
            run_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-acl",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    pg_conninfo(staging),
                ]
            )
    return migrations, tables


# --- backup -----------------------------------------------------------------------------------


def default_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    size: int


def backup(out: Path, passphrase: str | None) -> BackupResult:
    """Write the archive to `out` (atomically: a .partial file renamed at the end). Without a
    passphrase the keys are left out."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".parvis-backup-", dir=out.parent) as tmp:
        staging = Path(tmp)
        engine = connection.vendor
        if engine == "sqlite":
            member = SQLITE_MEMBER
            migrations, tables = dump_sqlite(staging / member)
        elif engine == "postgresql":
            member = PG_MEMBER
            migrations, tables = dump_postgres(staging / member, staging)
        else:
            raise BackupError(f"cannot back up a {engine} database")
        manifest = Manifest(
            engine=engine,
            parvis_version=parvis.__version__,
            created_at=datetime.now(UTC).isoformat(),
            migrations=migrations,
            tables=tables,
        )
        files: list[tuple[str, Path]] = [(member, staging / member)]
        if passphrase is not None:
            sealed = keyfile.seal(keyfile.current_keys(), passphrase)
            (staging / KEYS_MEMBER).write_bytes(sealed)
            files.append((KEYS_MEMBER, staging / KEYS_MEMBER))
            manifest.keys = True
        files += [(MEDIA_PREFIX + name, path) for name, path in data_files()]
        for name, path in files:
            manifest.members[name] = sha256_of(path)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            raw = manifest.as_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(raw), 0o600, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(raw))
            for name, path in files:
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
        partial.chmod(0o600)  # it holds every mention and, encrypted, the keys
        partial.replace(out)
    return BackupResult(out, manifest, out.stat().st_size)


# --- restore ----------------------------------------------------------------------------------


def safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def unpack(archive: Path, staging: Path) -> Manifest:
    """Extract to `staging`, checking each member against the manifest's checksum; a member
    missing, added or altered stops the restore before anything is touched."""
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a Parvis backup: {exc}") from None
    with tar:
        first = tar.next()
        if first is None or first.name != MANIFEST or not first.isfile():
            raise BackupError(f"{archive} has no manifest: not a Parvis backup")
        handle = tar.extractfile(first)
        assert handle is not None
        manifest = Manifest.from_json(handle.read(1 << 24))
        seen: set[str] = set()
        for info in tar:
            if info is first:
                continue
            name = info.name
            if not info.isfile() or not safe_member_name(name) or name not in manifest.members:
                raise BackupError(f"unexpected member {name!r} in the archive")
            if name in seen:
                raise BackupError(f"member {name!r} appears twice in the archive")
            seen.add(name)
            target = staging / "m" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            source = tar.extractfile(info)
            assert source is not None
            with target.open("wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != manifest.members[name]:
                raise BackupError(f"checksum mismatch for {name}: the archive is damaged")
        missing = set(manifest.members) - seen
        if missing:
            raise BackupError(f"members missing from the archive: {', '.join(sorted(missing))}")
    return manifest


def known_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def database_tables() -> list[str]:
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def target_is_empty() -> list[str]:
    """What already holds data in the target: tables in the database, files in the data dir."""
    found = []
    tables = database_tables()
    if tables:
        found.append(f"the database has {len(tables)} tables")
    files = [name for name, _ in data_files()]
    if files:
        found.append(f"the data dir holds {len(files)} files ({files[0]}, …)")
    return found


def restore_sqlite(dump: Path) -> None:
    name = settings.DATABASES["default"]["NAME"]
    connections.close_all()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    target = sqlite3.connect(name, timeout=20)
    try:
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        source.close()
        target.close()


def restore_postgres(dump: Path, staging: Path, force: bool) -> None:
    if force:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    connections.close_all()
    run_tool(
        [
            "pg_restore",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={pg_conninfo(staging)}",
            str(dump),
        ]
    )


def write_file(target: Path, source: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".partial")
    shutil.copyfile(source, temporary)
    temporary.chmod(0o600)
    temporary.replace(target)


@dataclass
class RestoreResult:
    manifest: Manifest
    files: int
    keys_restored: bool
    warnings: list[str]


def restore(
    archive: Path, passphrase: str | None, *, force: bool = False, skip_keys: bool = False
) -> RestoreResult:
    """Check the archive, refuse a target holding data unless `force`, restore the database,
    the files and the keys, then migrate forward."""
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix=".parvis-restore-", dir=data_dir()) as tmp:
        staging = Path(tmp)
        manifest = unpack(archive, staging)
        if manifest.engine != connection.vendor:
            raise BackupError(
                f"this backup holds a {manifest.engine} database; the target is {connection.vendor}"
            )
        unknown = {tuple(m) for m in manifest.migrations} - known_migrations()
        if unknown:
            names = ", ".join(f"{a}.{n}" for a, n in sorted(unknown))
            raise BackupError(
                f"the backup was made by a newer Parvis ({manifest.parvis_version}; migrations "
                f"{names}): install that version or newer first"
            )
        keys = None
        if manifest.keys and not skip_keys:
            if passphrase is None:
                raise BackupError("the archive's keys need the passphrase on standard input")
            keys = keyfile.open_sealed((staging / "m" / KEYS_MEMBER).read_bytes(), passphrase)
        occupied = target_is_empty()
        if occupied and not force:
            raise BackupError(
                "the target is not empty (" + "; ".join(occupied) + "): restore into a new "
                "data dir and database, or pass --force to replace what is there"
            )
        dump = staging / "m" / (SQLITE_MEMBER if manifest.engine == "sqlite" else PG_MEMBER)
        if manifest.engine == "sqlite":
            restore_sqlite(dump)
        else:
            restore_postgres(dump, staging, force)
        count = 0
        media_root = staging / "m" / MEDIA_PREFIX.rstrip("/")
        for name in manifest.members:
            if name.startswith(MEDIA_PREFIX):
                write_file(
                    data_dir() / name[len(MEDIA_PREFIX) :], media_root / name[len(MEDIA_PREFIX) :]
                )
                count += 1
        if keys is not None:
            warnings += keyfile.install(keys, data_dir())
        else:
            holds = (
                "the archive's keys were left out" if manifest.keys else "the backup holds no keys"
            )
            warnings.append(
                f"{holds}: connected accounts' credentials and webhook secrets cannot be "
                "decrypted with this data dir's keys; reconnect the accounts"
            )
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    return RestoreResult(manifest, count, keys is not None, warnings)
