"""The sponsored boost suggestions page: a budget, the workspace's published posts with the
counts the networks gave (Variant.likes … views), boost.py's choice and reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from parvis.connectors.services import do_connect_account
from parvis.publishing.models import Status, Variant
from parvis.publishing.services import do_create_post
from parvis.workspaces.roles import Role
from tests.conftest import login

pytestmark = pytest.mark.django_db


def published(workspace, owner, account, text, *, days_ago=1, **counts):
    post = do_create_post(workspace, owner, text, variants={account.pk: ""})
    Variant.objects.filter(post=post).update(
        status=Status.PUBLISHED,
        external_id=f"at://did:plc:brand/app.bsky.feed.post/{post.pk}",
        published_at=timezone.now() - dt.timedelta(days=days_ago),
        metrics_at=timezone.now(),
        **counts,
    )
    return Variant.objects.get(post=post)


@pytest.fixture
def bluesky(workspace, owner):
    return do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle="lumiere.bsky.social",
        credentials={"app_password": "x"},
    )


@pytest.fixture
def posts(workspace, owner, bluesky):
    return {
        "star": published(
            workspace, owner, bluesky, "Notre bougie star", likes=300, reposts=60, views=3000
        ),
        "fine": published(
            workspace, owner, bluesky, "Atelier du jeudi", likes=180, replies=20, views=2500
        ),
        "weak": published(workspace, owner, bluesky, "Horaires de Noël", likes=5, views=4000),
        "old": published(
            workspace, owner, bluesky, "Soldes d'été", days_ago=60, likes=900, views=2000
        ),
        "unmeasured": published(workspace, owner, bluesky, "Sans chiffres"),
    }


def get(client, workspace, lang="fr", **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get(reverse("publishing:boost", args=[workspace.slug]), params)


def test_suggestions_share_the_budget_and_say_why(workspace, owner, posts):
    response = get(login(owner), workspace, lang="en", budget="150", max_posts="3", max_age="14")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["variant"].pk for r in rows] == [posts["star"].pk, posts["fine"].pk]
    assert sum(r["amount"] for r in rows) == Decimal("150.00")
    assert rows[0]["amount"] > rows[1]["amount"]
    body = response.content.decode()
    assert "Engagements: 360, impressions: 3000" in body
    assert "Suggested: " in body and "EUR" in body
    # The weak post is left out, with the reason; the old one is not even considered.
    skipped = {s["variant"].pk: s["reason"] for s in response.context["skipped"]}
    assert "clearly under the average" in skipped[posts["weak"].pk]
    assert "No reach or impressions figure" in skipped[posts["unmeasured"].pk]
    assert posts["old"].pk not in skipped
    assert "calls no advertising API" in body


def test_the_page_in_french(workspace, owner, posts):
    body = get(login(owner), workspace, budget="100").content.decode()
    assert "Déjà sponsorisée" not in body  # no post is marked boosted
    assert '<html lang="fr">' in body
    assert "Calendrier" in body


@pytest.mark.parametrize(
    "budget", ["1e309", "-5", "abc", "NaN", "Infinity", "1000000001", "12\x00", "9" * 39]
)
def test_bad_budgets_are_a_clear_400(workspace, owner, posts, budget):
    response = get(login(owner), workspace, lang="en", budget=budget)
    assert response.status_code == 400
    assert response.context["suggestions"] is None
    assert "between 0 and 1,000,000,000" in response.content.decode() or (
        "characters" in response.content.decode()
    )


def test_a_budget_that_is_not_utf8_is_a_400(workspace, owner, posts):
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    path = reverse("publishing:boost", args=[workspace.slug])
    for raw in ("%ED%A0%80", "%FF%FE", "1" + "0" * 5000):
        assert client.get(f"{path}?budget={raw}").status_code == 400


@pytest.mark.parametrize(
    "params",
    [{"max_posts": "0"}, {"max_posts": str(2**64)}, {"max_age": "-1"}, {"max_age": "x"}],
)
def test_bad_options_are_a_400(workspace, owner, posts, params):
    response = get(login(owner), workspace, budget="100", **params)
    assert response.status_code == 400


def test_budget_with_a_comma_and_too_small_a_budget(workspace, owner, posts):
    response = get(login(owner), workspace, lang="en", budget="149,90")
    assert sum(r["amount"] for r in response.context["rows"]) == Decimal("149.90")
    small = get(login(owner), workspace, lang="en", budget="3")
    assert small.context["rows"] == []
    assert "too small" in small.content.decode()


def test_implausible_counts_do_not_break_the_page(workspace, owner, bluesky):
    published(workspace, owner, bluesky, "Trafiqué", likes=2**62, views=10)
    published(workspace, owner, bluesky, "Négatif", likes=-3, views=10)
    response = get(login(owner), workspace, lang="en", budget="50")
    assert response.status_code == 200
    reasons = [s["reason"] for s in response.context["skipped"]]
    assert reasons.count("Its figures are not plausible (negative or too large).") == 2


def test_html_in_a_post_is_escaped(workspace, owner, bluesky):
    published(workspace, owner, bluesky, "<img src=x onerror=alert(1)>", likes=50, views=500)
    body = get(login(owner), workspace, budget="50").content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_only_this_workspaces_posts(workspace, other_workspace, owner, outsider, posts):
    rival = do_connect_account(
        other_workspace,
        outsider,
        network="bluesky",
        handle="rival.bsky.social",
        credentials={"app_password": "x"},
    )
    theirs = published(other_workspace, outsider, rival, "Rival", likes=900, views=1000)
    response = get(login(owner), workspace, budget="100")
    shown = {r["variant"].pk for r in response.context["rows"]}
    shown |= {s["variant"].pk for s in response.context["skipped"]}
    assert theirs.pk not in shown
    assert get(login(outsider), workspace, budget="100").status_code == 404


def test_every_role_may_read_the_suggestions(workspace, member_factory, posts):
    client = login(member_factory(Role.CLIENT))
    assert get(client, workspace, budget="100").status_code == 200


def test_options_left_empty_take_their_defaults(workspace, owner, posts):
    response = get(login(owner), workspace, lang="en", budget="150")
    assert response.status_code == 200
    assert response.context["form"]["max_posts"].value() == "3"
    assert response.context["form"]["max_age"].value() == "14"
    assert len(response.context["rows"]) == 2
