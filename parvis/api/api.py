"""The JSON API, /api/v1/: bearer tokens, every workspace endpoint behind api_membership."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router, Schema, Status
from ninja.errors import HttpError

from parvis.api import schemas as s
from parvis.api.alerts import router as alerts_router
from parvis.api.analytics import router as analytics_router
from parvis.api.auth import BearerToken, api_membership
from parvis.api.crisis import router as crisis_router
from parvis.api.inbox import router as inbox_router
from parvis.api.listening import router as listening_router
from parvis.api.moderation import router as moderation_router
from parvis.api.parser import StorableJSON, body_error
from parvis.api.publishing import router as publishing_router
from parvis.api.reports import router as reports_router
from parvis.workspaces.access import get_in_workspace, scoped
from parvis.workspaces.models import Membership, StrategyChange
from parvis.workspaces.roles import Perm
from parvis.workspaces.strategy import (
    ITEM_KINDS,
    do_delete_item,
    do_save_item,
    do_update_strategy,
    get_strategy,
)

api = NinjaAPI(
    title="Parvis API",
    version="1",
    urls_namespace="api-v1",
    auth=BearerToken(),
    parser=StorableJSON(),
    # Swagger UI from django-ninja's own static files ("ninja" is an installed app, so no CDN):
    # its page loads a script file and reads its settings from a JSON block, within the CSP.
    docs_url="/docs",
    description="Workspace-scoped API. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `parvis token create USERNAME`).",
)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": body_error(exc)}, status=exc.status_code)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "Forbidden"}, status=403)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


def workspace_out(membership: Membership) -> dict[str, Any]:
    ws = membership.workspace
    perms = [perm.value for perm in Perm if membership.can(perm)]
    return {
        "slug": ws.slug,
        "name": ws.name,
        "description": ws.description,
        "role": membership.role,
        "permissions": perms,
    }


@api.get("/workspaces", response=list[s.WorkspaceOut], tags=["workspaces"])
def list_workspaces(request: HttpRequest) -> list[dict[str, Any]]:
    token = request.auth
    memberships = Membership.objects.filter(user=token.user).select_related("workspace")
    if token.workspace_id is not None:
        memberships = memberships.filter(workspace_id=token.workspace_id)
    return [workspace_out(m) for m in memberships.order_by("workspace__name")]


ws = Router(tags=["workspaces"])


@ws.get("/workspaces/{slug}", response=s.WorkspaceOut)
def get_workspace(request: HttpRequest, slug: str) -> dict[str, Any]:
    return workspace_out(api_membership(request, slug))


@ws.get("/workspaces/{slug}/members", response=list[s.MemberOut])
def list_members(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    workspace = api_membership(request, slug).workspace
    members = scoped(Membership, workspace).select_related("user")
    return [
        {
            "username": m.user.username,
            "name": m.user.get_full_name(),
            "role": m.role,
            "since": m.created_at,
        }
        for m in members.order_by("user__username")
    ]


STRATEGY = "/workspaces/{slug}/strategy"
strategy = Router(tags=["strategy"])


@strategy.get(STRATEGY, response=s.StrategyOut)
def get_strategy_view(request: HttpRequest, slug: str) -> Any:
    return get_strategy(api_membership(request, slug).workspace)


@strategy.patch(STRATEGY, response=s.StrategyOut)
def patch_strategy(request: HttpRequest, slug: str, payload: s.StrategyPatch) -> Any:
    membership = api_membership(request, slug, Perm.EDIT_STRATEGY)
    data = payload.dict(exclude_unset=True)
    return do_update_strategy(membership.workspace, membership.user, data)


@strategy.get(STRATEGY + "/history", response=list[s.ChangeOut])
def strategy_history(request: HttpRequest, slug: str, limit: int = 100) -> list[dict[str, Any]]:
    workspace = api_membership(request, slug).workspace
    changes = scoped(StrategyChange, workspace).select_related("actor")[: max(1, min(limit, 500))]
    return [
        {
            "created_at": c.created_at,
            "actor": c.actor.username if c.actor else None,
            "action": c.action,
            "item_type": c.item_type,
            "item_id": c.item_id,
            "item_label": c.item_label,
            "changes": c.changes,
        }
        for c in changes
    ]


def add_item_routes(router: Router, code: str, schema_in: type[Schema], schema_out: type) -> None:
    """List, create, read, update and delete for one kind of strategy item."""
    kind = ITEM_KINDS[code]
    path = f"{STRATEGY}/{code}s"

    @router.get(path, response=list[schema_out], operation_id=f"list_{code}s")
    def list_items(request: HttpRequest, slug: str) -> Any:
        return list(scoped(kind.model, api_membership(request, slug).workspace))

    @router.post(path, response={201: schema_out}, operation_id=f"create_{code}")
    def create_item(request: HttpRequest, slug: str, payload: schema_in) -> Any:
        m = api_membership(request, slug, Perm.EDIT_STRATEGY)
        return Status(201, do_save_item(m.workspace, m.user, kind, payload.dict()))

    @router.get(path + "/{item_id}", response=schema_out, operation_id=f"get_{code}")
    def get_item(request: HttpRequest, slug: str, item_id: int) -> Any:
        workspace = api_membership(request, slug).workspace
        return get_in_workspace(kind.model, workspace, pk=item_id)

    @router.put(path + "/{item_id}", response=schema_out, operation_id=f"update_{code}")
    def update_item(request: HttpRequest, slug: str, item_id: int, payload: schema_in) -> Any:
        m = api_membership(request, slug, Perm.EDIT_STRATEGY)
        item = get_in_workspace(kind.model, m.workspace, pk=item_id)
        return do_save_item(m.workspace, m.user, kind, payload.dict(), instance=item)

    @router.delete(path + "/{item_id}", response={204: None}, operation_id=f"delete_{code}")
    def delete_item(request: HttpRequest, slug: str, item_id: int) -> Any:
        m = api_membership(request, slug, Perm.EDIT_STRATEGY)
        item = get_in_workspace(kind.model, m.workspace, pk=item_id)
        do_delete_item(m.workspace, m.user, kind, item)
        return Status(204, None)


add_item_routes(strategy, "objective", s.ObjectiveIn, s.ObjectiveOut)
add_item_routes(strategy, "persona", s.PersonaIn, s.PersonaOut)
add_item_routes(strategy, "network", s.NetworkChoiceIn, s.NetworkChoiceOut)
add_item_routes(strategy, "competitor", s.CompetitorIn, s.CompetitorOut)

api.add_router("", ws)
api.add_router("", strategy)
api.add_router("", listening_router)
api.add_router("", inbox_router)
api.add_router("", moderation_router)
api.add_router("", alerts_router)
api.add_router("", crisis_router)
api.add_router("", publishing_router)
api.add_router("", analytics_router)
api.add_router("", reports_router)
