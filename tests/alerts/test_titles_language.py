"""An alert's title reads in the reader's language (the bell, « My alerts », the episode page),
worded from the facts the alert keeps; the stored words (what e-mails carried) stay as written."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from parvis.alerts import raising
from parvis.alerts.models import Alert, Episode
from parvis.alerts.services import do_save_rule
from tests.conftest import login

pytestmark = pytest.mark.django_db


def french_alert(workspace, owner, **extra) -> Alert:
    rule, _ = do_save_rule(
        workspace, owner, {"name": "Pic", "channels": ["app"], "roles": ["owner"]}
    )
    now = timezone.now()
    data = {
        "kind": "negative",
        "query_name": "Maison Lumière",
        "opened_at": now,
        "fired_at": now,
        "peak_value": 2,
        "baseline": 0.2,
    }
    data.update(extra)
    ep = Episode.objects.create(workspace=workspace, last_event_at=now, **data)
    with translation.override("fr"), transaction.atomic():
        alert = raising.raise_alert(rule, ep, now)
    assert alert is not None
    return alert


def english_page(owner, path: str) -> str:
    client = login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(path)
    assert page.status_code == 200
    return page.content.decode()


def test_a_french_alert_reads_in_english_in_my_alerts_and_on_its_episode(workspace, owner):
    alert = french_alert(workspace, owner)
    assert alert.title.startswith("Pic de mentions négatives")  # what the e-mails carried
    english = "Spike of negative mentions on Maison Lumière: 2 per minute (usually 0.2)"
    html = english_page(owner, "/w/lumiere/alerts/")
    assert english in html and "Pic de mentions" not in html
    html = english_page(owner, f"/w/lumiere/alerts/episodes/{alert.episode_id}/")
    assert english in html and "Pic de mentions" not in html
    alert.refresh_from_db()
    assert alert.title.startswith("Pic de mentions négatives")


def test_the_title_keeps_the_value_of_its_time_and_reads_in_french_too(workspace, owner):
    alert = french_alert(workspace, owner, kind="volume", resolution="hour", query_name="")
    Episode.objects.filter(pk=alert.episode_id).update(peak_value=12345)  # the peak grew since
    alert = Alert.objects.select_related("episode", "rule").get(pk=alert.pk)
    with translation.override("en"):
        assert alert.title_text == (
            "Spike of mentions on the whole workspace: 2 over one hour (usually 0.2)"
        )
    with translation.override("fr"):
        assert alert.title_text == alert.title


def test_an_alert_from_before_the_facts_were_kept_is_worded_from_its_episode(workspace, owner):
    alert = french_alert(workspace, owner, kind="influencer", peak_value=12345)
    Alert.objects.filter(pk=alert.pk).update(params={})
    alert.refresh_from_db()
    with translation.override("en"):
        assert alert.title_text == "Pic: an author with 12,345 followers talks about Maison Lumière"


def test_malformed_facts_fall_back_to_the_stored_words(workspace, owner):
    alert = french_alert(workspace, owner)
    Alert.objects.filter(pk=alert.pk).update(params={"kind": "volume", "value": "x" * 50})
    alert.refresh_from_db()
    with translation.override("en"):
        assert alert.title_text == alert.title
