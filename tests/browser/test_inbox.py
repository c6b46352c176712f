"""The inbox in a real browser: open it, take a conversation, insert a saved reply, get the
editorial-line warning, send anyway, see the reply sent and the response target met.

Sending is made deterministic with a test connector (registered here) that answers `reply`;
the reply is sent by calling `sending.send_reply`, as the worker's task would.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.connectors import base
from parvis.inbox import sending, services
from parvis.inbox.models import Reply, ReplyState
from parvis.listening.models import Source
from parvis.workspaces.models import AddressForm, Workspace
from parvis.workspaces.strategy import get_strategy
from tests.browser.conftest import Tab, log_in
from tests.inbox.factories import make_conversation

# The saved reply with {prénom}, {agent} (the demo user) and {marque} filled in.
FILLED = re.compile(r"^Bonjour Camille, tu peux couper la mèche à 5 mm\. [^{}]+, Maison Lumière$")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class ReplyingConnector(base.Connector):
    kind = "inbox_browser_test"
    label = "Inbox test"
    network = "bluesky"
    capabilities = frozenset({base.Capability.REPLY})
    web_ui = False
    sent: list[str] = []

    def reply(self, target, text, context):
        self.sent.append(text)
        return base.SentReply(
            external_id=f"sent-{uuid.uuid4().hex}",
            url="https://bsky.app/profile/maisonlumiere/post/1",
            published_at=timezone.now(),
        )

    def find_reply(self, target, text, since, context):
        return None


@pytest.fixture
def connector():
    base.load_all()
    base.register(ReplyingConnector)
    yield ReplyingConnector
    base.REGISTRY.pop(ReplyingConnector.kind, None)


def test_answer_a_conversation(tab: Tab, artifacts, connector):
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    strategy = get_strategy(workspace)
    strategy.address_form = AddressForm.VOUS
    strategy.save()
    services.do_update_settings(
        workspace, None, business_hours={str(d): [["00:00", "24:00"]] for d in range(7)}
    )
    source = Source.objects.create(workspace=workspace, kind=connector.kind, name="Notifications")
    conversation = make_conversation(
        workspace,
        text="Bonjour, ma bougie Ambre ne brûle plus droit, que faire ?",
        name="Camille Martin",
        handle="camille.bsky.social",
        source=source,
        at=timezone.now() - dt.timedelta(minutes=40),
    )
    services.do_save_reply(
        workspace,
        None,
        title="Bougie qui coule",
        shortcut="bougie",
        text="Bonjour {prénom}, tu peux couper la mèche à 5 mm. {agent}, {marque}",
    )

    log_in(tab)
    inbox_link = page.locator("nav a[href='/w/demo/inbox/']")
    expect(inbox_link.locator(".unread-count")).to_be_visible()
    inbox_link.click()
    page.wait_for_url("**/w/demo/inbox/")
    page.click("#inbox-views a[data-view='unassigned']")
    row = page.locator(f"#inbox-rows tr[data-conversation='{conversation.pk}']")
    expect(row).to_be_visible()
    expect(row.locator("[data-sla]")).to_have_attribute("data-sla", "ok")
    tab.shot(artifacts, "inbox-list.png")

    row.locator("td.subject a").click()
    page.wait_for_url(f"**/w/demo/inbox/{conversation.pk}/")
    expect(page.locator("#sla-badge")).to_have_attribute("data-sla", "ok")
    page.click("#assign-me")
    page.wait_for_url(f"**/w/demo/inbox/{conversation.pk}/")
    expect(page.locator("#timeline [data-event='assigned']")).to_have_count(1)

    page.select_option("#saved-choice", label="Bougie qui coule (/bougie)")
    expect(page.locator("#id_text")).to_have_value(FILLED)
    filled = page.locator("#id_text").input_value()
    # Choosing inserts once (no second « Insérer » with JavaScript), and the picker is back
    # at « — »: choosing the same reply again keeps what was typed and adds it after.
    expect(page.locator("#saved-insert")).to_have_count(0)
    expect(page.locator("#saved-choice")).to_have_value("")
    page.fill("#id_text", "Brouillon.")
    page.select_option("#saved-choice", label="Bougie qui coule (/bougie)")
    expect(page.locator("#id_text")).to_have_value("Brouillon.\n\n" + filled)
    page.fill("#id_text", filled)
    tab.shot(artifacts, "inbox-conversation.png")
    page.click("#send")
    expect(page.locator("#composer-warnings [data-warning='address_form']")).to_be_visible()
    expect(page.locator("#id_text")).to_have_value(FILLED)
    tab.shot(artifacts, "inbox-warning.png", "#composer")
    page.click("#send-anyway")
    page.wait_for_url(f"**/w/demo/inbox/{conversation.pk}/")
    expect(page.locator("#timeline [data-reply-state='queued']")).to_have_count(1)

    reply = Reply.objects.get(conversation=conversation)
    assert sending.send_reply(reply.pk) == ReplyState.SENT
    assert connector.sent == [reply.text]
    page.reload()
    expect(page.locator("#timeline [data-reply-state='sent']")).to_have_count(1)
    expect(page.locator("#sla-badge")).to_have_attribute("data-sla", "met")
    tab.shot(artifacts, "inbox-sent.png")
    tab.shot(artifacts, "inbox-actions.png", "#conversation-actions")

    tab.open("/w/demo/inbox/saved-replies/")
    tab.shot(artifacts, "inbox-saved-replies.png")
    page.click("nav.tabs a[href='/w/demo/inbox/performance/']")
    tab.shot(artifacts, "inbox-performance.png")
    page.click("nav.tabs a[href='/w/demo/inbox/settings/']")
    tab.shot(artifacts, "inbox-settings.png")
    tab.open("/w/demo/inbox/notifications/")
    tab.shot(artifacts, "inbox-notifications.png")
    assert tab.problems == []
