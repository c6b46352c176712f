from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja.security import HttpBearer

from parvis.core.models import ApiToken
from parvis.core.tokens import user_for_token
from parvis.workspaces.access import get_membership
from parvis.workspaces.models import Membership
from parvis.workspaces.roles import Perm


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return user_for_token(token)


def api_membership(request: HttpRequest, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    """Fetch-and-authorize for the API; a token tied to another workspace sees a 404."""
    # django-ninja sets request.auth to what BearerToken.authenticate returned; an endpoint
    # declared without auth has none, and must not reach a workspace.
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        raise Http404
    if token.workspace is not None and token.workspace.slug != slug:
        raise Http404
    return get_membership(token.user, slug, perm)
