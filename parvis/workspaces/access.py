"""Fetch-and-authorize: the one mechanism that keeps workspaces apart.

A user who is not a member of a workspace gets a 404 for it and for everything in it,
exactly as if it did not exist; a member without the permission gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from parvis.workspaces.models import Membership, Workspace
from parvis.workspaces.roles import Perm

M = TypeVar("M", bound=Model)


def get_membership(user: Any, slug: str, perm: Perm = Perm.VIEW) -> Membership:
    """The user's membership in workspace ``slug``, checked for ``perm``."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("workspace")
        .filter(workspace__slug=slug, user=user)
        .first()
    )
    if membership is None:
        raise Http404
    if not membership.can(perm):
        raise PermissionDenied
    return membership


def user_workspaces(user: Any) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).order_by("name")


def scoped(model: type[M], workspace: Workspace) -> QuerySet[M]:
    """Every query on workspace data starts here."""
    return model._default_manager.filter(workspace=workspace)


def get_in_workspace(model: type[M], workspace: Workspace, **lookup: Any) -> M:
    obj = scoped(model, workspace).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


class WorkspaceRequest(HttpRequest):
    """The request a workspace view receives: workspace_view has set these two."""

    workspace: Workspace
    membership: Membership


class WorkspaceView(Protocol):
    """A view behind workspace_view; the isolation tests read ``workspace_perm``."""

    workspace_perm: Perm

    def __call__(
        self, request: HttpRequest, slug: str, *args: Any, **kwargs: Any
    ) -> HttpResponse: ...


def workspace_view(
    perm: Perm = Perm.VIEW,
) -> Callable[[Callable[..., HttpResponse]], WorkspaceView]:
    """Decorate a view taking ``slug``: logs in, fetches and authorizes, sets
    ``request.workspace`` and ``request.membership``."""

    def decorator(view: Callable[..., HttpResponse]) -> WorkspaceView:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = get_membership(request.user, slug, perm)
            # The same object, now carrying what WorkspaceRequest declares.
            scoped_request = cast(WorkspaceRequest, request)
            scoped_request.workspace = membership.workspace
            scoped_request.membership = membership
            # Assigning marks the session modified, and a modified session is saved: a write
            # per page view, which on SQLite waits for the write lock ingestion holds.
            if request.session.get("last_workspace") != slug:
                request.session["last_workspace"] = slug
            return view(scoped_request, *args, **kwargs)

        checked = cast(WorkspaceView, wrapper)
        checked.workspace_perm = perm
        return checked

    return decorator
