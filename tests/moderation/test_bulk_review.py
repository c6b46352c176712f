"""Many copies of one scam in the review queue: one decision for all of them (the copies of
the shown text, or the ticked items), each item logged and acted on once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from parvis.inbox import intake
from parvis.inbox.models import Message
from parvis.listening.sources import do_create_source
from parvis.moderation import services
from parvis.moderation.models import Action, ReviewItem, ReviewState
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.inbox.helpers import post, store

pytestmark = pytest.mark.django_db

SCAM = "+1, colis bloqué à Corbas"


@pytest.fixture
def queued(workspace):
    """Comments in the review queue, one review item each."""
    source = do_create_source(
        workspace, kind="inbox_test", name="notifications", config={"own": True}
    )

    def queue(*texts: str) -> list[ReviewItem]:
        items = [post(text, handle=f"u{i}.bsky.social") for i, text in enumerate(texts)]
        store(workspace, items, source=source)
        intake.take_pending(workspace)
        ids = [i["external_id"] for i in items]
        messages = Message.objects.filter(external_id__in=ids).order_by("id")
        return [
            ReviewItem.objects.create(
                workspace=workspace, message=m, reason="spam", created_at=timezone.now()
            )
            for m in messages
        ]

    return queue


def test_copies_of_one_text_are_found_punctuation_and_case_aside(workspace, queued):
    rows = queued(SCAM, "+1 colis BLOQUÉ à Corbas !", SCAM, "Livraison en retard, déçue")
    assert [r.pk for r in services.same_text(rows[0])] == [r.pk for r in rows[:3]]
    assert [r.pk for r in services.same_text(rows[3])] == [rows[3].pk]


def test_hide_all_copies_once_each_with_the_reason(workspace, owner, queued):
    rows = queued(*[SCAM] * 15, "Livraison en retard, déçue")
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/w/lumiere/moderation/review/").content.decode()
    assert "15 waiting items have this same text" in html and 'id="same-hide"' in html
    assert 'form="review-bulk"' in html
    answer = client.post(
        "/w/lumiere/moderation/review/bulk/",
        {"same": rows[0].pk, "same-decision": "hide", "same-reason": "scam"},
    )
    assert answer.status_code == 302
    hides = Action.objects.filter(kind="hide")
    assert hides.count() == 15
    assert {a.message_id for a in hides} == {r.message_id for r in rows[:15]}
    assert {a.reason for a in hides} == {"scam"} and {a.member_id for a in hides} == {owner.pk}
    assert ReviewItem.objects.filter(state=ReviewState.HIDDEN).count() == 15
    assert ReviewItem.objects.get(pk=rows[15].pk).state == ReviewState.PENDING
    # Again (a double click, another tab): nothing more reaches the network.
    client.post(
        "/w/lumiere/moderation/review/bulk/",
        {"same": rows[0].pk, "same-decision": "hide", "same-reason": "scam"},
    )
    assert Action.objects.filter(kind="hide").count() == 15


def test_keep_the_ticked_items(workspace, owner, queued):
    rows = queued("un", "deux", "trois")
    client = login(owner)
    client.post(
        "/w/lumiere/moderation/review/bulk/",
        {"ids": [rows[0].pk, rows[2].pk, "x", "9" * 40], "bulk-decision": "keep"},
    )
    states = dict(ReviewItem.objects.values_list("pk", "state"))
    assert states == {
        rows[0].pk: ReviewState.KEPT,
        rows[1].pk: ReviewState.PENDING,
        rows[2].pk: ReviewState.KEPT,
    }
    assert Action.objects.filter(kind="approve").count() == 2
    counts = services.do_review_many(workspace, owner, [r.pk for r in rows], "keep")
    assert counts == {"decided": 1, "skipped": 2}


def test_bulk_refuses_escalate_unknown_reasons_nothing_and_too_many(workspace, owner, queued):
    (row,) = queued(SCAM)
    for decision, ids, reason in [
        ("escalate", [row.pk], ""),
        ("hide", [row.pk], "nope"),
        ("hide", [], ""),
        ("hide", list(range(1, services.MAX_BULK + 2)), ""),
    ]:
        with pytest.raises(ValidationError):
            services.do_review_many(workspace, owner, ids, decision, reason=reason)
    assert ReviewItem.objects.get(pk=row.pk).state == ReviewState.PENDING


def test_another_workspaces_items_and_readers(
    workspace, other_workspace, owner, member_factory, queued
):
    (row,) = queued(SCAM)
    stranger = member_factory(Role.OWNER, ws=other_workspace, username="stranger")
    # Another workspace's owner ticks this workspace's item in their own workspace: untouched.
    counts = services.do_review_many(other_workspace, stranger, [row.pk], "hide")
    assert counts == {"decided": 0, "skipped": 1}
    answer = login(stranger).post(
        f"/w/{other_workspace.slug}/moderation/review/bulk/",
        {"same": row.pk, "same-decision": "hide"},
    )
    assert answer.status_code == 404
    reader = member_factory(Role.ANALYST)
    answer = login(reader).post(
        "/w/lumiere/moderation/review/bulk/", {"ids": [row.pk], "bulk-decision": "hide"}
    )
    assert answer.status_code == 403
    assert ReviewItem.objects.get(pk=row.pk).state == ReviewState.PENDING
