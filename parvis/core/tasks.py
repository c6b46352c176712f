"""Tasks of the core app: thin wrappers around plain functions."""

from huey.contrib.djhuey import task

from parvis.core import health


@task()
def ping(payload: str) -> dict:
    return health.worker_echo(payload)
