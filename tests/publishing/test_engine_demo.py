"""The demo publishes: its account is listed by the API and a scheduled post (a thread) goes
to the demo's network once, through the replay connector (never to Bluesky)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.demo.publishing import DEMO_HANDLE, demo_client
from parvis.demo.seed import DEMO_SLUG, demo_user, ensure_demo
from parvis.listening.models import Source
from parvis.publishing import approvals, engine, services
from parvis.publishing.models import Post, Status
from parvis.workspaces.models import Workspace
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def test_the_demo_account_publishes_through_the_replay_connector(client):
    ensure_demo()
    ensure_demo()  # twice: nothing doubled
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    account = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    assert Source.objects.get(workspace=workspace, kind="demo").account_id == account.pk
    assert ConnectedAccount.objects.filter(workspace=workspace, handle=DEMO_HANDLE).count() == 1
    rows = client.get(f"/api/v1/workspaces/{DEMO_SLUG}/accounts", **bearer(demo_user())).json()
    assert [r["handle"] for r in rows if r["id"] == account.pk] == [DEMO_HANDLE]
    if base.Capability.PUBLISH not in base.get("demo").capabilities:
        pytest.skip("the demo connector publishes once pub-connectors is merged")
    assert engine.connector_class(account).kind == "demo"
    assert "publish" in next(r for r in rows if r["id"] == account.pk)["capabilities"]
    from parvis.demo.models import DemoSentPost

    user = demo_user()
    head = services.do_create_post(workspace, user, "Nouvelle bougie", variants={account.pk: ""})
    services.do_create_post(workspace, user, "Suite du fil", thread_parent=head)
    # The demo's client approves its posts (one step).
    approvals.do_submit_for_approval(head, user)
    approvals.do_approve(head, demo_client())
    at = timezone.now() + dt.timedelta(seconds=30)
    services.do_schedule(head, user, at)
    assert engine.run_due(at) == {Status.PUBLISHED: 2}
    assert engine.run_due(at + dt.timedelta(minutes=5)) == {}
    sent = list(DemoSentPost.objects.filter(text__in=["Nouvelle bougie", "Suite du fil"]))
    assert len(sent) == 2
    first = next(s for s in sent if s.text == "Nouvelle bougie")
    assert next(s for s in sent if s.text == "Suite du fil").in_reply_to == first.external_id
    assert Post.objects.get(pk=head.pk).status == Status.PUBLISHED
