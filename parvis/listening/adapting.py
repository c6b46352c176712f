"""The workspace's adaptation layers: fitted from its corrections (in the worker, task
``refit_adaptation_task``), applied by the pipeline to the mentions it stores next.

Kept apart from ``corrections`` (the members' actions, which schedule the task) so that the
pipeline and the runner do not import the tasks module (the listening contract in
pyproject.toml).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.db.models import Max
from django.utils import timezone

from parvis.intelligence import adaptation
from parvis.listening.models import Adaptation, Correction

LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": ("negative", "neutral", "positive"),
    "spam": ("no", "yes"),
    "toxicity": ("no", "yes"),
}
# Corrections read for one refit, newest first: bounds the worker's time and memory.
MAX_ROWS = 5000


def refit(workspace_id: int) -> dict[str, int]:
    """Fit (or drop) each task's layer from this workspace's corrections: the last label
    of each mention for the task, the model's scores as first corrected."""
    now = timezone.now()
    fitted: dict[str, int] = {}
    for task in adaptation.TASKS:
        rows = (
            Correction.objects.filter(workspace_id=workspace_id, field=task)
            .order_by("-created_at", "-id")
            .values_list("mention_id", "after", "scores")[:MAX_ROWS]
        )
        latest: dict[int, tuple[str, list]] = {}
        for mention_id, after, scores in rows:
            latest.setdefault(mention_id, (after, scores))
        labels = LABELS[task]
        usable = [
            (labels.index(a), s)
            for a, s in latest.values()
            if a in labels and isinstance(s, list) and len(s) == len(adaptation.FEATURES)
        ]
        classes = {y for y, _s in usable}
        if len(usable) < adaptation.MIN_CORRECTIONS or len(classes) < 2:
            Adaptation.objects.filter(workspace_id=workspace_id, task=task).delete()
            continue
        import numpy as np

        x = np.asarray([s for _y, s in usable], dtype=np.float64) - 0.5
        y = np.asarray([y for y, _s in usable])
        layer = adaptation.fit(task, x, y)
        Adaptation.objects.update_or_create(
            workspace_id=workspace_id,
            task=task,
            defaults={"layer": layer.to_json(), "n_corrections": len(usable), "trained_at": now},
        )
        fitted[task] = len(usable)
    return fitted


_cache_lock = threading.Lock()
_cache: dict[int, tuple[Any, dict[str, adaptation.Layer]]] = {}


def layers(workspace_id: int) -> dict[str, adaptation.Layer]:
    """The workspace's fitted layers, read again only when one was refitted (one small
    aggregate query per batch)."""
    stamp = Adaptation.objects.filter(workspace_id=workspace_id).aggregate(
        last=Max("trained_at"), n=Max("id")
    )
    key = (stamp["last"], stamp["n"])
    with _cache_lock:
        cached = _cache.get(workspace_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    found: dict[str, adaptation.Layer] = {}
    if stamp["last"] is not None:
        for task, data in Adaptation.objects.filter(workspace_id=workspace_id).values_list(
            "task", "layer"
        ):
            try:
                found[task] = adaptation.Layer.from_json(data)
            except (KeyError, TypeError, ValueError):
                continue  # a layer made for other features: ignored until refitted
    with _cache_lock:
        _cache[workspace_id] = (key, found)
    return found


def adapt(workspace_id: int, fields: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Analysis columns with the workspace's layers applied (unchanged without layers)."""
    found = layers(workspace_id)
    items = list(fields)
    if not found:
        return items
    return [adaptation.apply(found, f) for f in items]
