"""Text intelligence: language, sentiment, toxicity and spam for French and English texts.

    from parvis.intelligence import analyze
    results = analyze(["Merci pour tout !", "you are an idiot"])

Works without Django. Heavy libraries (numpy, scipy, scikit-learn, and transformers for the
optional backend) are imported on first use, and models are loaded once per process.

Backend choice, first match wins: ``configure(backend=...)``; Django setting
``PARVIS_INTELLIGENCE = {"BACKEND": "default"|"transformers", "SENTIMENT_MODEL": path,
"TOXICITY_MODEL": path}`` when Django is configured; environment variables
``PARVIS_INTELLIGENCE_BACKEND``, ``PARVIS_SENTIMENT_MODEL``, ``PARVIS_TOXICITY_MODEL``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from parvis.intelligence.types import Analysis, Sentiment, Spam, Toxicity

if TYPE_CHECKING:
    from parvis.intelligence.cpu_backend import DefaultBackend

__all__ = ["Analysis", "Sentiment", "Spam", "Toxicity", "analyze", "configure", "get_backend"]

_lock = threading.Lock()
_backend: Any = None
_default: DefaultBackend | None = None


def _settings() -> dict[str, str]:
    """Django's PARVIS_INTELLIGENCE when a project configured Django (parvis.settings reads
    the environment into it at start), else the environment, through parvis.config."""
    try:  # Django is optional here
        from django.conf import settings

        if settings.configured:
            return dict(getattr(settings, "PARVIS_INTELLIGENCE", {}) or {})
    except ImportError:
        pass
    from parvis.config import intelligence_settings

    return intelligence_settings()


def default_backend() -> DefaultBackend:
    """The CPU backend shipped with Parvis (loaded once, shared by all threads)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                from parvis.intelligence.cpu_backend import DefaultBackend

                _default = DefaultBackend()
    return _default


def _build(conf: dict[str, str]) -> Any:
    name = conf.get("BACKEND", "default")
    if name == "default":
        return default_backend()
    if name == "transformers":
        from parvis.intelligence.transformer_backend import TransformerBackend

        return TransformerBackend(
            sentiment_model=conf.get("SENTIMENT_MODEL"),
            toxicity_model=conf.get("TOXICITY_MODEL"),
            fallback=default_backend(),
        )
    raise ValueError(f"unknown intelligence backend {name!r}")


def get_backend() -> Any:
    global _backend
    if _backend is None:
        conf = _settings()
        backend = _build(conf)
        with _lock:
            if _backend is None:
                _backend = backend
    return _backend


def configure(backend: str | None = None, **options: str) -> None:
    """Select a backend explicitly (``None`` resets to settings/environment on next use)."""
    global _backend
    with _lock:
        _backend = None
    if backend is not None:
        conf = {"BACKEND": backend, **{k.upper(): v for k, v in options.items()}}
        built = _build(conf)
        with _lock:
            _backend = built


def analyze(texts: Iterable[str], batch_size: int = 4096) -> list[Analysis]:
    """One ``Analysis`` per input text, in order. Non-string items are read as ``str(x)``."""
    items = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
    backend = get_backend()
    out: list[Analysis] = []
    # Bounded batches keep peak memory flat whatever the caller passes in.
    for start in range(0, len(items), batch_size):
        out.extend(backend.analyze(items[start : start + batch_size]))
    return out
