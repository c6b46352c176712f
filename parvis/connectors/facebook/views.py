"""The webhook address Meta calls (/hooks/facebook/): no login, no CSRF token (Meta signs
its deliveries instead), outside the workspaces (one app serves every Page it is added to)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from parvis.connectors import crypto
from parvis.connectors.facebook import webhook
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.signals import deliveries_received


def verify_token() -> str:
    return str(settings.FACEBOOK_VERIFY_TOKEN)


def app_secrets(pages: list[str], network: str = "facebook") -> list[str]:
    """The app secrets stored with the connected accounts (Pages, or Instagram accounts) the
    delivery is about, then the installation's."""
    found: list[str] = []
    for account in ConnectedAccount.objects.filter(network=network, handle__in=pages[:50]):
        try:
            secret = account.credentials().get("app_secret", "")
        except crypto.CredentialsUnreadable:
            continue
        if secret and secret not in found:
            found.append(secret)
    extra = str(settings.FACEBOOK_APP_SECRET)
    if extra and extra not in found:
        found.append(extra)
    return found


def meta_webhook(
    request: HttpRequest,
    network: str,
    accounts_of: Callable[[Any], list[str]],
    store: Callable[[Any], int],
) -> HttpResponse:
    """A Meta webhook address: the subscription check (GET), then a delivery (POST) stored
    once it is signed by the app secret of an account it is about. Facebook and Instagram
    differ only in whose ids a delivery names and which changes they keep."""
    if request.method == "GET":
        expected = verify_token()
        given = request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        if (
            request.GET.get("hub.mode") == "subscribe"
            and expected
            and hmac.compare_digest(expected.encode(), given.encode())
            and challenge.isdigit()
            and len(challenge) <= 64
        ):
            return HttpResponse(challenge, content_type="text/plain")
        return HttpResponse("verification refused", status=403, content_type="text/plain")
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > webhook.MAX_BODY:
        return HttpResponse("too large", status=413, content_type="text/plain")
    body = request.body
    if len(body) > webhook.MAX_BODY:
        return HttpResponse("too large", status=413, content_type="text/plain")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return HttpResponse("not JSON", status=400, content_type="text/plain")
    accounts = accounts_of(payload)
    header = request.headers.get("X-Hub-Signature-256", "")
    if not accounts or not webhook.signed_by(body, header, app_secrets(accounts, network)):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    new = store(payload)
    if new:
        handles = list(accounts)
        transaction.on_commit(
            lambda: deliveries_received.send(sender=None, network=network, handles=handles)
        )
    return HttpResponse(f"stored {new}", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def facebook_webhook(request: HttpRequest) -> HttpResponse:
    return meta_webhook(request, "facebook", webhook.page_ids, webhook.store)
