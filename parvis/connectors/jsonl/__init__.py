"""A JSON Lines file that another tool keeps appending normalized mentions to (an export, a
scraper's output): read from where we stopped, a bounded page at a time."""

from __future__ import annotations

import json
import os
from typing import Any

from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import (
    Capability,
    Connector,
    FetchContext,
    FetchResult,
    Incoming,
    PermanentError,
    register,
)

PAGE = 500
MAX_LINE = 1_000_000


def parse_line(number: int, line: str | bytes) -> Incoming:
    """One line of JSON Lines (a normalized mention) as an item; an unreadable one carries
    its error, for quarantine, never raises. `parvis ingest` reads its files with this too."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raw = line.decode("utf-8", "backslashreplace").rstrip("\r\n")[:MAX_LINE]
            return Incoming(None, raw, number, f"invalid UTF-8 (byte {exc.start + 1})")
    raw = line.rstrip("\r\n")
    if len(raw) > MAX_LINE:
        return Incoming(None, raw[:MAX_LINE], number, f"line longer than {MAX_LINE} characters")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return Incoming(None, raw, number, f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return Incoming(None, raw, number, "invalid JSON: nested too deeply")
    except ValueError as exc:  # an integer of more than 4,300 digits
        return Incoming(None, raw, number, f"invalid JSON: {exc}")
    return Incoming(data, raw, number)


@register
class JSONLFileConnector(Connector):
    kind = "jsonl_file"
    web_ui = False
    label = _("JSON Lines file")
    capabilities = frozenset({Capability.LISTEN})
    keep_unmatched = True

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        path = str(config.get("path", "")).strip()
        if not os.path.isabs(path):
            raise ValueError(_("Give the absolute path of the file."))
        return {"path": path}

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        path = self.source.config["path"]
        offset, line = int(cursor.get("offset", 0)), int(cursor.get("line", 0))
        try:
            handle = open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise PermanentError(f"cannot read {path}: {exc.strerror}") from exc
        items = []
        with handle:
            handle.seek(offset)
            while len(items) < PAGE:
                raw = handle.readline()
                if not raw.endswith(b"\n"):
                    break  # end of file, or a line still being written: read it next time
                offset += len(raw)
                line += 1
                if raw.strip():
                    items.append(parse_line(line, raw))  # a line not in UTF-8 is quarantined
        more = len(items) >= PAGE
        return FetchResult(items=items, cursor={"offset": offset, "line": line}, more=more)
