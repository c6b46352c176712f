"""Author lists: taking an author off a list (adding is services.add_to_list)."""

from __future__ import annotations

from django.db import transaction

from parvis.moderation.models import AuthorList, ListedAuthor


def do_remove_from_list(entry: ListedAuthor) -> None:
    """Take the author off the list; a list left empty goes too."""
    with transaction.atomic():
        author_list: AuthorList = entry.author_list
        entry.delete()
        if not author_list.entries.exists():
            author_list.delete()
