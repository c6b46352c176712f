# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""Approvals: one and two steps, who may decide, signed links (expiry, single use, scope)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from parvis.publishing import approvals, services
from parvis.publishing.approvals import LinkError
from parvis.publishing.models import Approval, EventKind, Post, PostEvent, Status
from parvis.workspaces.zones import zone_of
from tests.publishing.pubcore_fixtures import (  # noqa: F401
    account,
    client_member,
    cm,
    manager,
    network,
    one_step,
    soon,
    two_steps,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages asserted in English (the catalogue's French is the default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def submitted(workspace, cm, account, soon):
    def make(text="Bonjour", when=soon):
        post = services.do_create_post(
            workspace, cm, text, variants={account.pk: ""}, scheduled_at=when
        )
        return approvals.do_submit_for_approval(post, cm)

    return make


def test_one_step_by_the_client_schedules_the_post(submitted, client_member, cm, one_step):
    post = submitted()
    assert post.status == Status.AWAITING_APPROVAL
    with pytest.raises(PermissionDenied):
        approvals.do_approve(post, cm)  # a community manager cannot approve
    post = approvals.do_approve(post, client_member, "Parfait")
    assert post.status == Status.SCHEDULED
    assert post.approved_version == post.version
    approval = Approval.objects.get(post=post)
    assert (approval.step, approval.decision, approval.user) == (1, "approved", client_member)


def test_two_steps_in_order(submitted, manager, client_member, owner, two_steps):
    post = submitted()
    with pytest.raises(PermissionDenied):
        approvals.do_approve(post, client_member)  # step 1 is the manager's
    post = approvals.do_approve(post, manager)
    assert post.status == Status.AWAITING_APPROVAL and post.approval_step == 1
    assert not services.is_approved(post)
    with pytest.raises(PermissionDenied):
        approvals.do_approve(post, manager)  # step 2 is the client's
    with pytest.raises(PermissionDenied):
        approvals.do_approve(post, owner)  # an owner does not stand in for the client
    post = approvals.do_approve(post, client_member)
    assert post.status == Status.SCHEDULED
    assert [a.step for a in Approval.objects.filter(post=post)] == [1, 2]


def test_owner_may_decide_a_managers_step(submitted, owner, two_steps):
    post = approvals.do_approve(submitted(), owner)
    assert post.approval_step == 1


def test_changes_requested_needs_a_comment_and_restarts(
    submitted, manager, client_member, cm, two_steps
):
    post = submitted()
    approvals.do_approve(post, manager)
    with pytest.raises(ValidationError):
        approvals.do_request_changes(post, client_member, "")
    post = approvals.do_request_changes(post, client_member, "Plutôt « vous »")
    assert post.status == Status.CHANGES_REQUESTED and post.approval_step == 0
    event = PostEvent.objects.filter(post=post, kind=EventKind.CHANGES_REQUESTED).get()
    assert event.message == "Plutôt « vous »"
    services.do_update_post(post, cm, text="Bonjour à vous")
    post = approvals.do_submit_for_approval(post, cm)
    assert post.status == Status.AWAITING_APPROVAL
    with pytest.raises(PermissionDenied):
        approvals.do_approve(post, client_member)  # step 1 again first


def test_approval_without_a_time_stays_approved(submitted, client_member, one_step):
    post = approvals.do_approve(submitted(when=None), client_member)
    assert post.status == Status.APPROVED


def test_without_flow_submitting_approves(workspace, cm, account):
    post = services.do_create_post(workspace, cm, "Bonjour", variants={account.pk: ""})
    post = approvals.do_submit_for_approval(post, cm)
    assert post.status == Status.APPROVED and services.is_approved(post)


def test_a_decision_on_a_post_not_waiting_is_refused(
    workspace, cm, client_member, account, one_step
):
    post = services.do_create_post(workspace, cm, "Bonjour", variants={account.pk: ""})
    with pytest.raises(ValidationError):
        approvals.do_approve(post, client_member)


# --- signed links -------------------------------------------------------------------------


def test_link_approves_without_a_password(submitted, cm, one_step):
    post = submitted()
    link, token = approvals.do_create_link(post, cm, "direction@client.test")
    approvals.send_link(link, f"https://parvis.test/approve/{token}/")
    assert mail.outbox[-1].to == ["direction@client.test"]
    assert token in mail.outbox[-1].body
    # The expiry in the workspace's zone and the language's format, not raw UTC.
    local = link.expires_at.astimezone(zone_of(post.workspace))
    assert f"{local.year}" in mail.outbox[-1].body and f"{local:%H:%M}" in mail.outbox[-1].body
    assert zone_of(post.workspace).key in mail.outbox[-1].body
    assert link.expires_at.strftime("%Y-%m-%d") not in mail.outbox[-1].body
    info = approvals.resolve_link(token)
    assert info.post.pk == post.pk and info.link.step == 1
    post = approvals.do_decide_by_link(token, "approved", "OK pour nous")
    assert post.status == Status.SCHEDULED
    approval = Approval.objects.get(post=post)
    assert approval.via_link and approval.email == "direction@client.test"
    assert approval.user is None


def test_link_is_single_use(submitted, cm, one_step):
    post = submitted()
    _link, token = approvals.do_create_link(post, cm, "a@client.test")
    approvals.do_decide_by_link(token, "changes_requested", "Non")
    with pytest.raises(LinkError, match="already been used"):
        approvals.do_decide_by_link(token, "approved")
    assert Post.objects.get(pk=post.pk).status == Status.CHANGES_REQUESTED


def test_link_expires(submitted, cm, one_step):
    post = submitted()
    _link, token = approvals.do_create_link(post, cm, "a@client.test")
    later = timezone.now() + dt.timedelta(hours=73)  # the workspace's links last 72 hours
    with pytest.raises(LinkError, match="expired"):
        approvals.do_decide_by_link(token, "approved", now=later)
    assert Post.objects.get(pk=post.pk).status == Status.AWAITING_APPROVAL
    # Still valid within its life: a failed attempt did not use it.
    approvals.do_decide_by_link(token, "approved", now=timezone.now() + dt.timedelta(hours=1))


def test_link_is_for_one_post_only(submitted, cm, one_step):
    first, second = submitted("Premier"), submitted("Second")
    _link, token = approvals.do_create_link(first, cm, "a@client.test")
    with pytest.raises(LinkError):
        approvals.do_decide_by_link(token, "approved", post_id=second.pk)
    assert Post.objects.get(pk=second.pk).status == Status.AWAITING_APPROVAL


def test_forged_or_altered_link_is_refused(submitted, cm, one_step):
    post = submitted()
    _link, token = approvals.do_create_link(post, cm, "a@client.test")
    value, _sep, rest = token.partition(":")
    forged = f"{int(value) + 1}:{rest}"
    for bad in (forged, token + "x", "nonsense", ""):
        with pytest.raises(LinkError):
            approvals.do_decide_by_link(bad, "approved")
    assert Post.objects.get(pk=post.pk).status == Status.AWAITING_APPROVAL


def test_link_is_void_once_the_post_is_edited(submitted, cm, one_step):
    post = submitted()
    _link, token = approvals.do_create_link(post, cm, "a@client.test")
    services.do_update_post(post, cm, text="Autre texte")
    with pytest.raises(LinkError, match="changed"):
        approvals.do_decide_by_link(token, "approved")


def test_link_is_for_one_step(submitted, cm, manager, two_steps):
    post = submitted()
    _link, token = approvals.do_create_link(post, cm, "manager@agency.test")
    approvals.do_approve(post, manager)  # step 1 decided in the app meanwhile
    with pytest.raises(LinkError):
        approvals.do_decide_by_link(token, "approved")
    assert Post.objects.get(pk=post.pk).approval_step == 1


def test_approved_after_its_time_stays_approved_and_says_why(
    workspace, cm, client_member, account, one_step
):
    from parvis.publishing.models import Post as PostModel

    post = services.do_create_post(
        workspace,
        cm,
        "Bonjour",
        variants={account.pk: ""},
        scheduled_at=timezone.now() + dt.timedelta(hours=1),
    )
    approvals.do_submit_for_approval(post, cm)
    # The client answers a day late.
    PostModel.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(days=1))
    post = approvals.do_approve(post, client_member)
    assert post.status == Status.APPROVED
    assert PostEvent.objects.filter(post=post, kind=EventKind.NOT_SCHEDULED).exists()


def test_changing_the_approval_flow_is_a_security_event(workspace, owner, two_steps):
    from parvis.core.models import AuditEvent

    event = AuditEvent.objects.filter(workspace=workspace).latest("id")
    # A declared kind, so the audit log names it (« Approval flow changed »), not a raw code.
    assert event.kind == AuditEvent.Kind.APPROVAL_FLOW_CHANGED
    assert event.get_kind_display() == "Approval flow changed"
    assert event.actor == owner


def test_a_text_no_network_would_take_is_not_sent_for_approval(workspace, cm, account, one_step):
    # The approver would approve a post that cannot go out: the length is fixed first.
    post = services.do_create_post(workspace, cm, "é" * 600, variants={account.pk: ""})
    with pytest.raises(ValidationError) as refused:
        approvals.do_submit_for_approval(post, cm)
    assert "600" in str(refused.value)
    post.refresh_from_db()
    assert post.status == Status.DRAFT
    assert (
        approvals.do_submit_for_approval(
            services.do_update_post(post, cm, text="Bonjour"), cm
        ).status
        == Status.AWAITING_APPROVAL
    )
