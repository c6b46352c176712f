# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""Writing a thread in the composer: parts saved in order, approved and scheduled as one unit,
published by the engine in order, each replying to the previous one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from parvis.publishing import approvals, engine, services, threads
from parvis.publishing.models import Post, Status, Variant
from tests.conftest import login
from tests.publishing.pubcore_fixtures import (  # noqa: F401 (fixtures)
    TOO_LONG_FOR_THREADS,
    account,
    client_member,
    network,
    one_step,
)

pytestmark = pytest.mark.django_db


def texts(head: Post) -> list[str]:
    return [p.text for p in threads.parts_of(head)]


def run_until_quiet(at: dt.datetime) -> None:
    for second in range(10):
        if not engine.run_due(at + dt.timedelta(seconds=second)):
            return


def test_parts_are_saved_moved_and_removed_in_order(workspace, owner, account):
    head = services.do_create_post(workspace, owner, "1/4", variants={account.pk: ""})
    threads.do_save_thread(head, owner, ["2/4", "  ", "3/4", "4/4"])  # an empty box is no part
    assert texts(head) == ["2/4", "3/4", "4/4"]
    assert [p.thread_position for p in threads.parts_of(head)] == [1, 2, 3]
    # Each part goes to the head's accounts.
    assert {v.account_id for v in Variant.objects.filter(post__thread_parent=head)} == {account.pk}
    threads.do_save_thread(head, owner, ["4/4", "2/4", "3/4"])
    assert texts(head) == ["4/4", "2/4", "3/4"]
    threads.do_save_thread(head, owner, ["4/4"])
    assert texts(head) == ["4/4"]
    assert Post.objects.filter(thread_parent=head).count() == 1
    version = Post.objects.get(pk=head.pk).version
    threads.do_save_thread(head, owner, ["4/4"])  # nothing changed: no new version
    assert Post.objects.get(pk=head.pk).version == version


def test_a_thread_is_approved_scheduled_and_published_as_one_unit_in_order(
    workspace, owner, account, network, one_step, client_member
):
    head = services.do_create_post(workspace, owner, "Un", variants={account.pk: ""})
    threads.do_save_thread(head, owner, ["Deux", "Trois"])
    at = timezone.now() + dt.timedelta(minutes=1)
    services.do_reschedule(head, owner, at)
    approvals.do_submit_for_approval(head, owner)
    # Every part waits with its head.
    assert set(Post.objects.filter(thread_parent=head).values_list("status", flat=True)) == {
        Status.AWAITING_APPROVAL
    }
    approvals.do_approve(head, client_member)
    assert Post.objects.get(pk=head.pk).status == Status.SCHEDULED
    run_until_quiet(at)
    rows = [Variant.objects.get(post=p) for p in [head, *threads.parts_of(head)]]
    assert [r.status for r in rows] == [Status.PUBLISHED] * 3
    posts = {p["id"]: p for p in network.posts.values()}
    assert [posts[r.external_id]["text"] for r in rows] == ["Un", "Deux", "Trois"]
    assert posts[rows[0].external_id]["reply_to"] == ""
    assert posts[rows[1].external_id]["reply_to"] == rows[0].external_id
    assert posts[rows[2].external_id]["reply_to"] == rows[1].external_id
    # Published: the thread no longer changes.
    with pytest.raises(ValidationError):
        threads.do_save_thread(head, owner, ["Deux", "Trois", "Quatre"])


def test_a_part_added_after_approval_sends_the_thread_back_nothing_unapproved_goes(
    workspace, owner, account, network, one_step, client_member
):
    head = services.do_create_post(workspace, owner, "Un", variants={account.pk: ""})
    threads.do_save_thread(head, owner, ["Deux"])
    at = timezone.now() + dt.timedelta(minutes=1)
    services.do_reschedule(head, owner, at)
    approvals.do_submit_for_approval(head, owner)
    approvals.do_approve(head, client_member)
    threads.do_save_thread(head, owner, ["Deux", "Trois non relu"])
    head.refresh_from_db()
    assert head.status == Status.AWAITING_APPROVAL
    assert head.approved_version is None
    run_until_quiet(at + dt.timedelta(minutes=5))
    assert network.posts == {}


def test_too_many_parts_or_unstorable_text_is_refused(workspace, owner, account):
    head = services.do_create_post(workspace, owner, "Un", variants={account.pk: ""})
    with pytest.raises(ValidationError):
        threads.do_save_thread(head, owner, ["x"] * (threads.MAX_PARTS + 1))
    with pytest.raises(ValidationError):
        threads.do_save_thread(head, owner, ["bad \ud800 part"])
    assert texts(head) == []


# --- the composer's pages -------------------------------------------------------------------


def compose_data(account, text: str, parts: list[str], **extra: str) -> dict:
    return {"text": text, "accounts": [str(account.pk)], "thread": "1", "part": parts, **extra}


def test_the_composer_saves_a_thread_and_shows_its_parts(workspace, owner, account):
    client = login(owner)
    response = client.post(
        f"/w/{workspace.slug}/publishing/new/",
        compose_data(account, "Premier", ["Deuxième", "Troisième"]),
    )
    assert response.status_code == 302
    head = Post.objects.get(text="Premier")
    assert texts(head) == ["Deuxième", "Troisième"]
    page = client.get(f"/w/{workspace.slug}/publishing/{head.pk}/edit/")
    html = page.content.decode()
    assert 'id="thread-parts"' in html
    assert html.index("Deuxième") < html.index("Troisième")
    # A part's own URL opens its thread's composer.
    part = threads.parts_of(head)[0]
    assert client.get(f"/w/{workspace.slug}/publishing/{part.pk}/edit/").status_code == 200
    # Removing the parts in the form removes them from the thread.
    client.post(
        f"/w/{workspace.slug}/publishing/{head.pk}/edit/", compose_data(account, "Premier", [])
    )
    assert texts(head) == []


def test_a_form_without_the_thread_block_leaves_the_parts(workspace, owner, account):
    head = services.do_create_post(workspace, owner, "Un", variants={account.pk: ""})
    threads.do_save_thread(head, owner, ["Deux"])
    data = compose_data(account, "Un modifié", [])
    del data["thread"]
    login(owner).post(f"/w/{workspace.slug}/publishing/{head.pk}/edit/", data)
    assert texts(head) == ["Deux"]


def test_add_move_and_remove_parts_come_back_in_the_new_order(workspace, owner):
    client = login(owner)
    url = f"/w/{workspace.slug}/publishing/thread/parts/"
    added = client.post(url, {"op": "add", "part": ["A", "B"]}).content.decode()
    assert added.count('name="part"') == 3
    moved = client.post(url, {"op": "up", "index": "1", "part": ["A", "B"]}).content.decode()
    assert moved.index(">B</textarea>") < moved.index(">A</textarea>")
    removed = client.post(url, {"op": "remove", "index": "0", "part": ["A", "B"]})
    assert removed.content.decode().count('name="part"') == 1
    assert ">B</textarea>" in removed.content.decode()
    # Hostile input: an index of 2**64, an unknown operation, hostile HTML.
    huge = client.post(url, {"op": "remove", "index": str(2**64), "part": ["A"]})
    assert huge.status_code == 200 and huge.content.decode().count('name="part"') == 1
    assert client.post(url, {"op": "explode", "part": ["A"]}).status_code == 400
    hostile = client.post(url, {"op": "add", "part": ["<script>alert(1)</script>"]})
    assert "<script>alert" not in hostile.content.decode()


def test_each_part_has_its_own_counter(workspace, owner, account):
    client = login(owner)
    url = f"/w/{workspace.slug}/publishing/thread/checks/"
    # htmx posts the whole form: every part, and the index of the one to count.
    parts = ["Court", TOO_LONG_FOR_THREADS]
    short = client.post(url, {"accounts": [str(account.pk)], "part": parts, "index": "0"})
    assert "5 / 500" in short.content.decode()
    long = client.post(url, {"accounts": [str(account.pk)], "part": parts, "index": "1"})
    assert "501 / 500" in long.content.decode()
    for index in ("2", str(2**64), "x"):
        empty = client.post(url, {"accounts": [str(account.pk)], "part": parts, "index": index})
        assert empty.status_code == 200 and "0 / 500" in empty.content.decode()


def test_the_composer_in_french_and_in_english(workspace, owner, account):
    client = login(owner)
    url = f"/w/{workspace.slug}/publishing/new/"
    french = client.get(url).content.decode()
    assert 'lang="fr"' in french and "Publier sur" in french and 'id="add-part"' in french
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert 'lang="en"' in english and "Add a part" in english and "Publish on" in english


def test_another_workspace_cannot_use_the_thread_endpoints(workspace, outsider):
    client = login(outsider)
    for path in ("thread/parts/", "thread/checks/"):
        assert client.post(f"/w/{workspace.slug}/publishing/{path}").status_code == 404


def test_a_refused_form_keeps_the_parts_typed(workspace, owner, account):
    response = login(owner).post(
        f"/w/{workspace.slug}/publishing/new/",
        compose_data(account, "Premier", ["Gardée <b>telle quelle</b>"], day="9999-01-01"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Gardée &lt;b&gt;telle quelle&lt;/b&gt;" in html
    assert not Post.objects.filter(text="Premier").exists()
