"""The real UI in a real browser: login, workspace switcher, htmx edit of the editorial line.

Selectors use ids, data- attributes and URLs only, never labels: the UI is French by default
and its wording changes with the translations.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from parvis.workspaces.models import Workspace
from parvis.workspaces.strategy import get_strategy
from tests.browser.conftest import Tab, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKSPACES = {"demo": "Maison Lumière", "cafe-boheme": "Café Bohème"}


def switch_to(tab: Tab, slug: str) -> None:
    tab.page.click("#workspace-switcher > summary")
    tab.page.click(f"#workspace-switcher a[data-slug='{slug}']")
    tab.page.wait_for_url(f"**/w/{slug}/")
    expect(tab.page.locator("#workspace-switcher > summary")).to_have_text(WORKSPACES[slug])


def edit_editorial_line(tab: Tab, tone: str, words_to_avoid: str, shots=None) -> None:
    """Open the form in place (htmx), fill it, save; the page itself never navigates."""
    strategy_path = tab.path()
    tab.page.click("#editorial-line a[hx-get]")
    form = tab.page.locator("#editorial-line form")
    expect(form).to_be_visible()
    assert tab.path() == strategy_path, "the edit form should be swapped in, not navigated to"
    form.locator("#id_tone").fill(tone)
    form.locator("#id_words_to_avoid").fill(words_to_avoid)
    if shots:
        tab.shot(shots, "strategy-editing.png", "#editorial-line")
    form.locator("button[type=submit]").click()
    expect(tab.page.locator("#editorial-line form")).to_have_count(0)
    assert tab.path() == strategy_path


def test_login_switch_workspace_and_edit_the_editorial_line(tab, artifacts):
    page = tab.page
    log_in(tab)
    assert tab.path() == "/w/demo/", "the demo user's home brand comes first"
    expect(page.locator("#workspace-switcher > summary")).to_have_text(WORKSPACES["demo"])
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    tab.shot(artifacts, "dashboard.png")

    switch_to(tab, "cafe-boheme")
    tab.shot(artifacts, "switched.png")
    switch_to(tab, "demo")

    page.click("nav a[href='/w/demo/strategy/']")
    page.wait_for_url("**/w/demo/strategy/")
    expect(page.locator("nav a[href='/w/demo/strategy/']")).to_have_attribute(
        "aria-current", "page"
    )
    tab.shot(artifacts, "strategy.png")

    tone = "Direct et complice, toujours bienveillant."
    edit_editorial_line(tab, tone, "pas cher\nchimique\npromo flash", shots=artifacts)
    tab.shot(artifacts, "strategy-saved.png", "#editorial-line")
    shown_tone = page.locator("#editorial-line dd[data-field='tone']")
    avoided = page.locator("#editorial-line .chip.avoid")
    expect(shown_tone).to_have_text(tone)
    expect(avoided).to_have_text(["pas cher", "chimique", "promo flash"])

    page.reload()
    expect(shown_tone).to_have_text(tone)
    expect(avoided).to_have_text(["pas cher", "chimique", "promo flash"])
    tab.shot(artifacts, "strategy-reloaded.png")

    strategy = get_strategy(Workspace.objects.get(slug="demo"))
    assert strategy.tone == tone
    assert strategy.words_to_avoid == ["pas cher", "chimique", "promo flash"]
    assert tab.problems == []


def test_hostile_text_is_shown_as_text(tab, artifacts):
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> Chaleureux'
    log_in(tab)
    tab.open("/w/demo/strategy/")
    edit_editorial_line(tab, hostile, "<b>gras</b>")

    for when in ("after the htmx swap", "after a reload"):
        shown_tone = tab.page.locator("#editorial-line dd[data-field='tone']")
        expect(shown_tone).to_have_text(hostile)
        expect(tab.page.locator("#editorial-line .chip.avoid")).to_have_text(["<b>gras</b>"])
        injected = tab.page.locator(
            "#editorial-line script, #editorial-line img, #editorial-line b"
        )
        assert injected.count() == 0, f"markup from the tone was interpreted {when}"
        tab.page.reload()
    tab.shot(artifacts, "strategy-hostile.png", "#editorial-line")

    assert get_strategy(Workspace.objects.get(slug="demo")).tone == hostile
    assert tab.problems == []


def test_api_documentation_renders_the_operations_without_csp_violations(tab, artifacts):
    tab.open("/api/v1/docs")
    page = tab.page
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Parvis API")
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 10
    operations.first.locator(".opblock-summary").click()
    expect(page.locator(".swagger-ui .opblock.is-open")).to_have_count(1)
    tab.shot(artifacts, "api-docs.png")
    assert tab.problems == []
