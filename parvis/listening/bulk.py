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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import DatabaseError, connection
from django.db.models import Model
from django.db.models.fields import AutoFieldMixin


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


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


def pairs_clause(first: str, second: str, pairs: Iterable[tuple[str, str]]) -> tuple[str, list]:
    """SQL (and its parameters) matching rows whose (first, second) columns are among `pairs`,
    for a lookup through a unique index on (..., first, second). PostgreSQL: a semi-join on
    two unnested arrays (a nested loop over the index). SQLite: grouped by the first value,
    `(first = %s AND second IN (...)) OR ...`, one index probe per pair."""
    qn = connection.ops.quote_name
    if is_postgres():
        firsts, seconds = [], []
        for a, b in pairs:
            firsts.append(a)
            seconds.append(b)
        pair = f"({qn(first)}, {qn(second)})"
        sql = f"{pair} IN (SELECT * FROM unnest(%s::text[], %s::text[]))"  # noqa: S608
        return sql, [firsts, seconds]
    by_first: dict[str, list[str]] = {}
    for a, b in pairs:
        by_first.setdefault(a, []).append(b)
    clauses, params = [], []
    for a, bs in by_first.items():
        clauses.append(f"({qn(first)} = %s AND {qn(second)} IN ({', '.join(['%s'] * len(bs))}))")
        params += [a, *bs]
    return "(" + " OR ".join(clauses) + ")", params


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
