"""Holding statements' variables: `{marque}` in a text, `{{` and `}}` for a literal brace.

Only the names below exist (French and English spellings); anything else between braces, or
a lone brace, is refused when the statement is saved, so a statement that was accepted always
renders. Rendering substitutes plain text: no format mini-language, no attribute access. The
result is shown auto-escaped like any user text."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# variable -> the canonical key the caller provides
VARIABLES: dict[str, str] = {
    "marque": "brand",
    "brand": "brand",
    "date": "date",
    "heure": "time",
    "time": "time",
    "canal": "channel",
    "channel": "channel",
    "sujet": "topic",
    "topic": "topic",
}

TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
MAX_TEXT = 5000


def check(text: str) -> None:
    """ValidationError naming the first unknown variable or lone brace."""
    for match in TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise ValidationError(
                _("A lone brace at character %(at)s: a brace itself is written twice.")
                % {"at": match.start() + 1}
            )
        if name.strip().lower() not in VARIABLES:
            raise ValidationError(
                _("Unknown variable {%(name)s}. Known: %(known)s.")
                % {"name": name[:40], "known": ", ".join("{" + v + "}" for v in VARIABLES)}
            )


def render(text: str, values: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = (match.group(1) or "").strip().lower()
        if name in VARIABLES:
            return values.get(VARIABLES[name], "") or ""
        return token  # a statement saved before validation: left as written

    return TOKEN.sub(replace, text)
