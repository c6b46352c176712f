"""Enrichment of mention texts (parvis.intelligence) as mention columns, in this process or in
a helper process that works on the next batch while this one writes the current one.

Enrichment is CPU work (about 140 µs a text on one core) and writing is mostly database
work; on a machine with two cores or more, a long import overlaps them. The helper only
computes: it never touches the database, so every batch is still written, with its cursor,
in one transaction of the main process, in order.

This module must stay importable without Django being set up: the helper process imports
it to run `analyze_texts`.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from typing import Any


def analysis_fields(result: Any) -> dict[str, Any]:
    """The Analysis (parvis.intelligence.types) as the columns of a mention."""
    scores = result.sentiment.scores
    return {
        "lang": result.lang or "",
        "sentiment": result.sentiment.label,
        "sentiment_score": round(scores.get("positive", 0.0) - scores.get("negative", 0.0), 4),
        "toxicity": result.toxicity.score,
        "toxicity_categories": result.toxicity.categories,
        "spam": result.spam.score,
        "why": result.why or {},
    }


def analyze_texts(texts: list[str]) -> list[dict[str, Any]]:
    """Mention columns for each text, with the configured backend (in this process)."""
    from parvis.intelligence import analyze

    return [analysis_fields(result) for result in analyze(texts)]


# (workspace id, queries version) -> compiled queries, in the helper.
_compiled: dict[tuple, Any] = {}

Match = tuple[tuple, dict[int, str], list[tuple[int, str, str, str]]]


def _helper_work(
    texts: list[str], match: Match | None
) -> tuple[list[dict[str, Any]], dict[int, list[int]], float]:
    """In the helper: enrichment with the default CPU backend (the only one a helper is
    started for) and, if asked, query matching with the pipeline's own function
    (query.match_mention), with the language detected here when the network gave none.
    Returns the columns, the matched query ids by candidate position, and the seconds it
    took (benchmark)."""
    from parvis.intelligence import default_backend

    start = time.perf_counter()
    fields = [analysis_fields(result) for result in default_backend().analyze(texts)]
    matched: dict[int, list[int]] = {}
    if match is not None:
        from parvis.listening.query import compile_queries, match_mention

        key, expressions, todo = match
        matcher = _compiled.get(key)
        if matcher is None:
            _compiled.clear()  # only the latest version of the queries is needed
            matcher = _compiled[key] = compile_queries(expressions)
        for n, lang, network, handle in todo:
            matched[n] = match_mention(
                matcher,
                texts[n],
                lang=lang or fields[n]["lang"],
                network=network,
                author_handle=handle,
            )
    return fields, matched, time.perf_counter() - start


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _kill_me_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where it cannot.
    Linux means the parent *thread*: the pool forks from the thread that first submits, the
    one running the import, which also closes the helper."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, interval: float, on_orphan: Callable[[], None]) -> None:
    """Call `on_orphan` once this process's parent is no longer `parent` (it died and the
    process was handed to init or a subreaper)."""
    while os.getppid() == parent:
        time.sleep(interval)
    on_orphan()


def _die_with_parent(parent: int) -> None:
    """The helper must not outlive the process it works for: killed with SIGKILL, that one
    cannot shut the pool down, and the helper would stay re-parented to PID 1 for good.
    SIGKILL, not SIGTERM: a forked helper inherits the worker's SIGTERM handler, which only
    asks a consumer loop it does not run to stop."""
    if not _kill_me_with_parent():
        # Elsewhere, a thread notices the new parent within a second.
        watcher = threading.Thread(
            target=_watch_parent, args=(parent, 1.0, lambda: os._exit(1)), daemon=True
        )
        watcher.start()
    if os.getppid() != parent:  # the parent died before the request above
        os._exit(1)


def _helper_start(parent: int) -> None:
    _die_with_parent(parent)
    # Load the models before the first batch arrives.
    _helper_work(["warm up"], None)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def helper_worthwhile() -> bool:
    """A helper pays off with a second core and the default CPU backend: the optional
    transformers backend has its own threads and a model too large to load twice."""
    if cores() < 2:
        return False
    from parvis.intelligence import default_backend, get_backend

    return get_backend() is default_backend()


class Helper:
    """One helper process enriching batches in the order they are submitted."""

    def __init__(self) -> None:
        # fork where there is one: the helper starts at once with the models this process
        # already loaded (shared pages), and the caller's main module is not imported again
        # (spawn would re-run a script without a __main__ guard). The helper never uses the
        # database connections it inherits, and only runs the analysis code.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=context, initializer=_helper_start, initargs=(os.getpid(),)
        )

    def submit(self, texts: list[str], match: Match | None = None) -> Future | None:
        """The future (columns, matches, seconds) of `texts` (see `_helper_work`); None if
        the helper is gone, and the caller does the work itself."""
        try:
            return self._pool.submit(_helper_work, texts, match)
        except BrokenExecutor:
            return None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
