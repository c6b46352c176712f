"""Explanations the pure publishing modules give (contests, best time, boost), translatable
without importing Django.

A `Reason` is a stable `code`, an English `template` marked with `gettext_noop` (so
makemessages extracts it) and its `params`. The page translates it with
`reason.text(gettext)`; a command line or a test reads `reason.text()` in English. The
numbers stay numbers in `params` so that a page can format them for its reader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def gettext_noop(message: str) -> str:
    """Marks a message for translation without importing Django (makemessages finds it)."""
    return message


def _same(message: str) -> str:
    return message


@dataclass(frozen=True)
class Reason:
    code: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, translate: Callable[[str], str] = _same) -> str:
        """The sentence, through `translate` (Django's `gettext` on a page)."""
        message = translate(self.template)
        return message % dict(self.params) if self.params else message

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text(), "params": dict(self.params)}
