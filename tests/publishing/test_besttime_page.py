"""The best-time page (one account's weekday x hour map, what it stands on, the best slots),
in French and in English, and the composer's « next best slot » button: a slot ahead of now,
away from the account's planned posts, with why; bad input never a 500."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone

from parvis.connectors.services import do_connect_account
from parvis.publishing import metrics, services
from parvis.publishing.models import Status, Variant
from parvis.workspaces.zones import zone_of
from tests.conftest import login

pytestmark = pytest.mark.django_db


def account(workspace, handle="maisonlumiere.bsky.social"):
    return do_connect_account(
        workspace, None, network="bluesky", handle=handle, credentials={"app_password": "x"}
    )


def published(workspace, owner, acc, at, n, likes):
    post = services.do_create_post(workspace, owner, f"Bougie {n}", variants={acc.pk: ""})
    Variant.objects.filter(post=post).update(
        status=Status.PUBLISHED,
        published_at=at,
        external_id=f"at://did:plc:x/app.bsky.feed.post/{n}",
        likes=likes,
        reposts=1,
        replies=0,
        metrics_at=at + dt.timedelta(days=2),
    )


def history(workspace, owner, acc, weeks=6):
    """Three posts a week for `weeks` weeks: Thursday 18:00 does three times better."""
    zone = zone_of(workspace)
    today = timezone.now().astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday() + 7 * weeks)
    n = 0
    for week in range(weeks):
        for day, hour, likes in ((0, 10, 10), (3, 18, 30), (5, 12, 10)):
            date = monday + dt.timedelta(weeks=week, days=day)
            at = dt.datetime.combine(date, dt.time(hour), tzinfo=zone)
            n += 1
            published(workspace, owner, acc, at, n, likes)
    return n


def url(workspace, acc=None):
    base = f"/w/{workspace.slug}/publishing/besttime/"
    return base if acc is None else f"{base}{acc if isinstance(acc, (int, str)) else acc.pk}/"


def test_the_page_shows_the_map_what_it_stands_on_and_the_best_slots(workspace, owner):
    acc = account(workspace)
    account(workspace, "autre.bsky.social")
    posts = history(workspace, owner, acc)
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first = client.get(url(workspace))  # the account with the most published posts
    assert first.status_code == 200
    assert f'href="{url(workspace, acc)}" aria-current="page"' in first.content.decode()
    page = client.get(url(workspace, acc))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Based on {posts} published posts and 0 mentions over the last 90 days." in html
    assert "Not enough data" in html  # 18 posts: below the 20 the map needs
    table = html[html.index('<table class="bt-map">') : html.index("</table>")]
    assert table.count('<th scope="row">') == 7 and table.count('<th scope="col"') == 24
    assert table.count('<td class="bt-l') == 7 * 24
    assert 'title="Thursday at 18:00: score' in table
    best = html[html.index('<ol class="bt-best">') : html.index("</ol>")]
    assert best.index("Thursday at 18:00") < best.index("</li>")  # the best slot first
    assert "bt-l5" in table and "autre.bsky.social" in html
    # Another period.
    page = client.get(url(workspace, acc) + "?days=30")
    assert "over the last 30 days" in page.content.decode()
    assert client.get(url(workspace, acc) + "?days=99999999999999999999").status_code == 200


def test_the_page_in_french(workspace, owner):
    acc = account(workspace)
    history(workspace, owner, acc, weeks=1)
    page = login(owner).get(url(workspace, acc))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="fr"' in html
    assert "jeudi" in html.lower() and "lundi" in html.lower()


def test_no_account_yet(workspace, owner):
    page = login(owner).get(url(workspace))
    assert page.status_code == 200 and "bt-map" not in page.content.decode()


def test_another_workspaces_account_and_impossible_ids_are_404(workspace, other_workspace, owner):
    theirs = account(other_workspace)
    client = login(owner)
    assert client.get(url(workspace, theirs)).status_code == 404
    assert client.get(url(workspace, 2**64)).status_code == 404
    assert client.get(url(workspace, 2**63 - 1)).status_code == 404
    assert client.get(url(workspace, "abc")).status_code == 404
    assert client.get(url(workspace, "-1")).status_code == 404


def test_the_calendar_links_to_the_page(workspace, owner):
    html = login(owner).get(f"/w/{workspace.slug}/publishing/").content.decode()
    assert f'href="{url(workspace)}"' in html


def next_url(workspace, *accounts, post=None):
    query = "&".join(f"accounts={a}" for a in accounts)
    if post is not None:
        query += f"&post={post}"
    return f"/w/{workspace.slug}/publishing/besttime/next/?{query}"


def test_the_next_best_slot_fills_the_date_and_time(workspace, owner):
    acc = account(workspace)
    history(workspace, owner, acc)
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.get(next_url(workspace, acc.pk))
    assert answer.status_code == 200
    html = answer.content.decode()
    day = re.search(r'<input type="date" name="day" value="([0-9-]+)"[^>]*hx-swap-oob="true"', html)
    time = re.search(
        r'<input type="time" name="time" value="([0-9:]+)"[^>]*hx-swap-oob="true"', html
    )
    assert day and time, html
    assert 'id="id_day"' in html and 'id="id_time"' in html
    zone = zone_of(workspace)
    chosen = dt.datetime.combine(
        dt.date.fromisoformat(day.group(1)), dt.time.fromisoformat(time.group(1)), tzinfo=zone
    )
    now = timezone.now()
    assert now + metrics.MIN_LEAD < chosen <= now + dt.timedelta(days=7, hours=1)
    assert chosen.weekday() == 3 and chosen.hour == 18  # Thursday 18:00 does best
    assert "score" in html and f"Based on {3 * 6} published posts" in html


def test_the_next_best_slot_keeps_away_from_planned_posts(workspace, owner):
    acc = account(workspace)
    history(workspace, owner, acc)
    now = timezone.now()
    first = metrics.suggest_slot([acc], now).slot
    assert first is not None and first.at >= now + metrics.MIN_LEAD
    planned = services.do_create_post(workspace, owner, "Prévu", variants={acc.pk: ""})
    Variant.objects.filter(post=planned).update(status=Status.SCHEDULED)
    type(planned).objects.filter(pk=planned.pk).update(
        status=Status.SCHEDULED, scheduled_at=first.at + dt.timedelta(minutes=30)
    )
    second = metrics.suggest_slot([acc], now).slot
    assert second is not None
    assert abs(second.at - (first.at + dt.timedelta(minutes=30))) >= metrics.MIN_GAP
    # The post being edited does not keep itself away from its own time.
    again = metrics.suggest_slot([acc], now, exclude_post=planned.pk).slot
    assert again is not None and again.at == first.at


def test_next_best_slot_bad_input(workspace, other_workspace, owner):
    theirs = account(other_workspace)
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for bad in (2**64, "abc", "1e3", "%00", "\u0663", theirs.pk, "9" * 5000):
        answer = client.get(next_url(workspace, bad))
        assert answer.status_code == 400, bad
        assert "not one of the workspace" in answer.content.decode()
    none = client.get(next_url(workspace))
    assert none.status_code == 200 and "Tick at least one account" in none.content.decode()
    acc = account(workspace)
    answer = client.get(next_url(workspace, acc.pk, post="x" * 100))  # a garbage post id: ignored
    assert answer.status_code == 200


def test_the_composer_has_the_button(workspace, owner):
    html = login(owner).get(f"/w/{workspace.slug}/publishing/new/").content.decode()
    assert 'id="next-best-slot"' in html and f'hx-get="{url(workspace)}next/"' in html


def test_the_demo_map_is_not_empty_and_seeding_twice_doubles_nothing(client):
    from parvis.demo.publishing import DEMO_HANDLE
    from parvis.demo.seed import DEMO_SLUG, demo_user, ensure_demo

    ensure_demo()
    rows = Variant.objects.filter(workspace__slug=DEMO_SLUG, status=Status.PUBLISHED)
    read = {v.pk: (v.likes, v.views) for v in rows}
    assert read and all(likes and likes > 0 and views for likes, views in read.values())
    ensure_demo()
    assert {v.pk: (v.likes, v.views) for v in rows.all()} == read
    acc = rows.first().account
    assert acc.handle == DEMO_HANDLE
    client = login(demo_user())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/w/{DEMO_SLUG}/publishing/besttime/{acc.pk}/")
    assert page.status_code == 200
    assert f"Based on {len(read)} published posts" in page.content.decode()
