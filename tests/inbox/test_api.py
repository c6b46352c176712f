"""The inbox API: views, a conversation's messages, replying, assigning, statuses."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from parvis.inbox import intake
from parvis.inbox.models import Conversation, Reply
from parvis.listening.sources import do_create_source
from parvis.workspaces.roles import Role
from tests.conftest import bearer

from .helpers import FakeReplyNetwork, post, store

pytestmark = pytest.mark.django_db
BASE = "/api/v1/workspaces/lumiere/inbox"


@pytest.fixture
def conversations(workspace):
    source = do_create_source(
        workspace, kind="inbox_test", name="notifications", config={"own": True}
    )
    now = dt.datetime.now(dt.UTC)
    store(
        workspace,
        [
            post("Ma commande ?", handle="bob.bsky.social", at=now - dt.timedelta(minutes=5)),
            post(
                "<script>alert(1)</script>",
                handle="eve.bsky.social",
                at=now - dt.timedelta(minutes=3),
            ),
        ],
        source=source,
    )
    intake.take_pending(workspace)
    return list(Conversation.objects.order_by("id"))


def call(client, method, url, user, body=None):
    kwargs = bearer(user)
    if body is not None:
        return getattr(client, method)(
            url, data=json.dumps(body), content_type="application/json", **kwargs
        )
    return getattr(client, method)(url, **kwargs)


def test_list_views_and_filters(client, owner, conversations):
    page = call(client, "get", BASE, owner).json()
    assert [c["id"] for c in page["items"]] == [c.pk for c in reversed(conversations)]
    first = page["items"][-1]
    assert first["status"] == "new" and first["sla"]["clock"] == "first"
    assert first["sla"]["state"] in ("ok", "at_risk", "breached")
    assert first["sla"]["first_response_due"]
    assert call(client, "get", BASE + "?view=mine", owner).json()["items"] == []
    assert call(client, "get", BASE + "?view=nope", owner).status_code == 422
    assert len(call(client, "get", BASE + "?network=reddit", owner).json()["items"]) == 0


def test_assign_status_and_detail(client, owner, conversations):
    target = conversations[0]
    answer = call(client, "post", f"{BASE}/{target.pk}/assign", owner, {"assignee": owner.username})
    assert answer.status_code == 200 and answer.json()["assignee"] == owner.username
    mine = call(client, "get", BASE + "?view=mine", owner).json()["items"]
    assert [c["id"] for c in mine] == [target.pk]
    assert (
        call(client, "post", f"{BASE}/{target.pk}/status", owner, {"status": "resolved"}).json()[
            "status"
        ]
        == "resolved"
    )
    assert (
        call(client, "post", f"{BASE}/{target.pk}/status", owner, {"status": "gone"}).status_code
        == 422
    )
    detail = call(client, "get", f"{BASE}/{conversations[1].pk}", owner).json()
    assert detail["messages"][0]["text"] == "<script>alert(1)</script>"  # JSON, not HTML


def test_reply_warnings_force_and_permissions(
    client, owner, member_factory, conversations, workspace
):
    from parvis.workspaces.models import Strategy

    Strategy.objects.update_or_create(workspace=workspace, defaults={"address_form": "vous"})
    target = conversations[0]
    url = f"{BASE}/{target.pk}/reply"
    warned = call(client, "post", url, owner, {"text": "Tu as reçu ta bougie ?"})
    assert warned.status_code == 409
    assert warned.json()["warnings"][0]["code"] == "address_form"
    assert Reply.objects.count() == 0
    sent = call(client, "post", url, owner, {"text": "Tu as reçu ta bougie ?", "force": True})
    assert sent.status_code == 202 and sent.json()["state"] == "queued"
    analyst = member_factory(Role.ANALYST)
    assert call(client, "post", url, analyst, {"text": "Bonjour"}).status_code == 403
    FakeReplyNetwork.posts.clear()


def test_other_workspace_conversation_is_404(client, outsider, conversations):
    assert call(client, "get", f"{BASE}/{conversations[0].pk}", outsider).status_code == 404
    assert call(client, "get", BASE, outsider).status_code == 404


def test_assign_to_a_user_of_another_workspace_is_unknown(client, owner, outsider, conversations):
    target = conversations[0]
    answer = call(
        client, "post", f"{BASE}/{target.pk}/assign", owner, {"assignee": outsider.username}
    )
    assert answer.status_code == 422
    assert "no member of this workspace" in answer.content.decode()
    target.refresh_from_db()
    assert target.assignee_id is None
