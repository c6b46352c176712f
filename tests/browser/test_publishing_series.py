"""Threads, series and live events in a real browser (htmx, the CSP): write a thread part by
part with each part's counter and move a part up; start a weekly series; follow a live event
with its inbox beside the queue and release a prepared post."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.connectors.models import ConnectedAccount
from parvis.demo.publishing import DEMO_HANDLE
from parvis.publishing import live, services, threads
from parvis.publishing.models import LivePost, Post, Series
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.inbox.factories import make_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_thread_series_and_live_event(tab: Tab, artifacts: Path):
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    services.do_save_approval_settings(workspace, None, flow="none")
    account = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    log_in(tab)

    # A thread: two parts, the second moved before the first, each with its counter.
    tab.open("/w/demo/publishing/new/")
    page.fill("#id_text", "1/3 Comment naît une bougie")
    page.check(f"#accounts input[name=accounts][value='{account.pk}']")
    page.click("#add-part")
    page.fill("#part-0", "La cire, coulée à la main")
    page.click("#add-part")
    page.fill("#part-1", "Le choix de la mèche")
    expect(page.locator("#thread-part-1 .part-checks .counter")).to_contain_text("20 /")
    page.click("#thread-part-1 button:has-text('Monter')")
    expect(page.locator("#part-0")).to_have_value("Le choix de la mèche")
    expect(page.locator("#thread-part-0 .part-checks .counter")).to_contain_text("20 /")
    tab.shot(artifacts, "publishing-thread-composer.png", "#composer-form")
    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r"/w/demo/publishing/\d+/edit/$"))
    head = Post.objects.get(pk=int(re.search(r"/publishing/(\d+)/edit/", page.url)[1]))
    assert [p.text for p in threads.parts_of(head)] == [
        "Le choix de la mèche",
        "La cire, coulée à la main",
    ]

    # A weekly series.
    tab.open("/w/demo/publishing/series/")
    page.fill("#id_name", "Le conseil du lundi")
    page.fill("#id_text", "Chaque lundi, un conseil pour vos bougies.")
    page.check(f"#series-form input[name=accounts][value='{account.pk}']")
    page.check("#series-form input[name=weekdays][value='0']")
    page.fill("#id_time", "09:30")
    page.click("#series-form button[type=submit]")
    page.wait_for_url(re.compile(r"/w/demo/publishing/series/\d+/$"))
    series = Series.objects.get(workspace=workspace, name="Le conseil du lundi")
    expect(page.locator("#series-occurrences tbody tr")).to_have_count(series.occurrences.count())
    assert series.occurrences.count() >= 4
    tab.shot(artifacts, "publishing-series.png")

    # A live event, what people say about it beside the queue, one post released.
    start = timezone.now() - dt.timedelta(minutes=20)
    event = live.do_save_event(
        workspace,
        None,
        accounts=[account.pk],
        name="Atelier de Noël en direct",
        hashtag="AtelierLumiere",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    make_conversation(
        workspace,
        text="Quel beau moment à l'#AtelierLumiere !",
        at=timezone.now() - dt.timedelta(minutes=5),
    )
    row = live.do_prepare(event, None, "L'atelier commence : suivez-nous !")
    live.do_prepare(event, None, "Dernier quart d'heure", planned_at=start + dt.timedelta(hours=1))
    tab.open(f"/w/demo/publishing/live/{event.pk}/")
    expect(page.locator("#event-panel")).to_contain_text("Quel beau moment")
    tab.shot(artifacts, "publishing-live-session.png")
    page.click(f"#live-queue [data-post='{row.post_id}'] button.release-now")
    expect(page.locator(f"#live-queue [data-post='{row.post_id}'] .pill")).not_to_have_text(
        re.compile("Approuv")
    )
    expect(page.locator(f"#live-queue [data-post='{row.post_id}'] button")).to_have_count(0)
    assert LivePost.objects.get(pk=row.pk).released_at is not None
    tab.shot(artifacts, "publishing-live-released.png", "#live-queue-panel")
    assert tab.problems == []
