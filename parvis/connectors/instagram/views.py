"""Public addresses for Meta, outside the workspaces (no login, no CSRF token):

- /hooks/instagram/: Instagram webhook deliveries, verified as the Facebook connector's
  (the same verify token, X-Hub-Signature-256 keyed by the app secret of a connected account
  the delivery is about);
- /hooks/instagram/media/<token>/: the media files Instagram fetches to publish them, by a
  signed, expiring token (media_url.py); anything else is a 404.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from parvis.connectors.facebook import webhook as fb_webhook
from parvis.connectors.facebook.views import meta_webhook
from parvis.connectors.instagram import media_url, webhook

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def instagram_webhook(request: HttpRequest) -> HttpResponse:
    return meta_webhook(
        request,
        "instagram",
        webhook.account_ids,
        lambda payload: fb_webhook.store(payload, webhook.wanted),
    )


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
