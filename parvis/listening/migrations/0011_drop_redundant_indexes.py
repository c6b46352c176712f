"""Drop the single-column foreign-key indexes that other indexes already serve.

Mention.workspace and Mention.author: every mention index starts with one of them
(unique_mention, mention_author). MentionMatch.mention and .query: unique_match and
match_query_recent start with them. Each of these costs every insert; the author's, a
random key, costs the most on a large table.

Only the indexes go: the state change is an AlterField, but on SQLite AlterField would
rebuild the whole mention table, so the database side is a plain DROP INDEX (the names are
Django's, the same on SQLite and PostgreSQL). Reversed, the indexes come back.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    ("listening_mention", "author_id", "listening_mention_author_id_2121f177"),
    ("listening_mention", "workspace_id", "listening_mention_workspace_id_307456bc"),
    ("listening_mentionmatch", "mention_id", "listening_mentionmatch_mention_id_fc381228"),
    ("listening_mentionmatch", "query_id", "listening_mentionmatch_query_id_c7773531"),
]


def fk(to, related_name):
    return models.ForeignKey(
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("listening", "0010_copies_index_with_date"),
        ("workspaces", "0003_network_handle"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField("mention", "author", fk("listening.author", "mentions")),
                migrations.AlterField("mention", "workspace", fk("workspaces.workspace", "+")),
                migrations.AlterField(
                    "mentionmatch", "mention", fk("listening.mention", "matches")
                ),
                migrations.AlterField(
                    "mentionmatch", "query", fk("listening.monitoredquery", "matches")
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for table, column, name in INDEXES
            ],
        )
    ]
