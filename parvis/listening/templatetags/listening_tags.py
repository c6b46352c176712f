"""Template helpers for the listening pages. None of them marks user text as safe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.http import QueryDict
from django.utils import formats

register = template.Library()


@register.filter
def http_url(value: str) -> str:
    """`value` if it is an http(s) URL, else "": a javascript: link from a feed must not
    become a clickable link."""
    try:
        scheme = urlsplit(value or "").scheme.lower()
    except ValueError:
        return ""
    return value if scheme in {"http", "https"} else ""


@register.filter
def query_string(params: Mapping[str, Any]) -> str:
    """A saved view's parameters as a query string (escaped again by autoescape in href)."""
    query = QueryDict(mutable=True)
    query.update({k: str(v) for k, v in (params or {}).items()})
    return query.urlencode()


@register.filter
def percent(value: float | None) -> str:
    """0.237 -> "24", for scores in 0..1."""
    if value is None:
        return "—"
    return f"{round(100 * value):d}"


@register.filter
def signed(value: float | None) -> str:
    """A sentiment score in -1..1, two decimals with its sign ("+0.42", with a real minus sign)."""
    if value is None:
        return "—"
    shown = formats.number_format(abs(value), 2)
    return ("+" if value >= 0 else "\u2212") + shown


@register.filter
def tone(score: float | None) -> str:
    """A CSS class for a sentiment score: positive, negative or neutral."""
    if score is None:
        return "neutral"
    if score >= 0.2:
        return "positive"
    if score <= -0.2:
        return "negative"
    return "neutral"


@register.filter
def compact(value: int | None) -> str:
    """12345 -> "12,3 k" (localized), for reach and followers: the order of magnitude
    matters more than the last digits."""
    if value is None:
        return "0"
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            rounded = round(value / size, 1)
            shown = formats.number_format(rounded, 0 if rounded == int(rounded) else 1)
            return f"{shown}\u00a0{suffix}"
    return str(value)


@register.filter
def number(value: int | None) -> str:
    """2394 -> "2 394" (French) or "2,394" (English): counts, grouped in the reader's way."""
    if value is None:
        return "0"
    return formats.number_format(value, force_grouping=True)
