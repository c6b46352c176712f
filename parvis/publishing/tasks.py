"""Publishing tasks: thin wrappers around the engine."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.publishing import batch, engine


@db_task()
def publish_due_task(post_id: int) -> dict[str, int]:
    """Queued at the post's time when it is scheduled (the minute tick is the safety net)."""
    return engine.publish_post(post_id)


@db_task()
def publish_variant_task(variant_id: int) -> str:
    return engine.publish_variant(variant_id)


@db_task()
def publish_batch_task() -> dict[str, int]:
    return batch.publish_batch()


@db_periodic_task(crontab(minute="*"))
def publishing_minutely() -> int:
    """What is due, retries whose time came, leases that expired: a batch task per batch of
    first attempts and one task for each of the others, so every worker takes a share (the
    claim keeps each variant to one of them)."""
    plain, others = batch.due_split(timezone.now())
    for _n in range(-(-plain // batch.BATCH_SIZE)):
        publish_batch_task()
    for variant_id in others:
        publish_variant_task(variant_id)
    return plain + len(others)


# The hourly tasks are spread over the hour (planner statistics :17, analytics :23) so that
# no minute carries them all.
@db_periodic_task(crontab(minute="37"))
def refresh_metrics_task() -> dict[str, int]:
    """The counts of published posts (publishing/metrics.py says which are due)."""
    from parvis.publishing import metrics

    outcome = metrics.refresh_metrics(timezone.now())
    return {"read": outcome.read, "accounts": outcome.accounts, "failed": len(outcome.failed)}


@db_periodic_task(crontab(minute="47"))
def series_hourly() -> int:
    """Each running series keeps its next weeks of posts made (series.py); hourly is plenty
    for a horizon counted in weeks, and a missed hour loses nothing."""
    from parvis.publishing import series

    return series.fill_all()
