"""Connecting an account through a connector, in the web pages, end to end.

Two throw-away connectors stand for the real ones: "fakeoauth" (OAuth 2 with PKCE, against an
instance address, like Mastodon) and "fakepw" (an app password exchanged for a session, like
Bluesky). Their hooks are real code speaking HTTP; the network behind them is an
httpx.MockTransport that checks what a real authorization server checks (the code, the PKCE
verifier, the client secret, the redirect address). Networks "linkedin" and "threads" are used
because no connector of this project claims them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from unittest import mock
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest

from parvis.connectors import base, flow
from parvis.connectors import http as connector_http
from parvis.connectors.base import (
    AccountInfo,
    Auth,
    Capability,
    Connector,
    PermanentError,
    SettingField,
)
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.core.models import AuditEvent
from parvis.listening.models import Mention, MonitoredQuery, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.workspaces.models import Membership
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.connectors.contract.harness import Post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (French, the default, is checked where it matters)."""
    settings.LANGUAGE_CODE = "en"


CONNECT = "/w/lumiere/accounts/connect/"
CALLBACK = "/connect/oauth/callback/"
REDIRECT_URI = "http://testserver/connect/oauth/callback/"
CLIENT_SECRET = "client-secret-8c1f-NEVER-SHOWN"
ACCESS_TOKEN = "access-token-55aa-NEVER-SHOWN"
APP_PASSWORD = "app-pass-77b2-NEVER-SHOWN"
SECRETS = [CLIENT_SECRET, ACCESS_TOKEN, APP_PASSWORD]
REAL_CLIENT = connector_http.client


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FakeOAuthConnector(Connector):
    kind = "fakeoauth"
    label = "Fake OAuth network"
    network = "linkedin"
    capabilities = frozenset({Capability.LISTEN, Capability.REPLY})
    auth = Auth.OAUTH2

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (
            SettingField("instance_url", "Instance", required=True, kind="url"),
            SettingField("client_id", "Client ID", required=True),
            SettingField("client_secret", "Client secret", required=True),
        )

    @classmethod
    def oauth_start(
        cls, http: httpx.Client, fields: dict[str, str], redirect_uri: str, state: str
    ) -> tuple[str, dict[str, str]]:
        instance = fields["instance_url"].rstrip("/")
        # The instance must exist before the browser is sent there.
        connector_http.get(http, f"{instance}/api/v1/instance")
        verifier = secrets.token_urlsafe(48)
        query = {
            "response_type": "code",
            "client_id": fields["client_id"],
            "redirect_uri": redirect_uri,
            "scope": "read",
            "state": state,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
        pending = {**fields, "instance_url": instance, "verifier": verifier}
        return f"{instance}/oauth/authorize?{urlencode(query)}", pending

    @classmethod
    def oauth_finish(
        cls, http: httpx.Client, pending: dict[str, str], code: str, redirect_uri: str
    ) -> AccountInfo:
        instance = pending["instance_url"]
        response = http.post(
            f"{instance}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": pending["client_id"],
                "client_secret": pending["client_secret"],
                "code_verifier": pending["verifier"],
            },
        )
        token = connector_http.check(response).json()["access_token"]
        me = connector_http.get(
            http,
            f"{instance}/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        return AccountInfo(
            handle=f"@{me['acct']}@{urlsplit(instance).hostname}",
            display_name=me["display_name"],
            credentials={
                "instance_url": instance,
                "client_id": pending["client_id"],
                "client_secret": pending["client_secret"],
                "access_token": token,
            },
        )


class FakePasswordConnector(Connector):
    kind = "fakepw"
    label = "Fake password network"
    network = "threads"
    capabilities = frozenset({Capability.LISTEN})
    auth = Auth.APP_PASSWORD

    @classmethod
    def account_fields(cls) -> tuple[SettingField, ...]:
        return (
            SettingField("identifier", "Handle", required=True),
            SettingField("app_password", "App password", required=True),
        )

    @classmethod
    def login(cls, http: httpx.Client, fields: dict[str, str]) -> AccountInfo:
        response = http.post(
            "https://pw.test/xrpc/com.atproto.server.createSession",
            json={"identifier": fields["identifier"], "password": fields["app_password"]},
        )
        if response.status_code == 401:
            # Careless on purpose: the network's error body echoes what was sent.
            raise PermanentError(f"sign-in refused: {response.text}")
        session = connector_http.check(response).json()
        return AccountInfo(
            handle=session["handle"],
            credentials={"app_password": fields["app_password"], "did": session["did"]},
        )


class FakeNetworks:
    """Both fake networks' HTTP APIs; records the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.issued: dict[str, dict[str, str]] = {}  # code -> what it was issued for

    def issue_code(self, authorize_url: str) -> str:
        """What the authorization page does once the person accepts."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        code = secrets.token_urlsafe(16)
        self.issued[code] = query
        return code

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.url.host == "pw.test":
            body = json.loads(request.content)
            if body["password"] != APP_PASSWORD:
                return httpx.Response(
                    401, json={"error": "AuthenticationRequired", "message": f"bad {body}"}
                )
            return httpx.Response(200, json={"handle": body["identifier"], "did": "did:plc:x"})
        if request.url.host != "social.test":
            return httpx.Response(404)
        if path == "/api/v1/instance":
            return httpx.Response(200, json={"uri": "social.test"})
        if path == "/oauth/token":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            issued = self.issued.pop(form.get("code", ""), None)  # a code is good once
            if (
                issued is None
                or form["client_secret"] != CLIENT_SECRET
                or form["redirect_uri"] != issued["redirect_uri"]
                or challenge(form["code_verifier"]) != issued["code_challenge"]
            ):
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json={"access_token": ACCESS_TOKEN, "token_type": "Bearer"})
        if path == "/api/v1/accounts/verify_credentials":
            if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                return httpx.Response(401)
            return httpx.Response(200, json={"acct": "lumiere", "display_name": "Maison Lumière"})
        return httpx.Response(404)


@pytest.fixture
def fakes():
    base.load_all()
    base.register(FakeOAuthConnector)
    base.register(FakePasswordConnector)
    networks = FakeNetworks()
    with mock.patch.object(
        connector_http,
        "client",
        lambda transport=None: REAL_CLIENT(transport=httpx.MockTransport(networks)),
    ):
        yield networks
    base.REGISTRY.pop(FakeOAuthConnector.kind, None)
    base.REGISTRY.pop(FakePasswordConnector.kind, None)


OAUTH_FIELDS = {
    "kind": "fakeoauth",
    "instance_url": "https://social.test",
    "client_id": "parvis-app",
    "client_secret": CLIENT_SECRET,
}


def start(client, **extra) -> str:
    """Post the first form; the authorization URL the browser is sent to."""
    response = client.post(CONNECT, OAUTH_FIELDS, **extra)
    assert response.status_code == 200, response.content[:500]
    assert_no_secret(response)
    return response.context["url"]


def authorize(networks: FakeNetworks, url: str) -> dict[str, str]:
    """The person accepts on the network: the query it redirects back with."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return {"code": networks.issue_code(url), "state": query["state"]}


def assert_no_secret(response) -> None:
    body = response.content.decode()
    for secret in SECRETS:
        assert secret not in body
        for value in response.headers.values():
            assert secret not in value


def assert_audit_clean() -> None:
    for event in AuditEvent.objects.all():
        text = json.dumps(event.details)
        for secret in SECRETS:
            assert secret not in text


# --- the pages ------------------------------------------------------------------------------


def test_accounts_page_lists_connectors_that_connect_accounts(workspace, owner, fakes):
    page = login(owner).get("/w/lumiere/accounts/")
    rows = {c.kind: c for c in page.context["connectors"]}
    assert {"fakeoauth", "fakepw"} <= set(rows)
    assert "rss" not in rows  # no account to connect
    assert rows["fakeoauth"].capabilities == ["Listen", "Reply"]
    html = page.content.decode()
    assert "Fake OAuth network" in html and "?kind=fakeoauth" in html
    # The networks with a connector are no longer offered as "paste a token".
    manual = dict(login(owner).get(CONNECT).context["manual"])
    assert "linkedin" not in manual and "threads" not in manual and "tiktok" in manual
    assert "x" not in manual  # the X connector (OAuth 2.0) replaced « paste a token »


def test_pick_page_and_network_shortcut(workspace, owner, fakes):
    client = login(owner)
    pick = client.get(CONNECT)
    assert {c.kind for c in pick.context["connectors"]} >= {"fakeoauth", "fakepw"}
    form_page = client.get(CONNECT, {"network": "linkedin"})
    assert form_page.context["connector"].kind == "fakeoauth"
    assert set(form_page.context["form"].fields) == {"instance_url", "client_id", "client_secret"}


def test_oauth_form_shows_the_redirect_uri_and_hides_the_secret(workspace, owner, fakes):
    client = login(owner)
    page = client.get(CONNECT, {"kind": "fakeoauth"})
    assert REDIRECT_URI in page.content.decode()
    response = client.post(CONNECT, {**OAUTH_FIELDS, "instance_url": "https://nowhere.test"})
    assert response.status_code == 200 and response.context["form"].errors
    assert_no_secret(response)  # the typed secret is not rendered back


# --- OAuth, end to end ----------------------------------------------------------------------


def test_oauth_flow_end_to_end(workspace, owner, fakes):
    client = login(owner)
    url = start(client)
    assert url.startswith("https://social.test/oauth/authorize?")
    assert parse_qs(urlsplit(url).query)["redirect_uri"] == [REDIRECT_URI]
    # The flow waits in the session, encrypted: the client secret is not readable there.
    stored = json.dumps(dict(client.session))
    assert CLIENT_SECRET not in stored and "parvis-app" not in stored

    response = client.get(CALLBACK, authorize(fakes, url))
    assert response.status_code == 302 and response["Location"] == "/w/lumiere/accounts/"
    account = ConnectedAccount.objects.get()
    assert (account.workspace, account.network, account.handle) == (
        workspace,
        "linkedin",
        "@lumiere@social.test",
    )
    assert account.display_name == "Maison Lumière"
    assert account.credentials()["access_token"] == ACCESS_TOKEN
    assert account.credentials()["client_secret"] == CLIENT_SECRET
    assert flow.SESSION_KEY not in client.session
    page = client.get("/w/lumiere/accounts/")
    assert "@lumiere@social.test" in page.content.decode()
    assert_no_secret(page)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCOUNT_CONNECTED)
    assert event.details["handle"] == "@lumiere@social.test"
    assert_audit_clean()


def test_oauth_with_htmx_redirects_through_a_header(workspace, owner, fakes):
    client = login(owner)
    response = client.post(CONNECT, OAUTH_FIELDS, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("https://social.test/oauth/authorize?")
    assert_no_secret(response)
    assert client.get(CALLBACK, authorize(fakes, response["HX-Redirect"])).status_code == 302
    assert ConnectedAccount.objects.count() == 1


def test_state_mismatch_is_refused_and_ends_the_flow(workspace, owner, fakes):
    client = login(owner)
    url = start(client)
    answer = authorize(fakes, url)
    response = client.get(CALLBACK, {**answer, "state": answer["state"][:-2] + "xx"})
    assert response.status_code == 400
    assert "does not belong" in response.content.decode()
    # The flow was single use: even the right state is refused now.
    assert client.get(CALLBACK, answer).status_code == 400
    assert not ConnectedAccount.objects.exists()


def test_replay_of_a_callback_is_refused(workspace, owner, fakes):
    client = login(owner)
    answer = authorize(fakes, start(client))
    assert client.get(CALLBACK, answer).status_code == 302
    replay = client.get(CALLBACK, answer)
    assert replay.status_code == 400
    assert ConnectedAccount.objects.count() == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCOUNT_CONNECTED).count() == 1


def test_flow_expires_after_15_minutes(workspace, owner, fakes):
    client = login(owner)
    answer = authorize(fakes, start(client))
    later = time.time() + flow.STATE_TTL_SECONDS + 5
    with mock.patch.object(flow.time, "time", return_value=later):
        response = client.get(CALLBACK, answer)
    assert response.status_code == 400
    assert "15" in response.content.decode()
    assert not ConnectedAccount.objects.exists()


def test_access_denied_is_shown_kindly(workspace, owner, fakes):
    client = login(owner)
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(CALLBACK, {"error": "access_denied", "state": state})
    assert response.status_code == 200
    assert "You declined on Fake OAuth network" in response.content.decode()
    assert not ConnectedAccount.objects.exists()


def test_access_denied_in_french(workspace, owner, fakes, settings):
    settings.LANGUAGE_CODE = "fr"
    client = login(owner)
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    response = client.get(CALLBACK, {"error": "access_denied", "state": state})
    assert (
        "Vous avez refusé sur Fake OAuth network\u00a0: aucun compte" in response.content.decode()
    )


def test_other_errors_show_only_a_known_code(workspace, owner, fakes):
    client = login(owner)
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    response = client.get(
        CALLBACK,
        {"error": "<b>phish</b>", "error_description": "call +1 555", "state": state},
    )
    notice = re.search(r'id="oauth-error">(.*?)</div>', response.content.decode()).group(1)
    assert response.status_code == 400 and "invalid_response" in notice
    assert "phish" not in notice and "555" not in notice


def test_bad_code_is_an_error_without_secrets(workspace, owner, fakes):
    client = login(owner)
    url = start(client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(CALLBACK, {"code": "forged", "state": state})
    assert response.status_code == 400
    assert "HTTP 400" in response.content.decode()
    assert_no_secret(response)
    assert not ConnectedAccount.objects.exists()


def test_same_handle_again_renews_credentials(workspace, owner, fakes):
    existing = do_connect_account(
        workspace,
        owner,
        network="linkedin",
        handle="@lumiere@social.test",
        credentials={"access_token": "old-token"},
    )
    client = login(owner)
    response = client.get(CALLBACK, authorize(fakes, start(client)))
    assert response.status_code == 302
    account = ConnectedAccount.objects.get()
    assert account.pk == existing.pk
    assert account.credentials()["access_token"] == ACCESS_TOKEN
    assert account.display_name == "Maison Lumière"
    changed = AuditEvent.objects.get(kind=AuditEvent.Kind.CREDENTIALS_CHANGED)
    assert "access_token" in changed.details["fields"]
    renamed = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCOUNT_CHANGED)
    assert renamed.details["fields"] == ["display_name"] and renamed.actor == owner
    assert_audit_clean()


def test_member_of_another_workspace_gets_404(workspace, outsider, fakes):
    """A flow for `lumiere` in the session of someone who is not a member there (crafted:
    the pages would never have started it) ends in the same 404 as any foreign page."""
    client = login(outsider)
    assert client.get(CONNECT).status_code == 404
    session = client.session
    pending = flow.Pending("s" * 43, "lumiere", "fakeoauth", REDIRECT_URI, {}, time.time())
    flow.remember(session, pending)
    session.save()
    response = client.get(CALLBACK, {"code": "x", "state": "s" * 43})
    assert response.status_code == 404
    assert not fakes.requests  # nothing was exchanged with the network
    assert not ConnectedAccount.objects.exists()


def test_member_who_lost_the_permission_meanwhile_gets_403(workspace, owner, fakes):
    client = login(owner)
    answer = authorize(fakes, start(client))
    Membership.objects.filter(user=owner, workspace=workspace).update(role=Role.ANALYST)
    assert client.get(CALLBACK, answer).status_code == 403
    assert not ConnectedAccount.objects.exists()


def test_anonymous_callback_is_sent_to_login(client, fakes):
    response = client.get(CALLBACK, {"code": "x", "state": "y"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_callback_without_a_flow(workspace, owner, fakes):
    response = login(owner).get(CALLBACK, {"code": "x", "state": "y"})
    assert response.status_code == 400
    assert "No connection" in response.content.decode()


def test_authorization_url_must_be_a_web_address(workspace, owner, fakes):
    def sneaky(cls, http, fields, redirect_uri, state):
        return "javascript:alert(1)", {}

    with mock.patch.object(FakeOAuthConnector, "oauth_start", classmethod(sneaky)):
        response = login(owner).post(CONNECT, OAUTH_FIELDS)
    assert response.status_code == 200
    assert "not a web address" in str(response.context["form"].non_field_errors())
    assert "javascript:" not in response.content.decode()


def test_analyst_cannot_connect(workspace, member_factory, fakes):
    client = login(member_factory(Role.ANALYST))
    assert client.get(CONNECT, {"kind": "fakeoauth"}).status_code == 403
    assert client.post(CONNECT, OAUTH_FIELDS).status_code == 403
    assert not fakes.requests


# --- app password ---------------------------------------------------------------------------

PW_FIELDS = {"kind": "fakepw", "identifier": "lumiere.pw.test", "app_password": APP_PASSWORD}


def test_app_password_connects(workspace, owner, fakes):
    client = login(owner)
    page = client.get(CONNECT, {"kind": "fakepw"})
    assert 'type="password"' in page.content.decode()  # app_password is a secret field
    response = client.post(CONNECT, PW_FIELDS, follow=True)
    assert response.status_code == 200
    assert_no_secret(response)
    account = ConnectedAccount.objects.get()
    assert (account.network, account.handle) == ("threads", "lumiere.pw.test")
    assert account.credentials() == {"app_password": APP_PASSWORD, "did": "did:plc:x"}
    assert_audit_clean()


def test_wrong_app_password_is_a_form_error_without_the_password(workspace, owner, fakes):
    wrong = "wrong-pass-1234-SECRET"
    response = login(owner).post(CONNECT, {**PW_FIELDS, "app_password": wrong})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "sign-in refused" in errors and "HTTP" not in errors
    body = response.content.decode()
    # The network echoed it back in its error; neither the message nor the form shows it.
    assert wrong not in body and "•••" in body
    assert not ConnectedAccount.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCOUNT_CONNECTED).exists()


def test_unreachable_network_is_a_form_error(workspace, owner, fakes):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with mock.patch.object(
        connector_http, "client", lambda transport=None: REAL_CLIENT(httpx.MockTransport(down))
    ):
        response = login(owner).post(CONNECT, PW_FIELDS)
    assert "could not be reached" in str(response.context["form"].non_field_errors())
    assert_no_secret(response)


# --- the rest of the accounts pages ---------------------------------------------------------


def test_guided_account_is_reconnected_not_edited(workspace, owner, fakes):
    account = do_connect_account(
        workspace, owner, network="threads", handle="lumiere.pw.test", credentials={"a": "b"}
    )
    page = login(owner).get(f"/w/lumiere/accounts/{account.pk}/")
    assert "form" not in page.context
    assert re.search(r"/accounts/connect/\?network=threads", page.content.decode())


def test_token_page_offers_only_networks_without_connector(workspace, owner, fakes):
    client = login(owner)
    page = client.get("/w/lumiere/accounts/connect/token/")
    codes = {code for code, _label in page.context["form"].fields["network"].choices}
    assert "tiktok" in codes and "x" not in codes and "linkedin" not in codes and "rss" not in codes
    response = client.post(
        "/w/lumiere/accounts/connect/token/",
        {"network": "linkedin", "handle": "h", "cred_access_token": "t" * 10},
    )
    assert response.status_code == 200
    assert not ConnectedAccount.objects.exists()


# --- the real connectors, against their fake networks ---------------------------------------


def fake_network(kind: str):
    module = pytest.importorskip(f"tests.connectors.fakes.{kind}")
    if kind not in base.load_all():
        pytest.skip(f"no {kind} connector installed")
    return module


def through(fake_transport: httpx.BaseTransport):
    return mock.patch.object(
        connector_http, "client", lambda transport=None: REAL_CLIENT(transport=fake_transport)
    )


def test_mastodon_connects_through_oauth_then_a_source_reads_through_it(workspace, owner):
    module = fake_network("mastodon")
    fake = module.Fake()
    client = login(owner)
    with through(fake.transport()):
        page = client.get(CONNECT, {"network": "mastodon"})
        assert page.context["connector"].kind == "mastodon" and page.context["oauth"]
        response = client.post(CONNECT, {"kind": "mastodon", "instance_url": module.INSTANCE})
        assert response.status_code == 200, response.content[:300]
        url = response.context["url"]
        query = parse_qs(urlsplit(url).query)
        assert query["redirect_uri"] == [REDIRECT_URI]
        done = client.get(CALLBACK, {"code": fake.authorize(url), "state": query["state"][0]})
    assert done.status_code == 302
    account = ConnectedAccount.objects.get()
    assert (account.network, account.handle) == ("mastodon", f"@parvis@{module.HOST}")
    assert account.credentials()["access_token"] == module.TOKEN
    for event in AuditEvent.objects.all():
        assert module.TOKEN not in json.dumps(event.details)
    # The sources form offers it; a source added there reads through it.
    form = client.get("/w/lumiere/listening/sources/new/", {"kind": "mastodon"}).context["form"]
    assert list(form.fields["account"].queryset) == [account]
    MonitoredQuery.objects.create(workspace=workspace, name="Marque", expression='"maison lumière"')
    fake.publish(Post(text="Maison Lumière, la plus belle bougie"))
    with mock.patch("parvis.listening.tasks.run_source_task"):
        added = client.post(
            "/w/lumiere/listening/sources/new/",
            {
                "kind": "mastodon",
                "name": "Mastodon",
                "every_minutes": 15,
                "cfg_mode": "search",
                "cfg_backfill_days": 0,
                "account": account.pk,
            },
        )
    assert added.status_code == 302, added.context["form"].errors
    source = Source.objects.get()
    assert source.account == account
    fake.requests.clear()
    run_source(source.pk, http_client=REAL_CLIENT(transport=fake.transport()))
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert Mention.objects.filter(workspace=workspace).count() == 1
    assert fake.requests
    assert all(r.headers["Authorization"] == f"Bearer {module.TOKEN}" for r in fake.requests)


def test_bluesky_connects_with_an_app_password(workspace, owner):
    module = fake_network("bluesky")
    fake = module.Fake()
    client = login(owner)
    fields = {"kind": "bluesky", "handle": module.OUR_HANDLE, "service_url": module.ENTRYWAY}
    with through(fake.transport()):
        wrong = client.post(CONNECT, {**fields, "app_password": "wxyz-wxyz-wxyz-wxyz"})
        assert wrong.status_code == 200 and wrong.context["form"].non_field_errors()
        assert "wxyz-wxyz-wxyz-wxyz" not in wrong.content.decode()
        response = client.post(CONNECT, {**fields, "app_password": module.APP_PASSWORD})
    assert response.status_code == 302, response.content[:300]
    account = ConnectedAccount.objects.get()
    assert (account.network, account.handle) == ("bluesky", module.OUR_HANDLE)
    assert account.credentials()["app_password"] == module.APP_PASSWORD


# --- coming back to the page that asked for an account --------------------------------------

BACK = "/w/lumiere/listening/sources/new/?kind=rss"


def test_app_password_returns_to_the_page_that_asked(workspace, owner, fakes):
    client = login(owner)
    page = client.get(CONNECT, {"kind": "fakepw", "next": BACK})
    assert 'name="next"' in page.content.decode()
    response = client.post(CONNECT, {**PW_FIELDS, "next": BACK})
    assert response.status_code == 302 and response["Location"] == BACK


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.test/w/lumiere/", "//evil.test/w/lumiere/", "/w/rival/"]
)
def test_only_pages_of_the_same_workspace_are_returned_to(workspace, owner, fakes, elsewhere):
    response = login(owner).post(CONNECT, {**PW_FIELDS, "next": elsewhere})
    assert response["Location"] == "/w/lumiere/accounts/"


def test_pick_page_passes_the_return_page_on(workspace, owner, fakes):
    page = login(owner).get(CONNECT, {"next": BACK})
    assert f"?kind=fakepw&amp;next={quote(BACK, safe='/')}" in page.content.decode()


def test_oauth_returns_to_the_page_that_asked(workspace, owner, fakes):
    client = login(owner)
    response = client.post(f"{CONNECT}?{urlencode({'next': BACK})}", OAUTH_FIELDS)
    url = response.context["url"]
    done = client.get(CALLBACK, authorize(fakes, url))
    assert done.status_code == 302 and done["Location"] == BACK


def test_source_form_links_to_connecting_and_back(workspace, owner, fakes):
    """A source of a kind that reads through an account, with none connected yet: the form
    links to connecting one, which comes back to the form, where the account is offered."""
    client = login(owner)
    form_path = "/w/lumiere/listening/sources/new/?kind=fakepw"
    page = client.get(form_path)
    link = re.search(r'href="(/w/lumiere/accounts/connect/\?[^"]+)"', page.content.decode())
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query == {"network": ["threads"], "next": [form_path]}
    response = client.post(CONNECT, {**PW_FIELDS, "next": query["next"][0]})
    assert response["Location"] == form_path
    account = ConnectedAccount.objects.get()
    back = client.get(form_path)
    assert list(back.context["form"].fields["account"].queryset) == [account]


def test_a_network_down_is_said_in_the_persons_language_with_what_to_do():
    # What a connector raises when the network cannot be reached (connectors/http.py), as
    # the connect pages show it: « ConnectError reaching mastodon.social » alone was English.
    from django.utils import translation

    from parvis.connectors import flow
    from parvis.connectors.base import RetryLater

    with translation.override("fr"):
        text = flow.error_text(RetryLater("ConnectError reaching mastodon.social"), ["s3cret"])
    assert text.startswith("Impossible de joindre le réseau pour l'instant")
    assert "(ConnectError reaching mastodon.social)" in text
    assert "réessayez dans quelques minutes" in text
    with translation.override("fr"):
        typed = flow.error_text(RetryLater("HTTP 503 from s3cret.example"), ["s3cret"])
    assert "s3cret" not in typed
