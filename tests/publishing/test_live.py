# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""Live events: prepared posts approved in advance, released by hand exactly once or at their
planned time, and the event's inbox beside the queue."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from parvis.publishing import approvals, engine, live
from parvis.publishing.models import LiveEvent, LivePost, Status, Variant
from tests.conftest import login
from tests.inbox.factories import make_conversation
from tests.publishing.pubcore_fixtures import (  # noqa: F401 (fixtures)
    account,
    client_member,
    network,
    one_step,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gala(workspace, owner, account):
    start = timezone.now() - dt.timedelta(minutes=30)
    return live.do_save_event(
        workspace,
        owner,
        accounts=[account.pk],
        name="Gala de printemps",
        hashtag="#GalaLumiere",
        keywords="défilé\nbougie parfumée",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
    )


def publications(network) -> list[str]:
    return [key for op, key in network.calls if op == "publish"]


def test_a_prepared_post_is_approved_in_advance_like_any_post(gala, owner, one_step, client_member):
    row = live.do_prepare(gala, owner, "Le défilé commence !")
    assert row.post.status == Status.AWAITING_APPROVAL
    assert list(row.post.variants.values_list("account_id", flat=True)) == list(
        gala.accounts.values_list("pk", flat=True)
    )
    with pytest.raises(ValidationError):
        live.do_release_now(row, owner)  # unapproved: never released
    row.refresh_from_db()
    assert row.released_at is None
    approvals.do_approve(row.post, client_member)
    row.post.refresh_from_db()
    assert row.post.status == Status.APPROVED  # no planned time: waits for « release now »


def test_release_now_twice_publishes_once(gala, owner, network):
    row = live.do_prepare(gala, owner, "Premier passage sur le podium")
    assert row.post.status == Status.APPROVED
    now = timezone.now()
    live.do_release_now(row, owner, now=now)
    with pytest.raises(ValidationError):
        live.do_release_now(LivePost.objects.get(pk=row.pk), owner, now=now)
    for second in range(3):
        engine.run_due(now + dt.timedelta(seconds=second))
    assert len(publications(network)) == 1
    assert Variant.objects.get(post=row.post).status == Status.PUBLISHED
    with pytest.raises(ValidationError):
        live.do_release_now(LivePost.objects.get(pk=row.pk), owner)


def test_a_double_click_on_release_now_publishes_once(workspace, gala, owner, network):
    row = live.do_prepare(gala, owner, "Merci d'être là")
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = f"/w/{workspace.slug}/publishing/live/{gala.pk}/release/{row.post_id}/"
    first = client.post(url, HTTP_HX_REQUEST="true")
    second = client.post(url, HTTP_HX_REQUEST="true")
    assert first.status_code == second.status_code == 200
    assert "already released" in second.content.decode()
    engine.run_due(timezone.now() + dt.timedelta(seconds=1))
    assert len(publications(network)) == 1


def test_a_planned_post_goes_out_on_its_own_at_its_time(gala, owner, network):
    row = live.do_prepare(
        gala, owner, "Entracte", planned_at=gala.starts_at + dt.timedelta(minutes=45)
    )
    assert row.post.status == Status.SCHEDULED
    assert engine.run_due(gala.starts_at + dt.timedelta(minutes=44)) == {}
    assert engine.run_due(row.planned_at) == {Status.PUBLISHED: 1}
    # Released by hand earlier than planned: once, too.
    early = live.do_prepare(gala, owner, "Final", planned_at=timezone.now() + dt.timedelta(hours=1))
    live.do_release_now(early, owner)
    early.post.refresh_from_db()
    assert early.post.scheduled_at <= timezone.now()
    engine.run_due(timezone.now() + dt.timedelta(seconds=1))
    engine.run_due(timezone.now() + dt.timedelta(hours=2))
    assert len(publications(network)) == 2


def test_the_event_inbox_shows_its_messages_in_its_window_only(
    workspace, other_workspace, gala, owner
):
    inside = gala.starts_at + dt.timedelta(minutes=10)
    make_conversation(workspace, text="Superbe #galalumiere ce soir", at=inside)
    make_conversation(workspace, text="Le défilé est magnifique", at=inside)
    make_conversation(workspace, text="Hors sujet : ma commande ?", at=inside)
    make_conversation(
        workspace, text="Avant : #GalaLumiere bientôt", at=gala.starts_at - dt.timedelta(hours=1)
    )
    make_conversation(other_workspace, text="#GalaLumiere chez le voisin", at=inside)
    client = login(owner)
    page = client.get(f"/w/{workspace.slug}/publishing/live/{gala.pk}/").content.decode()
    assert f"/w/{workspace.slug}/inbox/event-panel/?" in page
    query = page.split("/inbox/event-panel/?", 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert parse_qs(query)["q"] == ["#GalaLumiere", "défilé", "bougie parfumée"]
    panel = client.get(f"/w/{workspace.slug}/inbox/event-panel/?{query}").content.decode()
    assert "Superbe #galalumiere ce soir" in panel
    assert "Le défilé est magnifique" in panel
    assert "Hors sujet" not in panel and "Avant" not in panel and "voisin" not in panel


def test_the_event_panel_refuses_unreadable_dates(workspace, owner):
    client = login(owner)
    url = f"/w/{workspace.slug}/inbox/event-panel/"
    for query in (
        "q=a&since=9999-01-01T00:00:00%2B00:00&until=9999-01-02T00:00:00%2B00:00",
        "q=a&since=2027-01-01T00:00:00&until=2027-01-02T00:00:00",  # no time zone
        "q=a&since=2027-01-02T00:00:00Z&until=2027-01-01T00:00:00Z",  # backwards
        "q=a&since=yesterday&until=" + "9" * 1000,
    ):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert "error-text" in response.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        {"start_day": "9999-01-01"},
        {"end_day": "2026-01-01"},  # before the start
        {"end_day": "2027-03-01"},  # longer than 31 days
        {"hashtag": "deux mots"},
        {"accounts": []},
        {"start_time": "99:00"},
    ],
)
def test_bad_event_input_is_a_clear_error(workspace, owner, account, bad):
    data = {
        "name": "Salon",
        "hashtag": "salon",
        "start_day": "2027-01-10",
        "start_time": "10:00",
        "end_day": "2027-01-10",
        "end_time": "18:00",
        "accounts": [str(account.pk)],
        **bad,
    }
    response = login(owner).post(f"/w/{workspace.slug}/publishing/live/", data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not LiveEvent.objects.exists()


def test_an_event_is_created_and_posts_prepared_from_the_pages(workspace, owner, account):
    client = login(owner)
    response = client.post(
        f"/w/{workspace.slug}/publishing/live/",
        {
            "name": "Salon",
            "hashtag": "#salon",
            "start_day": "2027-01-10",
            "start_time": "10:00",
            "end_day": "2027-01-10",
            "end_time": "18:00",
            "accounts": [str(account.pk)],
        },
    )
    assert response.status_code == 302
    event = LiveEvent.objects.get(workspace=workspace)
    prepare = f"/w/{workspace.slug}/publishing/live/{event.pk}/prepare/"
    client.post(prepare, {"text": "Ouverture", "offset": "30"})
    client.post(prepare, {"text": "Trop loin", "offset": str(2**64)})  # refused
    client.post(prepare, {"text": "Année", "day": "9999-01-10", "time": "10:00"})  # refused
    rows = list(LivePost.objects.filter(event=event))
    assert [r.post.text for r in rows] == ["Ouverture"]
    assert rows[0].planned_at == event.starts_at + dt.timedelta(minutes=30)
    assert rows[0].post.status == Status.SCHEDULED


def test_the_live_pages_in_french_and_in_english(workspace, gala, owner):
    live.do_prepare(gala, owner, "Bienvenue <b>à tous</b>")
    client = login(owner)
    french = client.get(f"/w/{workspace.slug}/publishing/live/{gala.pk}/").content.decode()
    assert 'lang="fr"' in french and "Bienvenue &lt;b&gt;à tous&lt;/b&gt;" in french
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"/w/{workspace.slug}/publishing/live/{gala.pk}/").content.decode()
    assert 'lang="en"' in english and "Release now" in english and "Prepared posts" in english
    listing = client.get(f"/w/{workspace.slug}/publishing/live/").content.decode()
    assert "Gala de printemps" in listing


def test_another_workspaces_event_is_a_404(workspace, other_workspace, gala, owner, outsider):
    row = live.do_prepare(gala, owner, "Secret")
    client = login(outsider)
    base = f"/w/{other_workspace.slug}/publishing/live/{gala.pk}"
    for path in ("/", "/queue/", "/edit/"):
        assert client.get(base + path).status_code == 404
    assert client.post(f"{base}/release/{row.post_id}/").status_code == 404
    assert client.post(f"{base}/prepare/", {"text": "x"}).status_code == 404
    row.refresh_from_db()
    assert row.released_at is None


@pytest.mark.django_db(transaction=True)
def test_two_releases_in_parallel_release_once(gala, owner, network):
    from django.db import connection

    from tests.publishing.test_engine_postgres import in_parallel

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    row = live.do_prepare(gala, owner, "En même temps")
    results = in_parallel(
        lambda: live.do_release_now(LivePost.objects.get(pk=row.pk), owner),
        lambda: live.do_release_now(LivePost.objects.get(pk=row.pk), owner),
    )
    assert sorted(type(r).__name__ for r in results) == ["Post", "ValidationError"]
    engine.run_due(timezone.now() + dt.timedelta(seconds=1))
    assert len(publications(network)) == 1
