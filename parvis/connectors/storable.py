"""Whether a payload can be stored as JSON, for the pipeline (a mention's raw payload) and for
connectors that keep payloads in a source's cursor (the Bluesky firehose's waiting posts): a
cursor that cannot be saved would fail every run of its source.

JSON has no NaN or Infinity, and PostgreSQL's jsonb refuses NUL and lone surrogates.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Far deeper than any network's payload (about ten levels), far below the limits of Python's
# JSON (about 1,000), SQLite's (1,000) and PostgreSQL's stack.
MAX_DEPTH = 100
# In JSON text written with ensure_ascii (as Django's JSONField writes it), NUL and
# surrogates appear as escapes ("\u0000", "\ud83d\ude00"). An escape counts only after an
# even number of backslashes ("\\u0000" is a backslash and the text "u0000").
ESCAPED_NUL = re.compile(r"\\u0000")
ESCAPED_SURROGATE = re.compile(r"\\ud[89a-f][0-9a-f]{2}")


def is_escape(text: str, start: int) -> bool:
    backslashes = 0
    while start > backslashes and text[start - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 0


def escaped_nul(text: str) -> bool:
    return any(is_escape(text, m.start()) for m in ESCAPED_NUL.finditer(text))


def escaped_lone_surrogate(text: str) -> bool:
    """A high surrogate's escape not followed by a low one's, or a low one alone (an emoji
    is a pair, in that order)."""
    low_expected_at = -1
    for found in ESCAPED_SURROGATE.finditer(text):
        start = found.start()
        if not is_escape(text, start):
            continue
        high = text[start + 3] in "89ab"
        if low_expected_at != -1:
            if start != low_expected_at or high:
                return True
            low_expected_at = -1
        elif high:
            low_expected_at = found.end()
        else:
            return True
    return low_expected_at != -1


def depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in node)
    return deepest


def storable_json(value: Any) -> tuple[str, str]:
    """(`value` as JSON text written as Django's JSONField writes it, "") or ("", why it cannot
    be stored)."""
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError as exc:  # NaN or Infinity, or an integer of thousands of digits
        if "float" in str(exc):
            return "", "the item holds NaN or Infinity, not JSON numbers"
        return "", f"the item cannot be written as JSON: {exc}"
    except RecursionError:
        return "", f"the item nests deeper than {MAX_DEPTH} levels"
    except TypeError as exc:
        return "", f"the item is not JSON: {exc}"
    # Counting brackets is cheap; only a payload with many of them is walked.
    if text.count("[") + text.count("{") > MAX_DEPTH and depth(value) > MAX_DEPTH:
        return "", f"the item nests deeper than {MAX_DEPTH} levels"
    if "\\u0000" in text and escaped_nul(text):
        return "", "the item contains a NUL character (U+0000)"
    if "\\ud" in text and escaped_lone_surrogate(text):
        return "", "the item contains a lone surrogate"
    return text, ""
