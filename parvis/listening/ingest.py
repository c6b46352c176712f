"""`parvis ingest`: JSON Lines of normalized mentions through the pipeline, in bounded batches
so memory stays flat whatever the file size (at most three batches in flight)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from parvis.connectors.base import Incoming
from parvis.connectors.jsonl import parse_line
from parvis.listening import pipeline
from parvis.listening.pipeline import Summary
from parvis.workspaces.models import Workspace

# Rows per transaction. Each SQLite commit rewrites every index page the batch touched, and
# the random-keyed indexes (external id, content hash, author) are touched nearly all over
# by a thousand rows: 4,000 rows a commit cut the importer's CPU per mention by a quarter.
# An import then holds the write lock for well under a second at a time.
BATCH_SIZE = 4000


def batches(
    lines: Iterable[str] | Iterable[bytes], size: int = BATCH_SIZE
) -> Iterator[list[Incoming]]:
    batch: list[Incoming] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue  # blank lines are not items
        batch.append(parse_line(number, line))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest_lines(
    workspace: Workspace,
    lines: Iterable[str] | Iterable[bytes],
    *,
    origin: str = "",
    batch_size: int = BATCH_SIZE,
    overlap: bool | None = None,
    timings: dict[str, float] | None = None,
) -> Summary:
    """Each batch committed on its own, in order; a long import enriches the next batch in a
    helper process while it writes the current one (pipeline.run_stream)."""
    return pipeline.run_stream(
        workspace, batches(lines, batch_size), origin=origin, overlap=overlap, timings=timings
    )
