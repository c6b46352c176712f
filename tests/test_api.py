import re

import pytest

from parvis.core.models import ApiToken, AuditEvent
from parvis.core.tokens import do_create_token, do_revoke_token
from parvis.workspaces.models import StrategyChange
from parvis.workspaces.roles import Role
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def test_openapi_document_is_public_and_lists_workspace_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/workspaces/{slug}/strategy" in paths
    assert "/api/v1/workspaces/{slug}/strategy/objectives/{item_id}" in paths
    assert response.json()["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


def test_anonymous_and_bad_tokens_get_401(client, owner):
    assert client.get("/api/v1/workspaces").status_code == 401
    wrong = {"HTTP_AUTHORIZATION": "Bearer pvs_not-a-real-token"}
    assert client.get("/api/v1/workspaces", **wrong).status_code == 401
    token = do_create_token(owner)
    do_revoke_token(token.token, actor=owner)
    revoked = {"HTTP_AUTHORIZATION": f"Bearer {token.raw}"}
    assert client.get("/api/v1/workspaces", **revoked).status_code == 401


def test_tokens_are_stored_hashed_and_audited(owner):
    new = do_create_token(owner, name="zapier")
    stored = ApiToken.objects.get()
    assert new.raw not in (stored.key_hash, stored.hint)
    assert new.raw.startswith(stored.hint)
    event = AuditEvent.objects.get(kind="token_created")
    assert new.raw not in str(event.details)


def test_list_workspaces_shows_only_mine_with_role(client, workspace, other_workspace, owner):
    response = client.get("/api/v1/workspaces", **bearer(owner))
    assert response.status_code == 200
    body = response.json()
    assert [w["slug"] for w in body] == ["lumiere"]
    assert body[0]["role"] == "owner"
    assert "edit_strategy" in body[0]["permissions"]


def test_members_endpoint(client, workspace, owner, member_factory):
    member_factory(Role.ANALYST, username="ana")
    response = client.get("/api/v1/workspaces/lumiere/members", **bearer(owner))
    assert [(m["username"], m["role"]) for m in response.json()] == [
        ("ana", "analyst"),
        (owner.username, "owner"),
    ]


def test_strategy_read_and_patch(client, workspace, owner):
    headers = bearer(owner)
    response = client.patch(
        "/api/v1/workspaces/lumiere/strategy",
        {"tone": "Chaleureux", "signature_hashtags": ["#MaisonLumiere", "#MaisonLumiere"]},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    assert response.json()["signature_hashtags"] == ["#MaisonLumiere"]
    assert client.get("/api/v1/workspaces/lumiere/strategy", **headers).json()["tone"] == (
        "Chaleureux"
    )
    history = client.get("/api/v1/workspaces/lumiere/strategy/history", **headers).json()
    assert history[0]["actor"] == owner.username
    assert history[0]["changes"]["tone"] == ["", "Chaleureux"]


def test_invalid_values_get_422_with_field_errors(client, workspace, owner):
    response = client.patch(
        "/api/v1/workspaces/lumiere/strategy",
        {"address_form": "toi"},
        content_type="application/json",
        **bearer(owner),
    )
    assert response.status_code == 422
    assert "address_form" in response.json()["detail"]


def test_objective_crud(client, workspace, owner):
    headers = bearer(owner)
    base = "/api/v1/workspaces/lumiere/strategy/objectives"
    body = {
        "kind": "audience_growth",
        "title": "12 000 abonnés",
        "kpi": "Abonnés",
        "target_value": "12000",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "network": "instagram",
    }
    created = client.post(base, body, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    item_id = created.json()["id"]
    updated = client.put(
        f"{base}/{item_id}", {**body, "title": "15 000"}, content_type="application/json", **headers
    )
    assert updated.json()["title"] == "15 000"
    assert [o["title"] for o in client.get(base, **headers).json()] == ["15 000"]
    assert client.delete(f"{base}/{item_id}", **headers).status_code == 204
    assert client.get(f"{base}/{item_id}", **headers).status_code == 404
    actions = list(StrategyChange.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["created", "updated", "deleted"]


def test_read_only_roles_cannot_write(client, workspace, member_factory):
    client_user = member_factory(Role.CLIENT)
    headers = bearer(client_user)
    assert client.get("/api/v1/workspaces/lumiere/strategy", **headers).status_code == 200
    response = client.patch(
        "/api/v1/workspaces/lumiere/strategy",
        {"tone": "x"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 403


def test_interactive_docs_are_served_from_our_own_files_under_the_strict_csp(client, settings):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    page = response.content.decode()
    assert "cdn" not in page.lower() and "https://" not in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    styles = re.findall(r'<link[^>]+href="([^"]+\.css)"', page)
    assert any("swagger-ui-bundle" in src for src in scripts), page
    for url in [*scripts, *styles]:
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200, url
    # No inline script may run: the only script elements without src hold JSON settings.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all('type="application/json"' in attrs for attrs in inline), inline
    assert "/api/v1/openapi.json" in page
