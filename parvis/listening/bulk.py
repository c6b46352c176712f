"""Raw bulk writes for the ingestion pipeline: ids allocated up front, rows inserted as plain
tuples (SQLite `executemany`, PostgreSQL `COPY`).

Django's `bulk_create` prepares every value of every row through its field machinery and
builds one SQL string per chunk; at a thousand 29-column mentions per batch that Python work
cost several times what the database spends inserting them. Here the pipeline builds the
column values itself, already in the form the driver wants, and the ids are known before the
insert, so the rows that refer to them (matches, index rows, group heads) need no RETURNING.

Everything runs in the caller's transaction, like the rest of the write stages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import DatabaseError, connection
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# The first key of the advisory locks taken by `lock_workspace` (any constant unused by other
# advisory locks of the database: the two-key form keeps it apart from one-key locks).
WORKSPACE_LOCK_SPACE = 0x50617276  # "Parv"


def lock_workspace(workspace_id: int) -> None:
    """Make this transaction the workspace's only ingestion writer until it ends.

    The write stages read then write (known mentions, author aggregates, copy-paste heads):
    two writers of one workspace interleaving there lose updates or collide on the unique
    constraints. PostgreSQL: a transaction-level advisory lock per workspace, released at
    commit or rollback; other workspaces' writers and all readers go on. The enrichment and
    matching, outside the write transaction, still run in parallel. SQLite: nothing to do,
    the transaction already holds the database's only write lock (transaction_mode
    IMMEDIATE, so it cannot fail upgrading a read lock either).
    """
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [WORKSPACE_LOCK_SPACE, workspace_id % 2**31]
        )


def allocate_ids(model: type[Model], count: int) -> list[int]:
    """`count` new primary keys for `model`, ascending, unused by any other writer.

    PostgreSQL: drawn from the table's identity sequence (safe under concurrency). SQLite: the
    next ids after the AUTOINCREMENT high-water mark; the write transaction holds the
    database's only write lock (transaction_mode IMMEDIATE), so nobody else can take them,
    and inserting them moves the high-water mark as an ordinary insert would.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        quoted = connection.ops.quote_name(table)
        cursor.execute(
            "SELECT max("  # noqa: S608  (a table name from the model, not a value)
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT max({connection.ops.quote_name(column)}) FROM {quoted}), 0))",
            [table],
        )
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def insert(model: type[Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (tuples in the order of `columns`, values as the driver takes them).

    Concrete columns the caller does not name (a field added to the model later) get the
    field's default, prepared by Django, so a new field with a default needs no change here.
    """
    if not rows:
        return
    extra_columns, extra_values = defaults_for(model, columns)
    if extra_columns:
        columns = [*columns, *extra_columns]
        rows = [row + extra_values for row in rows]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if is_postgres():
            # COPY: one stream per batch, no per-row statement. psycopg adapts each value.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608  (names)
            cursor.executemany(sql, rows)


def defaults_for(model: type[Model], columns: Sequence[str]) -> tuple[list[str], tuple]:
    """The model's concrete columns missing from `columns` (the auto primary key aside), with
    their default values as Django would send them."""
    named = set(columns)
    missing = [
        f
        for f in model._meta.concrete_fields
        if f.column not in named and not (f.primary_key and isinstance(f, AutoFieldMixin))
    ]
    values = tuple(f.get_db_prep_save(f.get_default(), connection) for f in missing)
    return [f.column for f in missing], values


def datetime_adapter() -> Callable[[dt.datetime], object]:
    """How Django itself sends a timezone-aware datetime to this database (see
    `DatabaseOperations.adapt_datetimefield_value`): unchanged for PostgreSQL, naive text in
    the connection's time zone (UTC) for SQLite."""
    if is_postgres():
        return lambda value: value
    zone = connection.timezone
    return lambda value: str(value.astimezone(zone).replace(tzinfo=None))


def datetime_reader() -> Callable[[object], dt.datetime]:
    """A datetime column read with a raw cursor as Django's model layer returns it: aware,
    in UTC. PostgreSQL gives aware datetimes; Django's SQLite connection parses the column to
    a naive one (in the connection's time zone, UTC), which Django then makes aware."""
    if is_postgres():
        return lambda value: value
    zone = connection.timezone

    def aware(value: object) -> dt.datetime:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=zone) if value.tzinfo is None else value

    return aware


def lookup(
    model: type[Model],
    workspace_id: int,
    key_columns: Sequence[str],
    keys: Iterable[tuple[str, ...]],
    columns: Sequence[str],
    where: str = "",
) -> list[tuple]:
    """`columns` of the workspace's rows whose `key_columns` (text, one or two, the tail of
    an index that starts with workspace_id) equal one of `keys`, and that satisfy `where`
    (fixed SQL, no values), at most one row per key.

    PostgreSQL: one index probe per key in a LATERAL subquery, planned without looking at
    the workspace's own statistics. While a table or a workspace is new to the statistics
    (a first import, before autovacuum analyses it), the planner believes the workspace holds
    a row or two and picks any index starting with workspace_id, then filters: every probe
    then scans the whole workspace, more slowly with each batch. Comparing workspace_id with
    a sub-select makes it plan for an average workspace, where only the index on the key
    columns makes sense; the LIMIT keeps the subquery a per-key probe rather than a hash
    join. SQLite: the keys as one JSON array, each probed through the index (CROSS JOIN
    keeps json_each the outer loop). `(network = ? AND external_id IN (...)) OR ...` was
    answered by scanning the workspace's whole index: 270 ms for 4,000 keys at 1M mentions,
    against 15 ms this way.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return []
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    selected = ", ".join(f"m.{qn(c)}" for c in columns)
    extra = f" AND {where}" if where else ""
    if is_postgres():
        names = [f"k{n}" for n in range(len(key_columns))]
        arrays = ", ".join(["%s::text[]"] * len(key_columns))
        matches = " AND ".join(
            f"m.{qn(c)} = k.{n}" for c, n in zip(key_columns, names, strict=True)
        )
        sql = (
            f"SELECT row.* FROM unnest({arrays}) AS k({', '.join(names)}) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT {selected} FROM {table} AS m "
            f"WHERE m.workspace_id = (SELECT %s::bigint) AND {matches}{extra} LIMIT 1) AS row"
        )
        params = [[key[n] for key in keys] for n in range(len(key_columns))] + [workspace_id]
    else:
        matches = " AND ".join(
            f"m.{qn(c)} = json_extract(k.value, '$[{n}]')" for n, c in enumerate(key_columns)
        )
        sql = (
            f"SELECT {selected} FROM json_each(%s) AS k CROSS JOIN {table} AS m "  # noqa: S608
            f"WHERE m.workspace_id = %s AND {matches}{extra}"
        )
        params = [json.dumps(keys), workspace_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class GrowthWatch:
    """During a long import on PostgreSQL, ANALYZE the tables the import fills once it has
    written as many rows again as the statistics knew of (and at least FIRST rows).

    A table PostgreSQL has no statistics for yet (a first import) looks empty to its
    planner: every index that starts with workspace_id then costs the same, and look-ups by
    key took whichever came first (copies, replies…), scanning the workspace for each key,
    slower with each batch, until autovacuum caught up a minute or more later. The refresh
    costs a fraction of a second (a sample) each time the table doubles: about seven times
    for a million mentions. SQLite needs none (its look-ups name their index, see lookup)."""

    FIRST = 8_000
    TABLES = ("listening_mention", "listening_author", "listening_mentionmatch")

    def __init__(self) -> None:
        self.written = 0
        self.known = self._estimate() if is_postgres() else 0

    @staticmethod
    def _estimate() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = %s",
                [GrowthWatch.TABLES[0]],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def wrote(self, rows: int) -> bool:
        """Count `rows` just committed; True when it refreshed the statistics."""
        if not is_postgres() or not rows:
            return False
        self.written += rows
        if self.written < max(self.FIRST, self.known):
            return False
        with connection.cursor() as cursor:
            for table in self.TABLES:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        self.known = self._estimate()
        self.written = 0
        return True


@contextmanager
def long_writes() -> Iterator[None]:
    """Around a long run of write transactions (an import): SQLite checkpoints its WAL into
    the database file every 20,000 pages (80 MB) instead of every 1,000. Checkpoints rewrite
    the same index pages over and over during a bulk load, and each one syncs the disk;
    fewer, larger ones halve the commit cost. The usual setting is back afterwards."""
    if is_postgres():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA wal_autocheckpoint = {max(previous, 20_000)}")
    try:
        yield
    finally:
        # Best effort: after a failed batch inside an outer atomic block no query may run;
        # the setting then lasts until the connection closes, which is harmless.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {previous}")
