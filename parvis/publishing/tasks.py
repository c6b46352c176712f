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
