"""Adding a listening source and connecting an account in a real browser, under the real CSP.

Selectors use ids, data- attributes and names only (the UI is French by default)."""

from __future__ import annotations

from unittest import mock
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from parvis.connectors import base
from parvis.connectors.base import (
    AccountInfo,
    Auth,
    Capability,
    Connector,
    PermanentError,
    SettingField,
)
from parvis.connectors.models import ConnectedAccount
from parvis.listening.models import Source
from tests.browser.conftest import Tab, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_an_rss_source(tab: Tab, artifacts):
    page = tab.page
    log_in(tab)
    tab.open("/w/demo/listening/sources/")
    # The first run is handed to a worker; none runs here.
    with mock.patch("parvis.listening.tasks.run_source_task") as task:
        page.click("#add-source")
        page.wait_for_url("**/w/demo/listening/sources/new/")
        expect(page.locator("tr[data-kind='jsonl_file']")).to_have_count(0)
        tab.shot(artifacts, "sources-kinds.png")
        page.click("tr[data-kind='rss'] a")
        page.wait_for_url("**/sources/new/?kind=rss")
        page.fill("#id_name", "Blog des bougies")
        page.fill("#id_every_minutes", "30")
        page.fill("#id_cfg_url", "https://blog.example/feed.xml")
        tab.shot(artifacts, "sources-rss-form.png")
        page.click("#source-form button[type=submit]")
        page.wait_for_url("**/w/demo/listening/sources/")
    source = Source.objects.get(name="Blog des bougies")
    assert source.config == {"url": "https://blog.example/feed.xml", "keep_all": False}
    assert source.interval_seconds == 1800
    task.assert_called_once_with(source.pk)
    row = page.locator(f"tr[data-source='{source.pk}']")
    expect(row).to_be_visible()
    tab.shot(artifacts, "sources-added.png")

    # htmx swaps the row in place, with a note saying what happened.
    row.locator("form[action$='/pause/'] button").click()
    expect(row.locator("form[action$='/resume/']")).to_have_count(1)
    expect(row.locator(".source-note")).to_be_visible()
    assert tab.path() == "/w/demo/listening/sources/"
    source.refresh_from_db()
    assert not source.is_active
    assert tab.problems == []


class InstantOAuth(Connector):
    """A network whose authorization page is another origin (127.0.0.1 while the app runs on
    localhost; its login page stands in for the consent page): proves that leaving for it is
    not blocked by the CSP (form-action 'self')."""

    kind = "browseroauth"
    label = "Browser OAuth"
    network = "linkedin"
    capabilities = frozenset({Capability.LISTEN})
    auth = Auth.OAUTH2
    elsewhere = ""

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (SettingField("client_secret", "Client secret", required=True),)

    @classmethod
    def oauth_start(cls, http, fields, redirect_uri, state):
        if fields["client_secret"] == "refused-secret":
            raise PermanentError("HTTP 401 from network.test: the client was refused")
        query = urlencode({"state": state, "redirect_uri": redirect_uri})
        return f"{cls.elsewhere}/login/?{query}", {"client_secret": fields["client_secret"]}

    @classmethod
    def oauth_finish(cls, http, pending, code, redirect_uri):
        assert code == "granted" and pending["client_secret"] == "s3cret-value"
        return AccountInfo(handle="lumiere-browser", credentials={"access_token": "tok"})


@pytest.fixture
def instant_oauth(live_server):
    port = urlsplit(live_server.url).port
    InstantOAuth.elsewhere = f"http://127.0.0.1:{port}"
    base.load_all()
    base.register(InstantOAuth)
    yield InstantOAuth
    base.REGISTRY.pop(InstantOAuth.kind, None)


def test_connect_an_account_through_oauth(tab: Tab, artifacts, instant_oauth):
    page = tab.page
    log_in(tab)
    tab.open("/w/demo/accounts/")
    page.click("tr[data-kind='browseroauth'] a")
    page.wait_for_url("**/accounts/connect/?kind=browseroauth")
    expect(page.locator("#redirect-uri code")).to_have_text(
        tab.base_url + "/connect/oauth/callback/"
    )
    # A refusal comes back into the form, swapped in place by htmx, without the secret.
    page.fill("#id_client_secret", "refused-secret")
    page.click("#connect-form button[type=submit]")
    expect(page.locator("#connect-panel .errorlist")).to_contain_text("client was refused")
    assert "refused-secret" not in page.content()
    assert tab.path() == "/w/demo/accounts/connect/?kind=browseroauth"
    page.fill("#id_client_secret", "s3cret-value")
    tab.shot(artifacts, "connect-oauth-form.png")
    page.click("#connect-form button[type=submit]")
    # htmx sends the browser to the network (another origin).
    page.wait_for_url("http://127.0.0.1:*/login/?*")
    query = parse_qs(urlsplit(page.url).query)
    # The network sends it back with a code.
    answer = urlencode({"state": query["state"][0], "code": "granted"})
    page.goto(f"{query['redirect_uri'][0]}?{answer}")
    page.wait_for_url("**/w/demo/accounts/")
    expect(page.locator("#accounts")).to_contain_text("lumiere-browser")
    tab.shot(artifacts, "connect-oauth-done.png")
    account = ConnectedAccount.objects.get(handle="lumiere-browser")
    assert account.credentials() == {"access_token": "tok"}
    assert "s3cret-value" not in page.content()
    assert tab.problems == []
