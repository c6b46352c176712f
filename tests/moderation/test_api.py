"""The moderation API: rules, the log, restoring, previewing; the pages' permissions."""

from __future__ import annotations

import pytest

from parvis.inbox import intake
from parvis.inbox.models import Message, Moderation
from parvis.inbox.services import do_mark_moderated
from parvis.listening.sources import do_create_source
from parvis.moderation import services
from parvis.moderation.models import Action, Rule
from parvis.workspaces.roles import Role
from tests.conftest import bearer
from tests.inbox.helpers import post, store

pytestmark = pytest.mark.django_db

RULE = {
    "name": "Arnaques",
    "reason": "scam",
    "conditions": [{"kind": "words", "words": ["arnaque"]}],
    "actions": [{"kind": "hide"}],
}


@pytest.fixture
def received(workspace):
    source = do_create_source(
        workspace, kind="inbox_test", name="notifications", config={"own": True}
    )

    def receive(*texts: str) -> list[Message]:
        items = [post(text, handle=f"user{i}.bsky.social") for i, text in enumerate(texts)]
        store(workspace, items, source=source)
        intake.take_pending(workspace)
        ids = [i["external_id"] for i in items]
        return list(Message.objects.filter(external_id__in=ids).order_by("id"))

    return receive


def base(workspace) -> str:
    return f"/api/v1/workspaces/{workspace.slug}/moderation"


def test_rules_list_and_create(workspace, owner, client):
    headers = bearer(owner)
    created = client.post(
        base(workspace) + "/rules", RULE, content_type="application/json", **headers
    )
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Arnaques" and created.json()["enabled"] is False
    listed = client.get(base(workspace) + "/rules", **headers).json()
    assert [r["name"] for r in listed] == ["Arnaques"]
    assert listed[0]["conditions"][0]["words"] == ["arnaque"]


def test_create_refused_with_the_reason(workspace, owner, client):
    headers = bearer(owner)
    bad = {**RULE, "conditions": [{"kind": "score", "name": "spam"}]}
    answer = client.post(
        base(workspace) + "/rules", bad, content_type="application/json", **headers
    )
    assert answer.status_code == 422 and "min must be a number" in answer.json()["detail"]
    twice = client.post(
        base(workspace) + "/rules", RULE, content_type="application/json", **headers
    )
    assert twice.status_code == 201
    clash = client.post(
        base(workspace) + "/rules", RULE, content_type="application/json", **headers
    )
    assert clash.status_code == 422
    assert Rule.objects.count() == 1


def test_actions_log_filters_and_pages(workspace, owner, client, received):
    headers = bearer(owner)
    first, second = received("un", "deux")
    services.do_hide(first, owner, "scam")
    services.do_hide(second, owner, "spam")
    for _ in range(55):
        services.log(first, "tag", note="t")
    page = client.get(base(workspace) + "/actions", **headers).json()
    assert len(page["items"]) == 50 and page["next_offset"] == 50
    rest = client.get(base(workspace) + "/actions?offset=50", **headers).json()
    assert len(rest["items"]) == 7 and rest["next_offset"] is None
    spam = client.get(base(workspace) + "/actions?reason=spam", **headers).json()["items"]
    assert [(a["item_id"], a["action"], a["state"]) for a in spam] == [
        (second.pk, "hide", "queued")
    ]
    assert spam[0]["member"] == owner.username and spam[0]["at"]
    queued = client.get(base(workspace) + "/actions?state=queued", **headers).json()["items"]
    assert {a["item_id"] for a in queued} == {first.pk, second.pk}
    assert client.get(base(workspace) + "/actions?state=nope", **headers).status_code == 422


def test_restore_needs_a_why(workspace, owner, client, received):
    headers = bearer(owner)
    (message,) = received("masqué")
    do_mark_moderated(message, Moderation.MANUAL, "Spam")
    path = base(workspace) + f"/items/{message.pk}/restore"
    empty = client.post(path, {"why": " "}, content_type="application/json", **headers)
    assert empty.status_code == 422
    done = client.post(path, {"why": "Un client"}, content_type="application/json", **headers)
    assert done.status_code == 202 and done.json()["action"] == "restore"
    message.refresh_from_db()
    assert message.moderation == ""
    assert Action.objects.get(message=message, kind="restore").note == "Un client"
    again = client.post(path, {"why": "x"}, content_type="application/json", **headers)
    assert again.status_code == 422


def test_preview(workspace, owner, client, received):
    headers = bearer(owner)
    received("une arnaque", "bonjour", "<script>arnaque</script>")
    answer = client.post(
        base(workspace) + "/preview",
        {"conditions": [{"kind": "words", "words": ["arnaque"]}], "days": 30},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == 2 and data["looked_at"] == 3 and len(data["items"]) == 2
    bad = client.post(
        base(workspace) + "/preview", {"conditions": []}, content_type="application/json", **headers
    )
    assert bad.status_code == 422
    assert not Rule.objects.exists()


def test_read_only_roles(workspace, member_factory, client, received):
    viewer = member_factory(Role.CLIENT, username="client")
    headers = bearer(viewer)
    (message,) = received("x")
    assert client.get(base(workspace) + "/rules", **headers).status_code == 200
    assert client.get(base(workspace) + "/actions", **headers).status_code == 200
    for path, body in [
        ("/rules", RULE),
        (f"/items/{message.pk}/restore", {"why": "x"}),
        ("/preview", {"conditions": [{"kind": "contains", "what": "link"}]}),
    ]:
        answer = client.post(
            base(workspace) + path, body, content_type="application/json", **headers
        )
        assert answer.status_code == 403, path
    moderator = member_factory(Role.MODERATOR, username="modo")
    created = client.post(
        base(workspace) + "/rules", RULE, content_type="application/json", **bearer(moderator)
    )
    assert created.status_code == 201


def test_huge_numbers_refused_with_the_reason(workspace, owner, client):
    """An integer too large for a float (10**400 in the JSON) is a 422, not a 500."""
    headers = bearer(owner)
    huge = "1" + "0" * 400
    for condition in (
        '{"kind": "score", "name": "spam", "min": ' + huge + "}",
        '{"kind": "author", "what": "followers_below", "value": ' + huge + "}",
        '{"kind": "author", "what": "new", "days": ' + huge + "}",
        '{"kind": "query", "id": 1e400}',  # infinity once read: int() overflows
    ):
        body = '{"name": "n", "reason": "scam", "actions": [{"kind": "hide"}], '
        body += '"conditions": [' + condition + "]}"
        answer = client.post(
            base(workspace) + "/rules", body, content_type="application/json", **headers
        )
        assert answer.status_code == 422, (condition, answer.content)
        previewed = client.post(
            base(workspace) + "/preview",
            '{"conditions": [' + condition + "]}",
            content_type="application/json",
            **headers,
        )
        assert previewed.status_code == 422
    assert not Rule.objects.exists()
    reply = '{"name": "n", "reason": "spam", "conditions": [{"kind": "words", "words": ["x"]}], '
    reply += '"actions": [{"kind": "reply", "saved_reply": 1e400}]}'
    answer = client.post(
        base(workspace) + "/rules", reply, content_type="application/json", **headers
    )
    assert answer.status_code == 422 and "saved reply" in answer.json()["detail"]
