"""A JSON Lines file that another tool keeps appending normalized mentions to (an export, a
scraper's output): read from where we stopped, a bounded page at a time."""

from __future__ import annotations

import os
from typing import Any

from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import Capability, Connector, FetchResult, PermanentError, register
from parvis.listening.ingest import parse_line

PAGE = 500


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

    def fetch(self, cursor: dict[str, Any]) -> FetchResult:
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
                text = raw.decode("utf-8", errors="replace")
                if text.strip():
                    items.append(parse_line(line, text))
        more = len(items) >= PAGE
        return FetchResult(items=items, cursor={"offset": offset, "line": line}, more=more)
