"""Public addresses for Meta, outside the workspaces (no login, no CSRF token):

- /hooks/instagram/: Instagram webhook deliveries, verified as the Facebook connector's
  (the same verify token, X-Hub-Signature-256 keyed by the app secret of a connected account
  the delivery is about);
- /hooks/instagram/media/<token>/: the media files Instagram fetches to publish them, by a
  signed, expiring token (media_url.py); anything else is a 404.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from parvis.connectors import crypto
from parvis.connectors.facebook import webhook as fb_webhook
from parvis.connectors.facebook.views import verify_token
from parvis.connectors.instagram import media_url, webhook
from parvis.connectors.models import ConnectedAccount

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
}


def app_secrets(account_ids: list[str]) -> list[str]:
    found: list[str] = []
    for account in ConnectedAccount.objects.filter(
        network="instagram", handle__in=account_ids[:50]
    ):
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


@csrf_exempt
@require_http_methods(["GET", "POST"])
def instagram_webhook(request: HttpRequest) -> HttpResponse:
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
    if length > fb_webhook.MAX_BODY:
        return HttpResponse("too large", status=413, content_type="text/plain")
    body = request.body
    if len(body) > fb_webhook.MAX_BODY:
        return HttpResponse("too large", status=413, content_type="text/plain")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return HttpResponse("not JSON", status=400, content_type="text/plain")
    accounts = webhook.account_ids(payload)
    header = request.headers.get("X-Hub-Signature-256", "")
    if not accounts or not fb_webhook.signed_by(body, header, app_secrets(accounts)):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    new = fb_webhook.store(payload, webhook.wanted)
    return HttpResponse(f"stored {new}", content_type="text/plain")


@require_GET
def instagram_media(request: HttpRequest, token: str) -> FileResponse:
    path = media_url.file_for(token)
    if path is None:
        raise Http404("no such media")
    kind = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    response = FileResponse(path.open("rb"), content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
