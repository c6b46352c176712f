"""Log lines as JSON (PARVIS_LOG_FORMAT=json), each with the id of the request it belongs to,
so a log collector can group a request's lines and match them with the proxy's."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("parvis_request_id", default="")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "") or request_id.get()
        if rid:
            line["request_id"] = rid
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        # default=str: a message argument that JSON cannot hold is written as its text.
        return json.dumps(line, ensure_ascii=False, default=str)


def clear_request_id(**kwargs: object) -> None:
    request_id.set("")
