"""The objectives against their targets on the strategy page and the home page, in French and
English, escaped, and only the workspace's own figures."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from parvis.analytics.models import AccountSnapshot
from parvis.connectors.services import do_connect_account
from parvis.workspaces.models import Objective
from tests.analytics.test_kpis import mentions
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(workspace, owner):
    today = timezone.localdate()
    Objective.objects.create(
        workspace=workspace, kind="image_change", title="Faire <b>connaître</b> la cire",
        kpi="Part des mentions positives", target_value=Decimal(70), unit="%",
        period_start=today - dt.timedelta(days=10), period_end=today + dt.timedelta(days=20),
    )  # fmt: skip
    Objective.objects.create(
        workspace=workspace, kind="audience_growth", title="Passer à 12 000 abonnés",
        kpi="Abonnés", target_value=Decimal(12000), unit="abonnés",
        period_start=today - dt.timedelta(days=10), period_end=today + dt.timedelta(days=20),
    )  # fmt: skip
    at = timezone.now() - dt.timedelta(days=2)
    mentions(workspace, at, ["positive", "negative", "neutral"])  # 33 %
    account = do_connect_account(
        workspace, None, network="mastodon", handle="@l@piaille.example", credentials={}
    )
    for back, followers in ((12, 11_000), (1, 11_480)):
        day = today - dt.timedelta(days=back)
        AccountSnapshot.objects.create(
            workspace=workspace, account=account, day=day,
            at=dt.datetime.combine(day, dt.time(12), dt.UTC), followers=followers,
        )  # fmt: skip
    return login(owner)


def text_of(response) -> str:
    return html.unescape(response.content.decode()).replace("\u202f", " ").replace("\xa0", " ")


def test_strategy_page_in_french(setup, workspace):
    response = setup.get(f"/w/{workspace.slug}/strategy/")
    assert response.status_code == 200
    page = text_of(response)
    assert "33 %" in page and "70 %" in page
    assert "en retard" in page or "behind" in page  # the catalogue is merged later
    assert "11 480" in page and "12 000" in page
    assert "+480" in page  # gained since the period's start
    body = response.content.decode()
    assert "<b>connaître</b>" not in body and "&lt;b&gt;connaître&lt;/b&gt;" in body
    assert "<meter" in body and 'max="70.000000"' in body


def test_home_page_in_english(setup, workspace):
    setup.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = setup.get(f"/w/{workspace.slug}/")
    page = text_of(response)
    assert "33%" in page and "70%" in page
    assert "11,480" in page and "12,000" in page
    assert "Audience" in page and "+480" in page
    assert "behind" in page


def test_another_workspace_never_shows(setup, workspace, other_workspace, outsider):
    Objective.objects.create(
        workspace=other_workspace, kind="image_change", title="Rival", kpi="x",
        target_value=Decimal(50), unit="%", period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2099, 1, 1),
    )  # fmt: skip
    client = login(outsider)
    page = text_of(client.get(f"/w/{other_workspace.slug}/strategy/"))
    assert "33 %" not in page and "11 480" not in page
    page = text_of(client.get(f"/w/{other_workspace.slug}/"))
    assert "11 480" not in page and "connaître" not in page
    assert client.get(f"/w/{workspace.slug}/strategy/").status_code == 404


def test_home_page_queries_stay_few(setup, workspace, django_assert_max_num_queries):
    setup.get(f"/w/{workspace.slug}/")
    # 15 today with two objectives and the audience panel: the KPIs read the accounts, the
    # snapshots and the mentions once for all objectives (kpis.Readings).
    with django_assert_max_num_queries(16):
        setup.get(f"/w/{workspace.slug}/")


def test_the_kpis_api(setup, workspace, owner, outsider):
    from tests.conftest import bearer

    client = setup
    url = f"/api/v1/workspaces/{workspace.slug}/kpis"
    response = client.get(url, **bearer(owner))
    assert response.status_code == 200, response.content
    by_kind = {k["kind"]: k for k in response.json()}
    image = by_kind["image_change"]
    assert image["kpi"] == "positive_share" and image["status"] == "behind"
    assert round(image["current"]) == 33 and image["target"] == 70
    audience = by_kind["audience_growth"]
    assert audience["current"] == 11_480 and audience["unit"] == "count"
    # A window before the objectives: none of them; bad input: clear errors, never a 500.
    assert client.get(url + "?to=2000-01-01", **bearer(owner)).json() == []
    assert client.get(url + "?from=9999-12-31&to=9999-12-31", **bearer(owner)).json() == []
    assert client.get(url + "?from=2026-02-01&to=2026-01-01", **bearer(owner)).status_code == 422
    assert client.get(url + "?to=99999-01-01", **bearer(owner)).status_code in (400, 422)
    assert client.get(url + "?to=%ED%A0%80", **bearer(owner)).status_code in (400, 422)
    assert client.get(url, **bearer(outsider)).status_code == 404
