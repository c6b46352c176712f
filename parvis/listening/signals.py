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


def wake_sources_of_pushed_accounts(
    sender: Any, network: str, handles: list[str], **kwargs: Any
) -> int:
    """A network pushed changes about these accounts: their sources run at the next minute's
    tick rather than at their next poll (15 minutes by default). Only a later slot is brought
    forward, so a storm of deliveries still makes one run per tick; a source running now runs
    again at the next tick and takes what arrived meanwhile."""
    from django.utils import timezone

    from parvis.listening.models import Source, SourceStatus

    now = timezone.now()
    return (
        Source.objects.filter(
            is_active=True,
            account__network=network,
            account__handle__in=handles[:50],
            next_run_at__gt=now,
        )
        .exclude(status=SourceStatus.PAUSED)
        .update(next_run_at=now)
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
