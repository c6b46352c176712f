"""The address X's Account Activity webhooks call (/hooks/x/): no login, no CSRF token (X
signs its deliveries instead), outside the workspaces. See webhook.py."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from parvis.connectors.signals import deliveries_received
from parvis.connectors.x import webhook


def consumer_secret() -> str:
    return str(settings.X_CONSUMER_SECRET)


def plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def x_webhook(request: HttpRequest) -> HttpResponse:
    secret = consumer_secret()
    if not secret:
        return plain("X webhooks are not configured (PARVIS_X_CONSUMER_SECRET)", 404)
    if request.method == "GET":
        token = request.GET.get("crc_token", "")
        if not token or len(token) > 512:
            return plain("crc_token missing", 400)
        return JsonResponse(webhook.crc_response(secret, token))
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > webhook.MAX_BODY or len(request.body) > webhook.MAX_BODY:
        return plain("too large", 413)
    body = request.body
    if not webhook.signed_by(body, request.headers.get("X-Twitter-Webhooks-Signature", ""), secret):
        return plain("bad signature", 403)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return plain("not JSON", 400)
    user_id = webhook.user_id_of(payload)
    handles = webhook.handles_of(user_id) if user_id else []
    if handles:
        transaction.on_commit(
            lambda: deliveries_received.send(sender=None, network="x", handles=handles)
        )
    return plain(f"accounts {len(handles)}", 200)
