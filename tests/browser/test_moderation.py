"""Moderation in a real browser: the onboarding, a rule written in the editor (words
« arnaque »), previewed, saved, switched on; a hostile comment arrives through the pipeline,
the rules and the network action run as the worker would, the comment shows hidden with its
reason in the log, and is restored with a why; the review queue answers the keyboard; the
charter is published.

The network is a test connector registered here. Where the connector contract has the
moderation names (base.ModerationAction…), it hides for real (state « done »); until then
the network cannot act and the log says « à faire à la main » (state « manual »).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.connectors import base
from parvis.inbox import intake
from parvis.inbox.models import Message
from parvis.listening.models import Source
from parvis.moderation import network, services
from parvis.moderation.models import Action, ActionState, ReviewItem
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.inbox.helpers import post, store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTRACT = all(
    hasattr(base, name) for name in ("ModerationAction", "ModerationResult", "ModerationContext")
)


class HidingConnector(base.Connector):
    kind = "moderation_browser_test"
    label = "Moderation test"
    network = "bluesky"
    web_ui = False
    capabilities = frozenset(
        {base.Capability.LISTEN, *([base.Capability.MODERATE] if CONTRACT else [])}
    )
    done: list[tuple[str, str]] = []
    if CONTRACT:
        moderation_actions = frozenset(
            {base.ModerationAction("hide"), base.ModerationAction("restore")}
        )

    @classmethod
    def reads_own_activity(cls, config):
        return True

    def moderate(self, target, action, context):
        self.done.append((str(getattr(action, "value", action)), target.external_id))
        return base.ModerationResult(action=action, done=True, message="OK")


@pytest.fixture
def connector():
    base.load_all()
    base.register(HidingConnector)
    yield HidingConnector
    base.REGISTRY.pop(HidingConnector.kind, None)


def receive(workspace, source, text: str, handle: str, at=None) -> Message:
    item = post(text, handle=handle, at=at, external_id=f"mod-{uuid.uuid4().hex}")
    store(workspace, [item], source=source)
    intake.take_pending(workspace)
    return Message.objects.get(workspace=workspace, external_id=item["external_id"])


def run_worker(workspace, message: Message) -> list[str]:
    """What the worker's tasks do after the inbox took the message."""
    services.moderate_messages(workspace, [message.pk])
    states = []
    for action in Action.objects.filter(message=message, state=ActionState.QUEUED):
        if CONTRACT:
            states.append(network.run_action(action.pk))
        else:
            # The contract is not there yet: the network cannot act, as run_action answers.
            network.claim(action.pk, timezone.now())
            states.append(
                network.finish(
                    action,
                    ActionState.MANUAL,
                    "Parvis ne peut pas le faire sur ce réseau.",
                    url=message.url,
                )
            )
    return states


def test_rule_preview_switch_hide_restore(tab: Tab, artifacts, connector):
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    # The demo ships its rules installed: start from a workspace that has none, as a new
    # one does, to go through the onboarding.
    from parvis.moderation.models import Rule, Setup

    Rule.objects.filter(workspace=workspace).delete()
    Setup.objects.filter(workspace=workspace).delete()
    source = Source.objects.create(
        workspace=workspace, kind=connector.kind, name="Notifications", config={"own": True}
    )
    for i, text in enumerate(["Encore une arnaque ce site", "Très belles bougies, merci"]):
        receive(
            workspace, source, text, f"old{i}.bsky.social", at=timezone.now() - dt.timedelta(days=3)
        )

    log_in(tab)
    page.click("nav a[href='/w/demo/moderation/']")
    page.wait_for_url("**/w/demo/moderation/")
    expect(page.locator("#onboarding")).to_be_visible()
    tab.shot(artifacts, "moderation-onboarding.png")

    page.click("#onboarding a[href='/w/demo/moderation/rules/new/']")
    page.fill("#id_name", "Arnaques")
    page.select_option("#id_reason", "scam")
    expect(page.locator("#id_c0-kind")).to_have_value("words")
    expect(page.locator("#id_c0-score")).to_be_hidden()  # only the chosen kind's settings
    page.fill("#id_c0-words", "arnaque")
    page.select_option("#id_remove", "hide")
    page.uncheck("#id_review")
    page.click("#add-condition")
    expect(page.locator("#id_c1-kind")).to_be_visible()
    expect(page.locator("#row-count")).to_have_value("2")
    page.click("#preview-rule")
    summary = page.locator("#preview .preview-summary")
    expect(summary).to_contain_text("Cette règle aurait retenu 1 des")
    expect(page.locator("#preview-list li, #preview .preview-list li")).to_have_count(1)
    tab.shot(artifacts, "moderation-editor.png")
    page.click("#save-rule")
    page.wait_for_url("**/w/demo/moderation/")
    row = page.locator("#rules tr", has_text="Arnaques")
    switch = row.locator("button.switch")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    page.wait_for_url("**/w/demo/moderation/")
    expect(
        page.locator("#rules tr", has_text="Arnaques").locator("button.switch")
    ).to_have_attribute("aria-checked", "true")
    tab.shot(artifacts, "moderation-rules.png")

    hostile = receive(
        workspace, source, "<script>alert('x')</script> Arnaque : colis bloqué", "troll.bsky.social"
    )
    states = run_worker(workspace, hostile)
    assert states == ([ActionState.DONE] if CONTRACT else [ActionState.MANUAL])
    hostile.refresh_from_db()
    assert hostile.moderation == ("hidden" if CONTRACT else "manual")

    page.click("#moderation-tabs a[href='/w/demo/moderation/log/']")
    line = page.locator("#log tr[data-kind='hide']").first
    expect(line).to_contain_text("Arnaque")
    expect(line).to_contain_text("fait" if CONTRACT else "à faire à la main")
    expect(line.locator("td.excerpt")).to_contain_text("<script>alert('x')</script>")
    tab.shot(artifacts, "moderation-log.png")
    line.locator("input[name=why]").fill("Un vrai client, mal compris")
    line.locator("button[type=submit]").click()
    page.wait_for_url("**/w/demo/moderation/log/")
    if CONTRACT:
        restore = Action.objects.get(message=hostile, kind="restore")
        assert network.run_action(restore.pk) == ActionState.DONE
        page.reload()
    hostile.refresh_from_db()
    assert hostile.moderation == ""
    expect(page.locator("#log tr[data-kind='restore']").first).to_contain_text("Un vrai client")
    tab.shot(artifacts, "moderation-restored.png")

    # The review queue, by keyboard.
    doubtful = receive(workspace, source, "Vous êtes nuls, une arnaque", "doute.bsky.social")
    services.send_to_review(doubtful, None, "insult", {"insult": 0.6}, ["nuls"])
    page.click("#moderation-tabs a[href='/w/demo/moderation/review/']")
    expect(page.locator("#review-text mark")).to_have_text("nuls")
    expect(page.locator("nav .pending-count")).to_have_text(re.compile(r"^1"))
    tab.shot(artifacts, "moderation-review.png")
    page.keyboard.press("k")
    page.wait_for_url("**/w/demo/moderation/review/")
    expect(page.locator("#review-empty")).to_be_visible()
    assert ReviewItem.objects.get(message=doubtful).state == "kept"

    # The charter, published, and its public page.
    page.click("#moderation-tabs a[href='/w/demo/moderation/charter/']")
    page.check("#id_published")
    page.fill("#id_introduction", "Nous lisons tous vos commentaires.")
    page.fill("#id_appeal", "Écrivez à moderation@exemple.fr.")
    page.click("#charter-form button[type=submit]")
    public = page.locator("#charter-url a").get_attribute("href")
    tab.shot(artifacts, "moderation-charter.png")
    tab.open(re.sub(r"^https?://[^/]+", "", public))
    expect(page.locator("#charter-counts")).to_be_visible()
    tab.shot(artifacts, "moderation-charter-public.png")
    assert tab.problems == []
