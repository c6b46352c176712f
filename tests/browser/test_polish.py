"""The tester's walk through the demo, in English: an alert raised in French reads in English
in « My alerts » and on its episode, the episode page and the crisis room name what their
peaks count, and fifteen copies of a scam in the review queue are hidden in one go."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone, translation

from parvis.alerts import raising
from parvis.alerts.crisis import services as crisis_services
from parvis.alerts.models import Episode
from parvis.alerts.services import do_save_rule
from parvis.demo.seed import DEMO_SLUG, demo_user
from parvis.inbox import intake
from parvis.inbox.models import Message
from parvis.listening.sources import do_create_source
from parvis.moderation.models import Action, ReviewItem, ReviewState
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.inbox.helpers import post, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCAM = "+1, colis bloqué à Corbas"


def english(tab: Tab) -> None:
    tab.page.click("button[name=language][value=en]")
    tab.page.wait_for_load_state()


def test_alert_titles_peaks_and_bulk_review_in_english(tab: Tab, artifacts):
    ws = Workspace.objects.get(slug=DEMO_SLUG)
    user = demo_user()
    rule, _ = do_save_rule(ws, user, {"name": "Pic", "channels": ["app"], "roles": ["owner"]})
    now = timezone.now()
    ep = Episode.objects.create(
        workspace=ws,
        kind="negative",
        query_name="Maison Lumière",
        opened_at=now,
        fired_at=now,
        last_event_at=now,
        peak_value=2,
        baseline=0.2,
    )
    with translation.override("fr"), transaction.atomic():
        raising.raise_alert(rule, ep, now)
    crisis, _ = crisis_services.do_start_crisis(ep, user)
    crisis_services.do_close_crisis(crisis, user, "fin")
    source = do_create_source(ws, kind="inbox_test", name="polish", config={"own": True})
    items = [post(SCAM, handle=f"scam{i}.bsky.social") for i in range(15)]
    store(ws, items, source=source)
    intake.take_pending(ws)
    for m in Message.objects.filter(external_id__in=[i["external_id"] for i in items]):
        ReviewItem.objects.get_or_create(
            workspace=ws,
            message=m,
            state=ReviewState.PENDING,
            defaults={"reason": "spam", "created_at": now},
        )

    log_in(tab)
    english(tab)
    tab.open(f"/w/{DEMO_SLUG}/alerts/")
    body = tab.page.inner_text("main")
    assert "Spike of negative mentions on Maison Lumière: 2 per minute (usually 0.2)" in body
    assert "Pic de mentions" not in body
    tab.shot(artifacts, "polish-alerts-en.png")
    tab.open(f"/w/{DEMO_SLUG}/alerts/episodes/{ep.pk}/")
    assert "2 negative mentions in one minute" in tab.page.inner_text("#episode-peak")
    tab.shot(artifacts, "polish-episode-en.png")
    tab.open(f"/w/{DEMO_SLUG}/alerts/episodes/{ep.pk}/crisis/")
    assert "2 negative mentions in one minute" in tab.page.inner_text("#summary-episode-peak")
    assert "mentions of every sentiment" in tab.page.inner_text("#summary-peak")
    tab.shot(artifacts, "polish-crisis-en.png", "#crisis-summary")
    tab.open(f"/w/{DEMO_SLUG}/moderation/review/")
    first = ReviewItem.objects.filter(workspace=ws, message__text=SCAM).order_by("created_at", "id")
    tab.open(f"/w/{DEMO_SLUG}/moderation/review/?item={first.first().pk}")
    assert "15 waiting items have this same text" in tab.page.inner_text("#same-text-form")
    tab.shot(artifacts, "polish-review-en.png")
    tab.page.select_option("#id_same-reason", "scam")
    tab.page.click("#same-hide")
    tab.page.wait_for_load_state()
    tab.shot(artifacts, "polish-review-after-en.png")
    assert Action.objects.filter(workspace=ws, kind="hide", message__text=SCAM).count() == 15
    assert tab.problems == []
