"""The checks a post passes before it is scheduled, through one door: counting per network
(`parvis.connectors.counting`) and brand safety (`parvis.publishing.safety`).

Both modules are written beside this app (issue #13) and imported lazily: where one is not
installed yet, it gives no findings, so the rest of the app keeps working. Their answers are
turned here into plain `Problem`s (a code, a message, a key that identifies the finding for an
override), so services and the API depend on nothing else of their shape.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from parvis.connectors.base import MediaFile, PublishLimits

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    key: str = ""  # stable identity of a safety finding (what an override accepts)
    network: str = ""
    # False for a warning a person may publish past (alt text missing, a tone remark): it
    # is shown, never in the way of scheduling.
    blocking: bool = True


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def counting() -> ModuleType | None:
    return _module("parvis.connectors.counting")


def safety() -> ModuleType | None:
    return _module("parvis.publishing.safety")


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


def _problem(item: Any, default_code: str, network: str = "", block: str = "block") -> Problem:
    """One finding or problem, whatever its exact class: a dataclass with code/message (or
    a dict, or a plain string). Blocking: its `blocking` flag, else its `severity` is the
    module's blocking one, else yes."""
    if isinstance(item, str):
        return Problem(default_code, item, key=f"{default_code}:{item}", network=network)
    get = item.get if isinstance(item, dict) else lambda name, d=None: getattr(item, name, d)
    code = _text(get("code") or get("kind") or default_code)
    message = _text(get("message") or get("why") or get("reason") or item)
    term = _text(
        get("subject") or get("term") or get("hashtag") or get("word") or get("topic") or ""
    )
    key = _text(get("key") or "") or f"{code}:{term or message}"
    blocking = get("blocking")
    if blocking is None:
        severity = get("severity")
        blocking = severity is None or severity == block
    return Problem(code, message, key=key, network=network, blocking=bool(blocking))


def count_problems(text: str, network: str, limits: PublishLimits | None = None) -> list[Problem]:
    """What makes `text` too long (or otherwise refused) on `network`, and its warnings
    (`blocking` False); empty when it fits or when counting is not installed."""
    module = counting()
    if module is None:
        return []
    result = module.count(text, network, limits)
    problems = getattr(result, "problems", None) or getattr(result, "errors", None)
    if problems:
        return [_problem(p, "count", network) for p in problems]
    ok = getattr(result, "ok", None)
    if ok is False:
        message = _text(getattr(result, "message", "")) or _count_message(result, network)
        return [Problem("too_long", message, network=network)]
    return []


def _count_message(result: Any, network: str) -> str:
    from django.utils.translation import gettext as _

    length, limit = getattr(result, "length", None), getattr(result, "limit", None)
    if length is not None and limit is not None:
        return _("%(network)s: %(length)s characters, the limit is %(limit)s.") % {
            "network": network,
            "length": length,
            "limit": limit,
        }
    return _("%(network)s: this text is not accepted.") % {"network": network}


def media_problems(
    network: str, media: list[MediaFile], limits: PublishLimits | None = None
) -> list[Problem]:
    module = counting()
    if module is None or not hasattr(module, "check_media"):
        return []
    return [_problem(p, "media", network) for p in module.check_media(network, media, limits)]


def safety_findings(workspace: Any, text: str) -> list[Problem]:
    """Brand-safety findings of a text (hashtags riding a tragedy, sensitive topics, words to
    avoid); empty when the safety module is not installed."""
    module = safety()
    if module is None or not text.strip():
        return []
    block = getattr(module, "BLOCK", "block")
    return [_problem(f, "safety", block=block) for f in module.check_post(workspace, text)]
