"""The request id (kept from a proxy's X-Request-ID when it is a sane token, else made) and
each request's latency, observed into the /metrics histogram."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from parvis.ops import logs, metrics

SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if SANE_ID.fullmatch(given) else uuid.uuid4().hex
        # Cleared when the response is finished (logs.clear_request_id), not here: Django logs
        # a 4xx/5xx answer after the middleware chain has returned.
        logs.request_id.set(rid)
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = (match.view_name if match else "") or "unmatched"
        metrics.observe_request(
            request.method or "", view, response.status_code, time.perf_counter() - started
        )
        response["X-Request-ID"] = rid
        return response
