"""The demo's editorial plan: a month around today in the calendar — published posts behind,
posts approved by the client and scheduled ahead, one awaiting her approval, a draft — and the
scheduled ones go out once, to the demo network, when their time comes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.demo.models import DemoSentPost
from parvis.demo.publishing import CLIENT_USERNAME, PLAN
from parvis.demo.seed import DEMO_SLUG, demo_user, ensure_demo
from parvis.publishing import engine
from parvis.publishing.models import Approval, Post, Status
from parvis.workspaces.models import Membership, Workspace
from parvis.workspaces.roles import Role
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_the_demo_plans_a_month_approved_by_the_client(client):
    ensure_demo()
    ensure_demo()  # twice: nothing doubled
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    posts = Post.objects.filter(workspace=workspace)
    past = sum(1 for days, *_ in PLAN if days < 0)
    ahead = len(PLAN) - past
    statuses = sorted(posts.values_list("status", flat=True))
    assert statuses.count(Status.PUBLISHED) == past
    assert statuses.count(Status.SCHEDULED) == ahead
    assert statuses.count(Status.AWAITING_APPROVAL) == 1
    assert statuses.count(Status.DRAFT) == 1
    membership = Membership.objects.get(workspace=workspace, user__username=CLIENT_USERNAME)
    assert membership.role == Role.CLIENT and not membership.user.has_usable_password()
    # Every published or scheduled post was approved by the client, on its current version.
    for post in posts.filter(status__in=[Status.PUBLISHED, Status.SCHEDULED]):
        approval = Approval.objects.get(post=post)
        assert approval.user.username == CLIENT_USERNAME
        assert approval.post_version == post.version
    assert DemoSentPost.objects.filter(workspace=workspace).count() == past

    # The calendar shows this month's posts to the community manager.
    now = timezone.localtime()
    page = login(demo_user()).get(f"/w/{DEMO_SLUG}/publishing/?month={now:%Y-%m}")
    assert page.status_code == 200
    html = page.content.decode()
    this_month = [
        p
        for p in posts.exclude(scheduled_at=None)
        if timezone.localtime(p.scheduled_at).strftime("%Y-%m") == now.strftime("%Y-%m")
    ]
    assert this_month
    for post in this_month:
        assert f'data-post="{post.pk}"' in html

    # When their time has come, the scheduled posts go out once to the demo network.
    later = timezone.now() + dt.timedelta(days=40)
    engine.run_due(later)
    engine.run_due(later + dt.timedelta(minutes=5))
    assert posts.filter(status=Status.PUBLISHED).count() == len(PLAN)
    assert DemoSentPost.objects.filter(workspace=workspace).count() == len(PLAN)
    assert posts.filter(status=Status.AWAITING_APPROVAL).count() == 1  # never without approval
