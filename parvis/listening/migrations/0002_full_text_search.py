"""Full-text index tables, one per database vendor (see parvis/listening/search.py)."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS listening_mention_fts USING fts5("
    "body, content='', tokenize='porter unicode61 remove_diacritics 2')"
]
POSTGRES = [
    "CREATE TABLE IF NOT EXISTS listening_mention_search ("
    "mention_id bigint PRIMARY KEY REFERENCES listening_mention(id) ON DELETE CASCADE "
    "DEFERRABLE INITIALLY DEFERRED, vector tsvector NOT NULL)",
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
