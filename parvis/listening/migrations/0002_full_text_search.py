"""Full-text index tables, one per database vendor (see parvis/listening/search.py)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS listening_mention_fts USING fts5("
    "body, content='', tokenize='porter unicode61 remove_diacritics 2')"
]
POSTGRES = [
    # No foreign key: Django's flush truncates only the tables it knows, and a reference
    # from this one would block it. Rows follow their mention through listening.signals.
    "CREATE TABLE IF NOT EXISTS listening_mention_search ("
    "mention_id bigint PRIMARY KEY, vector tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS listening_mention_search_gin "
    "ON listening_mention_search USING gin(vector)",
]


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    table = "listening_mention_search" if postgres else "listening_mention_fts"
    schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("listening", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
