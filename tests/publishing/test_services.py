# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""Posts: creating, editing, variants, media, checks and scheduling (the state machine)."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from parvis.publishing import approvals, services
from parvis.publishing.models import EventKind, Media, Post, PostEvent, Status, Variant
from tests.publishing.pubcore_fixtures import (  # noqa: F401
    TOO_LONG_FOR_THREADS,
    account,
    client_member,
    cm,
    manager,
    network,
    one_step,
    soon,
    two_steps,
    unsafe,
)
from tests.publishing.pubcore_helpers import threads_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages asserted in English (the catalogue's French is the default language)."""
    with translation.override("en"):
        yield


def kinds(post):
    return list(PostEvent.objects.filter(post=post).values_list("kind", flat=True))


def png(width: int, height: int) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + struct.pack(">II", width, height)
        + b"\x08\x02\x00\x00\x00"
        + b"\x00" * 40
    )


def test_create_post_makes_a_draft_with_one_variant_per_account(workspace, owner, account):
    second = threads_account(workspace, owner, "lumiere.second")
    post = services.do_create_post(
        workspace, owner, "Nouvelle bougie", variants={account.pk: "", second.pk: "Version courte"}
    )
    variants = {v.account_id: v for v in post.variants.all()}
    assert post.status == Status.DRAFT
    assert variants[account.pk].effective_text == "Nouvelle bougie"
    assert variants[second.pk].effective_text == "Version courte"
    assert {v.status for v in variants.values()} == {Status.DRAFT}
    assert variants[account.pk].idempotency_key != variants[second.pk].idempotency_key
    assert kinds(post) == [EventKind.CREATED]


def test_another_workspaces_account_is_refused(workspace, other_workspace, owner, outsider):
    foreign = threads_account(other_workspace, outsider, "rival.threads")
    with pytest.raises(ValidationError):
        services.do_create_post(workspace, owner, "x", variants={foreign.pk: ""})
    assert not Post.objects.exists()


def test_naive_and_absurd_times_are_refused(workspace, owner, account):
    with pytest.raises(ValidationError, match="time zone"):
        services.do_create_post(
            workspace, owner, "x", variants={account.pk: ""}, scheduled_at=dt.datetime(2030, 1, 1)
        )
    with pytest.raises(ValidationError, match="out of range"):
        services.do_create_post(
            workspace,
            owner,
            "x",
            variants={account.pk: ""},
            scheduled_at=dt.datetime(9999, 1, 1, tzinfo=dt.UTC),
        )


def test_schedule_without_approval_flow(workspace, owner, account, soon):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    with pytest.raises(ValidationError) as error:
        services.do_schedule(post, owner)
    assert "time" in error.value.message_dict
    post = services.do_schedule(post, owner, soon)
    assert post.status == Status.SCHEDULED
    assert set(Variant.objects.filter(post=post).values_list("status", flat=True)) == {
        Status.SCHEDULED
    }
    assert kinds(post)[-1] == EventKind.SCHEDULED


def test_schedule_needs_approval_when_the_workspace_asks(workspace, owner, account, soon, one_step):
    post = services.do_create_post(
        workspace, owner, "Bonjour", variants={account.pk: ""}, scheduled_at=soon
    )
    with pytest.raises(ValidationError) as error:
        services.do_schedule(post, owner)
    assert "approval" in error.value.message_dict
    assert Post.objects.get(pk=post.pk).status == Status.DRAFT


def test_schedule_needs_an_account(workspace, owner, soon):
    post = services.do_create_post(workspace, owner, "Bonjour", scheduled_at=soon)
    with pytest.raises(ValidationError) as error:
        services.do_schedule(post, owner)
    assert "variants" in error.value.message_dict


def test_counting_errors_are_per_network(workspace, owner, account, soon):
    post = services.do_create_post(
        workspace, owner, TOO_LONG_FOR_THREADS, variants={account.pk: ""}
    )
    with pytest.raises(ValidationError) as error:
        services.do_schedule(post, owner, soon)
    assert list(error.value.message_dict) == ["threads"]
    assert "501" in error.value.message_dict["threads"][0]
    assert "500" in error.value.message_dict["threads"][0]
    services.do_set_variants(post, owner, {account.pk: "Court"})
    assert services.do_schedule(post, owner, soon).status == Status.SCHEDULED


def test_safety_finding_needs_an_override_with_a_reason(workspace, owner, account, soon, unsafe):
    post = services.do_create_post(
        workspace, owner, "Soldes ! #Iran", variants={account.pk: ""}, scheduled_at=soon
    )
    report = services.check_post(post)
    assert [f.code for f in report.unresolved] == ["hashtag_context"]
    with pytest.raises(ValidationError) as error:
        services.do_schedule(post, owner)
    assert "safety" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.do_override_safety(post, owner, "   ")
    services.do_override_safety(post, owner, "Client informé, on maintient")
    assert services.do_schedule(post, owner).status == Status.SCHEDULED
    override = PostEvent.objects.get(post=post, kind=EventKind.SAFETY_OVERRIDE)
    assert override.message == "Client informé, on maintient"
    assert override.details["findings"][0]["code"] == "hashtag_context"


def test_editing_a_scheduled_post_without_flow_rechecks_it(workspace, owner, account, soon, unsafe):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    services.do_schedule(post, owner, soon)
    services.do_update_post(post, owner, text="Bonjour #Iran")
    post.refresh_from_db()
    assert post.status == Status.DRAFT  # a new finding, not overridden
    assert kinds(post)[-1] == EventKind.UNSCHEDULED


def test_edit_after_approval_goes_back_to_approval(
    workspace, owner, cm, client_member, account, soon, one_step
):
    post = services.do_create_post(
        workspace, cm, "Bonjour", variants={account.pk: ""}, scheduled_at=soon
    )
    approvals.do_submit_for_approval(post, cm)
    post = approvals.do_approve(post, client_member)
    assert post.status == Status.SCHEDULED  # approved with a time: scheduled
    services.do_update_post(post, cm, text="Bonjour à tous")
    post.refresh_from_db()
    assert post.status == Status.AWAITING_APPROVAL
    assert post.approved_version is None and post.version == 2
    assert not services.is_approved(post)
    assert EventKind.BACK_TO_APPROVAL in kinds(post)
    assert set(post.variants.values_list("status", flat=True)) == {Status.AWAITING_APPROVAL}


@pytest.mark.parametrize("edit", ["variants", "media"])
def test_any_content_edit_after_approval_goes_back(
    workspace, owner, cm, client_member, account, one_step, edit
):
    post = services.do_create_post(workspace, cm, "Bonjour", variants={account.pk: ""})
    approvals.do_submit_for_approval(post, cm)
    approvals.do_approve(post, client_member)
    assert Post.objects.get(pk=post.pk).status == Status.APPROVED
    if edit == "variants":
        services.do_set_variants(post, cm, {account.pk: "Autre texte"})
    else:
        media = services.do_upload_media(workspace, cm, png(4, 3), filename="a.png")
        services.do_attach_media(post, cm, [media])
    assert Post.objects.get(pk=post.pk).status == Status.AWAITING_APPROVAL


def test_rescheduling_keeps_the_approval(
    workspace, owner, cm, client_member, account, soon, one_step
):
    post = services.do_create_post(
        workspace, cm, "Bonjour", variants={account.pk: ""}, scheduled_at=soon
    )
    approvals.do_submit_for_approval(post, cm)
    approvals.do_approve(post, client_member)
    later = soon + dt.timedelta(days=1)
    post = services.do_reschedule(post, cm, later)
    assert post.status == Status.SCHEDULED and post.scheduled_at == later
    assert services.is_approved(post)
    assert kinds(post)[-1] == EventKind.RESCHEDULED


def test_unschedule_and_cancel(workspace, owner, account, soon):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    services.do_schedule(post, owner, soon)
    assert services.do_unschedule(post, owner).status == Status.DRAFT
    with pytest.raises(ValidationError):
        services.do_unschedule(post, owner)
    assert services.do_cancel(post, owner).status == Status.CANCELLED
    with pytest.raises(ValidationError):
        services.do_schedule(post, owner, soon)


def test_a_published_post_cannot_be_edited(workspace, owner, account):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    Post.objects.filter(pk=post.pk).update(status=Status.PUBLISHED)
    with pytest.raises(ValidationError):
        services.do_update_post(post, owner, text="Autre")
    assert Post.objects.get(pk=post.pk).text == "Bonjour"


def test_upload_stores_the_file_under_the_data_dir(workspace, owner):
    data = png(640, 480)
    media = services.do_upload_media(
        workspace, owner, data, filename="../../etc/photo.png", alt_text="Une bougie"
    )
    assert media.mime_type == "image/png" and (media.width, media.height) == (640, 480)
    assert media.size == len(data) and len(media.sha256) == 64
    assert media.original_name == "photo.png"
    stored = Path(settings.DATA_DIR) / media.path
    assert stored.read_bytes() == data
    assert stored.resolve().is_relative_to(Path(settings.DATA_DIR).resolve())


def test_upload_refuses_what_is_not_an_image_or_video(workspace, owner):
    with pytest.raises(ValidationError):
        services.do_upload_media(workspace, owner, b"<html>hello</html>", filename="x.png")
    with pytest.raises(ValidationError):
        services.do_upload_media(workspace, owner, b"", filename="x.png")
    assert not Media.objects.exists()


def test_attach_media_is_checked_per_network(workspace, owner, account):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    # Threads takes 10 images or videos (parvis/connectors/counting.py): the eleventh is refused.
    files = [services.do_upload_media(workspace, owner, png(2 + i, 2)) for i in range(11)]
    with pytest.raises(ValidationError) as error:
        services.do_attach_media(post, owner, files)
    assert list(error.value.message_dict) == ["threads"]
    assert "10" in error.value.message_dict["threads"][0]
    services.do_attach_media(post, owner, files[1:])
    variant = post.variants.get()
    assert [m.pk for m in services.media_of(variant)] == [m.pk for m in files[1:]]


def test_media_of_another_workspace_cannot_be_attached(
    workspace, other_workspace, owner, outsider, account
):
    foreign = services.do_upload_media(other_workspace, outsider, png(2, 2))
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    with pytest.raises(ValidationError):
        services.do_attach_media(post, owner, [foreign])


def test_aggregate_status():
    agg = services.aggregate
    assert agg([Status.PUBLISHED, Status.PUBLISHED]) == Status.PUBLISHED
    assert agg([Status.PUBLISHED, Status.PUBLISHING]) == Status.PUBLISHING
    assert agg([Status.PUBLISHED, Status.SCHEDULED]) == Status.PUBLISHING
    assert agg([Status.SCHEDULED, Status.SCHEDULED]) == Status.SCHEDULED
    assert agg([Status.SCHEDULED, Status.FAILED]) == Status.PUBLISHING
    assert agg([Status.PUBLISHED, Status.FAILED]) == Status.FAILED
    assert agg([]) is None


def test_thread_parts_follow_the_head(workspace, owner, account, soon):
    head = services.do_create_post(workspace, owner, "1/3", variants={account.pk: ""})
    two = services.do_create_post(workspace, owner, "2/3", thread_parent=head)
    three = services.do_create_post(workspace, owner, "3/3", thread_parent=head)
    assert (two.thread_position, three.thread_position) == (1, 2)
    assert two.variants.get().account_id == account.pk
    services.do_schedule(head, owner, soon)
    assert set(Post.objects.values_list("status", flat=True)) == {Status.SCHEDULED}
    assert set(Post.objects.values_list("scheduled_at", flat=True)) == {soon}


def test_every_event_time_is_aware(workspace, owner, account, soon):
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    services.do_schedule(post, owner, soon)
    assert all(timezone.is_aware(e.at) for e in PostEvent.objects.all())


def test_warnings_are_shown_but_do_not_block(workspace, owner, account, soon):
    from parvis.workspaces.strategy import do_update_strategy

    # The strategy says « vous »: « tu » is a remark of the editorial line, not a refusal;
    # an image without alt text is a warning of the counting rules, not a refusal.
    do_update_strategy(workspace, owner, {"address_form": "vous"})
    post = services.do_create_post(
        workspace, owner, "Salut, tu connais notre nouvelle bougie ?", variants={account.pk: ""}
    )
    picture = services.do_upload_media(workspace, owner, png(2, 2), alt_text="")
    services.do_attach_media(post, owner, [picture])
    report = services.check_post(post)
    assert "address_form" in [f.code for f in report.safety] and report.unresolved == []
    assert list(report.warnings) == ["threads"] and report.counting == {}
    assert services.do_schedule(post, owner, soon).status == Status.SCHEDULED


def test_scheduling_queues_a_task_at_the_posts_time(
    workspace, owner, account, monkeypatch, django_capture_on_commit_callbacks
):
    from parvis.publishing import tasks

    queued = []
    monkeypatch.setattr(
        tasks.publish_due_task, "schedule", lambda args, delay: queued.append((args, delay))
    )
    post = services.do_create_post(workspace, owner, "Bonjour", variants={account.pk: ""})
    when = timezone.now() + dt.timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.do_schedule(post, owner, when)
    [(args, delay)] = queued
    assert args == (post.pk,)
    assert 30 * 60 - 5 <= delay <= 30 * 60
    # Moved: a task at the new time (the old one finds nothing due when it runs).
    with django_capture_on_commit_callbacks(execute=True):
        services.do_reschedule(post, owner, when + dt.timedelta(hours=1))
    assert len(queued) == 2 and queued[1][1] > 90 * 60 - 5
