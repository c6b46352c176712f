"""Request bodies as JSON the database can store.

JSON may spell what no database column takes: "\\ud800" (a lone surrogate, which UTF-8 cannot
encode), "\\u0000" (PostgreSQL refuses NUL in text), NaN and Infinity (not JSON numbers at
all, though Python reads them). Such a body is refused here with a 400 that says why, rather
than failing at the first save with a 500.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.parser import Parser


class UnstorableBody(ValueError):
    """The body is JSON that cannot be stored; the message says why."""


def no_constant(name: str) -> Any:
    raise UnstorableBody(f"{name} is not a JSON number")


def problem(text: str) -> str:
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate (\\ud800-\\udfff)"
    return ""


def check_strings(data: Any) -> None:
    """Every key and string value in `data`, iteratively (no recursion limit)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if found := problem(node):
                raise UnstorableBody(f"the request body holds {found}, which cannot be stored")
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


class StorableJSON(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body, parse_constant=no_constant)
        except RecursionError:
            raise UnstorableBody("the request body is nested too deeply") from None
        check_strings(data)
        return data


def body_error(exc: HttpError) -> str:
    """What to say for an HttpError: ninja wraps a parser's error in a generic message."""
    cause = exc.__cause__
    return str(cause) if isinstance(cause, UnstorableBody) else str(exc)
