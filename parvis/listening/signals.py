from typing import Any

from django.dispatch import Signal

# Sent after the transaction that stored new mentions commits.
# kwargs: workspace, mention_ids (list[int]), source (Source | None)
mentions_stored = Signal()


def pause_sources_of_removed_account(sender: Any, account: Any, **kwargs: Any) -> None:
    """Its sources cannot run without it: paused, with what to do, rather than failing
    silently."""
    from parvis.listening.models import Source, SourceStatus

    Source.objects.filter(account=account).update(
        status=SourceStatus.PAUSED,
        next_run_at=None,
        last_error=f"the account {account.handle} was removed: connect one and choose it",
    )


def unindex_deleted_mention(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Keep the full-text index free of deleted mentions: SQLite reuses row ids, so a stale
    entry would make a new mention match words it does not contain."""
    from parvis.listening import search

    search.unindex([(instance.pk, instance.lang, instance.title, instance.text)])


def clear_index_after_flush(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """`flush` (and test isolation) empties the tables Django knows; the index follows."""
    from parvis.listening import search
    from parvis.listening.models import Mention

    if not Mention.objects.using(using).exists():
        search.clear()
