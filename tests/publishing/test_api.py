# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""The publishing API: accounts, posts (create, list, read), approve, schedule; 422s per
network; another workspace's post is a 404."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from parvis.publishing import services
from parvis.publishing.models import Post, Status
from tests.conftest import bearer
from tests.publishing.pubcore_fixtures import (  # noqa: F401
    TOO_LONG_FOR_THREADS,
    account,
    client_member,
    cm,
    network,
    one_step,
    unsafe,
)
from tests.publishing.pubcore_helpers import threads_account

pytestmark = pytest.mark.django_db
BASE = "/api/v1/workspaces/lumiere"


def call(client, method, url, user, body=None):
    kwargs = bearer(user)
    if body is not None:
        return getattr(client, method)(
            url, data=json.dumps(body), content_type="application/json", **kwargs
        )
    return getattr(client, method)(url, **kwargs)


def later(hours=2):
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


def test_accounts_list_with_capabilities(client, owner, account, monkeypatch):
    from parvis.connectors import base
    from parvis.connectors.services import do_connect_account

    # Other test modules register fake connectors (one on TikTok): only the shipped ones and
    # this test's own fake (pub_test, on Threads) count here.
    shipped = base.load_all

    def without_other_fakes():
        return {
            kind: cls
            for kind, cls in shipped().items()
            if not cls.__module__.startswith("tests.") or kind == "pub_test"
        }

    monkeypatch.setattr(base, "load_all", without_other_fakes)

    do_connect_account(
        owner.memberships.get().workspace,
        owner,
        network="tiktok",
        handle="lumiere",
        credentials={"access_token": "t"},
    )
    rows = call(client, "get", BASE + "/accounts", owner).json()
    by_network = {r["network"]: r for r in rows}
    assert by_network["threads"] == {
        "id": account.pk,
        "network": "threads",
        "handle": "lumiere.threads",
        "display_name": "",
        "capabilities": ["publish"],
    }
    assert by_network["tiktok"]["capabilities"] == []  # no connector publishes on TikTok


def test_create_read_and_list(client, cm, account):
    response = call(
        client,
        "post",
        BASE + "/posts",
        cm,
        {
            "text": "Nouvelle collection",
            "variants": [{"account_id": account.pk, "text": ""}],
            "scheduled_at": later(),
            "campaign": "Automne",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft" and created["campaign"] == "Automne"
    assert created["variants"][0]["status"] == "draft"
    assert created["variants"][0]["text"] == "Nouvelle collection"
    detail = call(client, "get", f"{BASE}/posts/{created['id']}", cm).json()
    assert detail["id"] == created["id"] and detail["author"] == cm.username
    start = timezone.now().isoformat()
    end = (timezone.now() + dt.timedelta(days=1)).isoformat()
    listed = client.get(
        BASE + "/posts", {"from": start, "to": end, "status": "draft"}, **bearer(cm)
    ).json()
    assert [p["id"] for p in listed] == [created["id"]]
    empty = client.get(BASE + "/posts", {"status": "published"}, **bearer(cm)).json()
    assert empty == []
    outside = client.get(BASE + "/posts", {"to": start}, **bearer(cm)).json()
    assert outside == []
    for params, expected in [
        ({"campaign": "Automne"}, [created["id"]]),
        ({"campaign": "Hiver"}, []),
        ({"account": account.pk}, [created["id"]]),
        ({"account": account.pk + 1000}, []),
        ({"network": "threads"}, [created["id"]]),
        ({"network": "bluesky"}, []),
    ]:
        found = client.get(BASE + "/posts", params, **bearer(cm)).json()
        assert [p["id"] for p in found] == expected, params


def test_counting_errors_are_422_per_network(client, cm, account):
    response = call(
        client,
        "post",
        BASE + "/posts",
        cm,
        {"text": TOO_LONG_FOR_THREADS, "variants": [{"account_id": account.pk}]},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert list(detail) == ["threads"]
    assert "501" in detail["threads"][0] and "500" in detail["threads"][0]
    assert not Post.objects.exists()


def test_bad_input_is_a_clear_error(client, cm, account):
    cases = [
        {"text": "x", "variants": [{"account_id": 2**64}]},
        {"text": "x", "variants": [{"account_id": 999999}]},
        {"text": "x", "scheduled_at": "9999-12-31T23:59:59+00:00"},
        {"text": "x", "scheduled_at": "2030-01-01T10:00:00"},  # naive
        {"text": "x" * 1_000_001},
        {"text": "x", "media": [2**70]},
        {"text": "x", "media": [123456]},
        {"text": "x", "variants": [{"account_id": i} for i in range(1, 100_000)]},
        {"text": "x", "media": list(range(1, 100_000))},
        {"text": "x", "campaign": "c" * 100_000},
    ]
    for body in cases:
        response = call(client, "post", BASE + "/posts", cm, body)
        assert response.status_code in (400, 422), (body, response.status_code)
    assert call(client, "get", BASE + f"/posts/{2**64}", cm).status_code == 404
    bad_status = client.get(BASE + "/posts", {"status": "nope"}, **bearer(cm))
    assert bad_status.status_code == 422
    huge = client.get(BASE + "/posts", {"account": 2**64}, **bearer(cm))
    assert huge.status_code == 422
    far = client.get(BASE + "/posts", {"from": "9999-12-31T00:00:00+00:00"}, **bearer(cm))
    assert far.status_code == 422
    assert not Post.objects.exists()


def test_approve_then_schedule_flow(client, workspace, cm, client_member, account, one_step):
    post = services.do_create_post(workspace, cm, "Bonjour", variants={account.pk: ""})
    # Not approved: scheduling is a 422 that says so.
    response = call(
        client, "post", f"{BASE}/posts/{post.pk}/schedule", cm, {"scheduled_at": later()}
    )
    assert response.status_code == 422 and "approval" in response.json()["detail"]
    assert call(client, "post", f"{BASE}/posts/{post.pk}/submit", cm).json()["status"] == (
        "awaiting_approval"
    )
    # A community manager may not approve (no permission): 403.
    assert call(client, "post", f"{BASE}/posts/{post.pk}/approve", cm, {}).status_code == 403
    approved = call(client, "post", f"{BASE}/posts/{post.pk}/approve", client_member, {})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    scheduled = call(
        client, "post", f"{BASE}/posts/{post.pk}/schedule", cm, {"scheduled_at": later()}
    )
    assert scheduled.status_code == 200, scheduled.content
    assert scheduled.json()["status"] == "scheduled"
    assert scheduled.json()["variants"][0]["status"] == "scheduled"


def test_changes_requested_through_the_api(client, workspace, cm, client_member, account, one_step):
    post = services.do_create_post(workspace, cm, "Bonjour", variants={account.pk: ""})
    call(client, "post", f"{BASE}/posts/{post.pk}/submit", cm)
    response = call(
        client,
        "post",
        f"{BASE}/posts/{post.pk}/approve",
        client_member,
        {"decision": "changes_requested", "comment": "Plus court"},
    )
    assert response.json()["status"] == "changes_requested"


def test_schedule_with_a_safety_override(client, workspace, cm, account, unsafe):
    post = services.do_create_post(workspace, cm, "Soldes #Iran", variants={account.pk: ""})
    url = f"{BASE}/posts/{post.pk}/schedule"
    refused = call(client, "post", url, cm, {"scheduled_at": later()})
    assert refused.status_code == 422 and "safety" in refused.json()["detail"]
    accepted = call(
        client, "post", url, cm, {"scheduled_at": later(), "override_reason": "Validé client"}
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "scheduled"


def test_another_workspaces_post_is_404(
    client, workspace, other_workspace, owner, outsider, account
):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    theirs = "/api/v1/workspaces/rival"
    # A member of the other workspace asks through their own workspace: not found there.
    for method, path, body in [
        ("get", f"{theirs}/posts/{post.pk}", None),
        ("post", f"{theirs}/posts/{post.pk}/approve", {}),
        ("post", f"{theirs}/posts/{post.pk}/schedule", {}),
        ("post", f"{theirs}/posts/{post.pk}/submit", None),
    ]:
        assert call(client, method, path, outsider, body).status_code == 404, path
    # And our account cannot be used from their workspace.
    response = call(
        client,
        "post",
        f"{theirs}/posts",
        outsider,
        {"text": "x", "variants": [{"account_id": account.pk}]},
    )
    assert response.status_code == 422
    assert Post.objects.filter(workspace=other_workspace).count() == 0
    # Through ours, they are not a member: 404 as for a workspace that does not exist.
    assert call(client, "get", f"{BASE}/posts/{post.pk}", outsider).status_code == 404


def test_a_client_cannot_create_posts(client, client_member, account):
    response = call(client, "post", BASE + "/posts", client_member, {"text": "x"})
    assert response.status_code == 403


def test_read_shows_variant_outcomes(client, workspace, owner, account, network):
    from parvis.publishing import engine

    second = threads_account(workspace, owner, "lumiere.second")
    post = services.do_create_post(
        workspace, owner, "Bonjour", variants={account.pk: "", second.pk: "Salut"}
    )
    at = timezone.now() + dt.timedelta(minutes=1)
    services.do_schedule(post, owner, at)
    from parvis.connectors import base

    network.fail_with.append(base.PermanentError("account suspended"))
    engine.run_due(at)
    detail = call(client, "get", f"{BASE}/posts/{post.pk}", owner).json()
    states = {v["handle"]: v for v in detail["variants"]}
    assert {v["status"] for v in states.values()} == {"published", "failed"}
    failed = next(v for v in states.values() if v["status"] == "failed")
    assert failed["last_error"] == "account suspended" and failed["what_to_do"]
    assert detail["status"] == Status.FAILED
