"""The episode page and the crisis room name what their peaks count: the detector's peak
(negative mentions in one clock minute) and the timeline's busiest bucket (every mention, in
buckets of the chart's step) are different figures and read as such."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone, translation

from parvis.alerts.crisis import services
from parvis.alerts.models import Episode
from tests.alerts.helpers import add_mentions, brand_query
from tests.conftest import login

pytestmark = pytest.mark.django_db


def english(owner, path: str) -> str:
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(path)
    assert page.status_code == 200
    return page.content.decode()


def test_both_pages_say_what_their_peak_counts(workspace, owner):
    query = brand_query(workspace)
    opened = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=10)
    # Two negative mentions in the detector's minute, one neutral just after it.
    add_mentions(workspace, opened, 2, negative=True, query=query)
    add_mentions(workspace, opened + dt.timedelta(seconds=70), 1, query=query)
    ep = Episode.objects.create(
        workspace=workspace,
        kind="negative",
        query=query,
        query_name=query.name,
        opened_at=opened,
        fired_at=opened,
        last_event_at=opened,
        peak_value=2,
        baseline=0.2,
    )
    crisis, _ = services.do_start_crisis(ep, owner)
    services.do_close_crisis(crisis, owner, "fin")
    detector = "2 negative mentions in one minute"
    html = english(owner, f"/w/lumiere/alerts/episodes/{ep.pk}/")
    assert detector in html and "what the detector counted" in html
    room = english(owner, f"/w/lumiere/alerts/episodes/{ep.pk}/crisis/")
    assert detector in room
    assert "Busiest point of the timeline" in room and "mentions of every sentiment in" in room


def test_peak_words_per_kind_and_bucket(workspace):
    now = timezone.now()

    def ep(kind: str, value: int, resolution: str = "minute") -> Episode:
        return Episode(
            workspace=workspace,
            kind=kind,
            peak_value=value,
            resolution=resolution,
            opened_at=now,
            fired_at=now,
            last_event_at=now,
        )

    with translation.override("en"):
        assert ep("volume", 1).peak_text == "1 mention in one minute"
        assert ep("volume", 40, "hour").peak_text == "40 mentions over one hour"
        assert ep("negative", 3, "hour").peak_text == "3 negative mentions over one hour"
        assert ep("influencer", 12345).peak_text == "an author with 12,345 followers"
        assert ep("reach", 5000).peak_text == "a reach of 5,000 in one minute"
