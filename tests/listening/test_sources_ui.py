"""Sources in the web pages: add (pick a kind, then its settings), edit, pause, resume, run
now, delete; the do_* functions behind them; permissions and the kinds that are never offered.

A throw-away connector ("probe", network "mastodon", needs an account) stands for the network
connectors being written elsewhere; RSS is the real one."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from parvis.connectors import base
from parvis.connectors.base import (
    Auth,
    Capability,
    Connector,
    FetchContext,
    FetchResult,
    PermanentError,
    SettingField,
)
from parvis.connectors.jsonl import parse_line
from parvis.connectors.services import do_connect_account, do_remove_account
from parvis.listening import pipeline, runner, sources
from parvis.listening.models import Mention, Source, SourceStatus
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (French, the default, is checked where it matters)."""
    settings.LANGUAGE_CODE = "en"


NEW = "/w/lumiere/listening/sources/new/"
LIST = "/w/lumiere/listening/sources/"


class ProbeConnector(Connector):
    kind = "probe"
    label = "Probe network"
    network = "mastodon"
    capabilities = frozenset({Capability.LISTEN, Capability.OWN_ACTIVITY})
    auth = Auth.OAUTH2
    needs_account = True
    settings_fields: ClassVar = (
        SettingField("search", "Search", "Words to look for", required=True),
        SettingField("limit", "Page size", kind="int", default=40),
        SettingField("mode", "Mode", kind="choice", choices=(("all", "All"), ("own", "Own"))),
        SettingField("keep_all", "Keep all", kind="bool", default=False),
        SettingField("home", "Home page", kind="url"),
    )

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        if "forbidden" in str(config.get("search", "")):
            raise ValueError("the search may not contain forbidden words")
        return {**config, "limit": int(config.get("limit", 40))}

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        raise PermanentError("the token was revoked: reconnect the account")


@pytest.fixture
def probe():
    base.load_all()
    base.register(ProbeConnector)
    yield ProbeConnector
    base.REGISTRY.pop(ProbeConnector.kind, None)


@pytest.fixture
def account(workspace, owner):
    return do_connect_account(
        workspace, owner, network="mastodon", handle="@lumiere@mastodon.test", credentials={}
    )


@pytest.fixture
def no_worker():
    """Runs are handed to a worker once the transaction commits; here they are recorded at
    once (the test's transaction never commits)."""
    with (
        mock.patch("parvis.listening.tasks.run_source_task") as task,
        mock.patch("django.db.transaction.on_commit", lambda func, *a, **k: func()),
    ):
        yield task


def rss_source(workspace, **kwargs) -> Source:
    return sources.do_create_source(
        workspace, kind="rss", name="Blog", config={"url": "https://blog.test/feed"}, **kwargs
    )


# --- step 1: the kinds ----------------------------------------------------------------------


def test_kinds_page_lists_connectors_with_capabilities_and_hides_server_ones(
    workspace, owner, probe
):
    page = login(owner).get(NEW)
    assert page.status_code == 200
    kinds = {k.kind: k for k in page.context["kinds"]}
    assert {"rss", "probe"} <= set(kinds)
    # These read files on the server, or exist for the demo: never offered in the pages.
    assert "jsonl_file" not in kinds and "demo" not in kinds
    assert kinds["probe"].capabilities == ["Listen", "Own activity"]
    assert kinds["probe"].needs_account
    html = page.content.decode()
    assert "Probe network" in html and "?kind=probe" in html


def test_unknown_or_server_only_kind_goes_back_to_the_list(workspace, owner):
    client = login(owner)
    for kind in ["jsonl_file", "demo", "nope"]:
        page = client.get(NEW, {"kind": kind})
        assert "kinds" in page.context, kind
        response = client.post(NEW, {"kind": kind, "name": "x", "every_minutes": 5})
        assert "kinds" in response.context
    assert not Source.objects.exists()


# --- step 2: the settings form --------------------------------------------------------------


def test_form_is_built_from_settings_fields(workspace, owner, probe, account):
    page = login(owner).get(NEW, {"kind": "probe"})
    form = page.context["form"]
    assert {"cfg_search", "cfg_limit", "cfg_mode", "cfg_keep_all", "cfg_home", "account"} <= set(
        form.fields
    )
    assert form.fields["cfg_search"].required and form.fields["cfg_search"].help_text
    assert form.fields["cfg_limit"].initial == 40
    assert form.fields["account"].required  # needs_account
    assert list(form.fields["account"].queryset) == [account]


def test_account_select_lists_only_this_workspace_and_network(
    workspace, other_workspace, owner, probe, account
):
    do_connect_account(workspace, owner, network="bluesky", handle="b.test", credentials={})
    do_connect_account(
        other_workspace, owner, network="mastodon", handle="@rival@m.test", credentials={}
    )
    page = login(owner).get(NEW, {"kind": "probe"})
    assert list(page.context["form"].fields["account"].queryset) == [account]


def test_needed_account_missing_says_so(workspace, owner, probe):
    page = login(owner).get(NEW, {"kind": "probe"})
    assert page.context["no_account"]
    assert "/accounts/connect/?network=mastodon" in page.content.decode()


def test_add_rss_source(workspace, owner, no_worker):
    client = login(owner)
    page = client.get(NEW, {"kind": "rss"})
    assert "account" not in page.context["form"].fields  # RSS needs none
    response = client.post(
        NEW,
        {
            "kind": "rss",
            "name": "Le blog",
            "every_minutes": 30,
            "cfg_url": "https://blog.test/feed.xml",
            "cfg_keep_all": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == LIST
    source = Source.objects.get()
    assert (source.kind, source.name, source.interval_seconds) == ("rss", "Le blog", 1800)
    assert source.config == {"url": "https://blog.test/feed.xml", "keep_all": True}
    assert source.workspace == workspace and source.account is None
    no_worker.assert_called_once_with(source.pk)  # the first run starts right away


def test_add_source_with_account(workspace, owner, probe, account, no_worker):
    response = login(owner).post(
        NEW,
        {
            "kind": "probe",
            "name": "Mastodon",
            "every_minutes": 5,
            "cfg_search": "lumière",
            "cfg_mode": "own",
            "account": account.pk,
        },
    )
    assert response.status_code == 302
    source = Source.objects.get()
    assert source.account == account
    assert source.config == {"search": "lumière", "limit": 40, "mode": "own", "keep_all": False}


def test_required_account_is_a_form_error(workspace, owner, probe, account, no_worker):
    response = login(owner).post(
        NEW, {"kind": "probe", "name": "M", "every_minutes": 5, "cfg_search": "x"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["account"]
    assert not Source.objects.exists()


def test_account_of_another_workspace_is_refused(
    workspace, other_workspace, owner, probe, no_worker
):
    foreign = do_connect_account(
        other_workspace, owner, network="mastodon", handle="@rival@m.test", credentials={}
    )
    response = login(owner).post(
        NEW,
        {
            "kind": "probe",
            "name": "M",
            "every_minutes": 5,
            "cfg_search": "x",
            "account": foreign.pk,
        },
    )
    assert response.context["form"].errors["account"]
    assert not Source.objects.exists()


def test_validate_config_error_is_a_form_error(workspace, owner, probe, account, no_worker):
    response = login(owner).post(
        NEW,
        {
            "kind": "probe",
            "name": "M",
            "every_minutes": 5,
            "cfg_search": "forbidden words",
            "account": account.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "the search may not contain forbidden words"
    ]
    assert not Source.objects.exists()
    no_worker.assert_not_called()


def test_bad_values_are_form_errors(workspace, owner, no_worker):
    response = login(owner).post(
        NEW, {"kind": "rss", "name": "", "every_minutes": 0, "cfg_url": "ftp://x"}
    )
    errors = response.context["form"].errors
    assert {"name", "every_minutes", "cfg_url"} <= set(errors)
    assert not Source.objects.exists()


# --- the list -------------------------------------------------------------------------------


def test_list_shows_account_and_error_pause_with_resume(workspace, owner, probe, account):
    source = sources.do_create_source(
        workspace, kind="probe", name="Masto", config={"search": "x"}, account=account
    )
    runner.run_source(source.pk)
    source.refresh_from_db()
    assert source.status == SourceStatus.PAUSED
    html = login(owner).get(LIST).content.decode()
    assert "@lumiere@mastodon.test" in html
    assert "the token was revoked: reconnect the account" in html
    assert f"/sources/{source.pk}/resume/" in html
    assert f"/sources/{source.pk}/run/" not in html


def test_analyst_sees_sources_but_no_buttons(workspace, member_factory, no_worker):
    source = rss_source(workspace)
    client = login(member_factory(Role.ANALYST))
    html = client.get(LIST).content.decode()
    assert "Blog" in html and "/sources/new/" not in html and "/run/" not in html
    assert client.get(NEW).status_code == 403
    assert client.get(f"{LIST}{source.pk}/").status_code == 403
    for action in ["pause", "resume", "run", "delete"]:
        assert client.post(f"{LIST}{source.pk}/{action}/").status_code == 403
    assert Source.objects.filter(pk=source.pk, is_active=True).exists()


def test_community_manager_manages_sources(workspace, member_factory, no_worker):
    client = login(member_factory(Role.COMMUNITY_MANAGER))
    assert client.get(NEW).status_code == 200


# --- edit and actions -----------------------------------------------------------------------


def test_edit_changes_settings_and_restarts_the_cursor(workspace, owner, no_worker):
    source = rss_source(workspace)
    Source.objects.filter(pk=source.pk).update(cursor={"etag": "abc"})
    client = login(owner)
    page = client.get(f"{LIST}{source.pk}/")
    assert page.context["form"].initial["cfg_url"] == "https://blog.test/feed"
    assert page.context["form"].initial["every_minutes"] == 15
    response = client.post(
        f"{LIST}{source.pk}/",
        {"kind": "probe", "name": "Blog 2", "every_minutes": 60, "cfg_url": "https://b.test/rss"},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.kind == "rss"  # a posted kind changes nothing
    assert source.name == "Blog 2" and source.interval_seconds == 3600
    assert source.config == {"url": "https://b.test/rss", "keep_all": False}
    assert source.cursor == {}


def test_edit_with_same_settings_keeps_the_cursor(workspace, owner):
    source = rss_source(workspace)
    sources.do_update_source(
        source,
        name="Renamed",
        config={"url": "https://blog.test/feed"},
        interval_seconds=900,
        account=None,
    )
    Source.objects.filter(pk=source.pk).update(cursor={"etag": "abc"})
    source.refresh_from_db()
    sources.do_update_source(
        source,
        name="Renamed again",
        config={"url": "https://blog.test/feed"},
        interval_seconds=900,
        account=None,
    )
    source.refresh_from_db()
    assert source.cursor == {"etag": "abc"} and source.name == "Renamed again"


def test_edit_validation_error_keeps_the_source(workspace, owner):
    source = rss_source(workspace)
    with pytest.raises(ValueError):
        sources.do_update_source(
            source,
            name="x",
            config={"url": "file:///etc/passwd"},
            interval_seconds=60,
            account=None,
        )
    source.refresh_from_db()
    assert source.config["url"] == "https://blog.test/feed"


def test_edit_of_a_server_only_source_is_404(workspace, owner):
    source = Source.objects.create(
        workspace=workspace, kind="jsonl_file", name="File", config={"path": "/tmp/x.jsonl"}
    )
    client = login(owner)
    assert client.get(f"{LIST}{source.pk}/").status_code == 404
    html = client.get(LIST).content.decode()
    assert f'/sources/{source.pk}/"' not in html  # no edit link
    assert f"/sources/{source.pk}/pause/" in html  # the rest still applies


def test_pause_resume_and_run_now(workspace, owner, no_worker):
    source = rss_source(workspace)
    client = login(owner)
    client.post(f"{LIST}{source.pk}/pause/")
    source.refresh_from_db()
    assert not source.is_active and source.next_run_at is None
    assert source.pk not in runner.claim_due_sources()
    # A paused source is not run by "run now".
    client.post(f"{LIST}{source.pk}/run/")
    no_worker.assert_not_called()
    client.post(f"{LIST}{source.pk}/resume/")
    source.refresh_from_db()
    assert source.is_active and source.status == SourceStatus.OK
    no_worker.assert_called_once_with(source.pk)  # it runs now; the next run after that
    assert source.next_run_at > timezone.now()
    client.post(f"{LIST}{source.pk}/run/")
    assert no_worker.call_count == 2


def test_resume_after_permanent_error(workspace, probe, account):
    source = sources.do_create_source(
        workspace, kind="probe", name="M", config={"search": "x"}, account=account
    )
    runner.run_source(source.pk)
    source.refresh_from_db()
    assert source.status == SourceStatus.PAUSED and source.consecutive_failures == 1
    sources.do_resume_source(source)
    source.refresh_from_db()
    assert source.status == SourceStatus.OK and source.consecutive_failures == 0
    assert source.pk in runner.claim_due_sources()


def test_delete_keeps_mentions(workspace, owner, no_worker):
    source = rss_source(workspace)
    items = [parse_line(1, lines([mention(1)])[0])]
    pipeline.run(workspace, items, source=source, origin="t", cursor={}, keep_unmatched=True)
    response = login(owner).post(f"{LIST}{source.pk}/delete/")
    assert response.status_code == 302
    assert not Source.objects.exists()
    assert Mention.objects.filter(workspace=workspace).count() == 1


def test_get_on_actions_is_refused(workspace, owner):
    source = rss_source(workspace)
    client = login(owner)
    for action in ["pause", "resume", "run", "delete"]:
        assert client.get(f"{LIST}{source.pk}/{action}/").status_code == 405
    assert Source.objects.filter(pk=source.pk, is_active=True).exists()


def test_other_workspace_source_is_404(workspace, other_workspace, owner, outsider, no_worker):
    source = rss_source(workspace)
    client = login(outsider)
    assert client.get(f"/w/rival/listening/sources/{source.pk}/").status_code == 404
    for action in ["pause", "resume", "run", "delete"]:
        assert client.post(f"/w/rival/listening/sources/{source.pk}/{action}/").status_code == 404
    assert Source.objects.filter(pk=source.pk, is_active=True).exists()
    no_worker.assert_not_called()


# --- the command line -----------------------------------------------------------------------


def test_cli_sources_add_with_account(workspace, owner, other_workspace, probe, account, capsys):
    from parvis.cli import main

    args = ["sources", "add", "--workspace", "lumiere", "--kind", "probe", "--name", "M"]
    args += ["--config", '{"search": "x"}']
    assert main([*args, "--account", str(account.pk)]) == 0
    source = Source.objects.get(pk=int(capsys.readouterr().out.strip()))
    assert source.account == account
    # Without it, a kind that needs one is refused; an account of another workspace is unknown.
    assert main(args) != 0
    foreign = do_connect_account(
        other_workspace, owner, network="mastodon", handle="@r@m.test", credentials={}
    )
    assert main([*args, "--account", str(foreign.pk)]) != 0
    assert "no connected account" in capsys.readouterr().err
    assert Source.objects.count() == 1


def test_every_offered_kind_has_a_working_form(workspace, owner):
    """Whatever connectors are installed, each offered kind's form renders, one field per
    declared setting, and an empty post is answered with form errors, not a crash."""
    from parvis.connectors import ui

    client = login(owner)
    for connector in ui.source_kinds():
        page = client.get(NEW, {"kind": connector.kind})
        assert page.status_code == 200, connector.kind
        fields = page.context["form"].fields
        for spec in connector.settings_fields:
            assert f"cfg_{spec.name}" in fields, (connector.kind, spec.name)
        response = client.post(NEW, {"kind": connector.kind})
        assert response.status_code == 200 and response.context["form"].errors, connector.kind
    assert not Source.objects.exists()


def test_address_settings_accept_websockets_and_assume_https(workspace, owner, probe):
    from parvis.connectors import ui

    field = ui.form_field(SettingField("stream", "Stream", kind="url"))
    assert field.clean("wss://relay.example/subscribe") == "wss://relay.example/subscribe"
    assert field.clean("blog.example/feed") == "https://blog.example/feed"
    with pytest.raises(ValidationError):
        field.clean("javascript:alert(1)")


def test_run_now_is_not_run_twice_by_the_scheduler(workspace, no_worker):
    source = rss_source(workspace)
    assert source.pk in runner.claim_due_sources()  # a new source is due at once
    sources.do_resume_source(source)
    sources.do_run_now(source)
    no_worker.assert_called_once_with(source.pk)
    assert source.pk not in runner.claim_due_sources()


def test_run_now_with_the_queue_down_leaves_it_to_the_scheduler(workspace, no_worker):
    source = rss_source(workspace)
    no_worker.side_effect = ConnectionError("queue down")
    sources.do_run_now(source)
    assert source.pk in runner.claim_due_sources()


def test_actions_with_htmx_swap_the_row(workspace, owner, no_worker):
    source = rss_source(workspace)
    client = login(owner)
    response = client.post(f"{LIST}{source.pk}/pause/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<tr data-source="{source.pk}" id="source-{source.pk}">')
    assert "Source paused" in html and f"/sources/{source.pk}/resume/" in html
    response = client.post(f"{LIST}{source.pk}/run/", HTTP_HX_REQUEST="true")
    assert "resume it to run it" in response.content.decode()
    no_worker.assert_not_called()
    response = client.post(f"{LIST}{source.pk}/resume/", HTTP_HX_REQUEST="true")
    assert f"/sources/{source.pk}/pause/" in response.content.decode()
    no_worker.assert_called_once_with(source.pk)


# --- the do_* functions, directly -----------------------------------------------------------


def test_do_pause_source_stops_the_schedule_until_resumed(workspace):
    source = rss_source(workspace)
    sources.do_pause_source(source)
    source.refresh_from_db()
    assert not source.is_active and source.next_run_at is None
    assert source.pk not in runner.claim_due_sources()
    assert runner.run_source(source.pk).as_dict() == runner.Summary().as_dict()
    sources.do_resume_source(source)
    assert source.pk in runner.claim_due_sources()


def test_do_update_source_checks_the_account(workspace, other_workspace, owner, probe, account):
    source = sources.do_create_source(
        workspace, kind="probe", name="M", config={"search": "x"}, account=account
    )
    foreign = do_connect_account(
        other_workspace, owner, network="mastodon", handle="@r@m.test", credentials={}
    )
    other_network = do_connect_account(
        workspace, owner, network="bluesky", handle="b.test", credentials={}
    )
    for wrong in [foreign, other_network, None]:
        with pytest.raises(ValueError):
            sources.do_update_source(
                source, name="M", config={"search": "x"}, interval_seconds=60, account=wrong
            )
    source.refresh_from_db()
    assert source.account == account and source.interval_seconds == 900


def test_do_delete_source(workspace):
    source = rss_source(workspace)
    sources.do_delete_source(source)
    assert not Source.objects.exists()


def test_removing_an_account_pauses_its_sources_with_what_to_do(workspace, owner, probe, account):
    source = sources.do_create_source(
        workspace, kind="probe", name="Probe", config={"search": "x"}, account=account
    )
    other = rss_source(workspace)
    do_remove_account(account, owner)
    source.refresh_from_db()
    other.refresh_from_db()
    assert source.status == SourceStatus.PAUSED and source.next_run_at is None
    assert source.account is None
    assert "@lumiere@mastodon.test was removed" in source.last_error
    assert other.status == SourceStatus.OK and other.next_run_at is not None


# --- plain words ----------------------------------------------------------------------------

JARGON = ("PDS", "AppView", "atproto", "did:web", "firehose", "Firehose")


def visible_text(html: str) -> str:
    """What a person reads: the text between tags, without attribute values."""
    return " ".join(re.sub(r"<[^>]*>", " ", html).split())


def test_no_internal_kind_name_on_the_sources_and_account_pages(workspace, owner):
    client = login(owner)
    kinds = set(base.load_all()) - {"rss"}  # "rss" is also the network's usual name
    pages = [
        NEW,
        "/w/lumiere/listening/sources/",
        "/w/lumiere/accounts/",
        "/w/lumiere/accounts/connect/",
        *(f"{NEW}?kind={kind}" for kind in ("bluesky", "youtube", "youtube_oauth", "mastodon")),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        words = set(re.findall(r"[\w-]+", visible_text(response.content.decode())))
        assert not words & kinds, (url, words & kinds)


def test_bluesky_form_speaks_plainly_and_folds_the_technical_fields(workspace, owner):
    html = login(owner).get(NEW, {"kind": "bluesky"}).content.decode()
    plain, _, advanced = html.partition('<details class="advanced"')
    assert advanced, "the technical fields are under « Avancé »"
    assert 'name="cfg_mode"' in plain and 'name="cfg_terms"' in plain
    for name in ("service_url", "appview_url", "appview_did", "appview_direct", "firehose_url"):
        assert f'name="cfg_{name}"' in advanced and f'name="cfg_{name}"' not in plain, name
    for word in JARGON:
        assert word not in visible_text(plain), word
    # The defaults work for most people: the reading service is filled in.
    assert 'value="did:web:api.bsky.app#bsky_appview"' in advanced


def test_advanced_section_opens_when_one_of_its_fields_has_an_error(workspace, owner):
    response = login(owner).post(
        NEW,
        {"kind": "bluesky", "name": "x", "every_minutes": 5, "cfg_mode": "search"}
        | {"cfg_service_url": "not an address"},
    )
    html = response.content.decode()
    assert '<details class="advanced" id="advanced-fields" open>' in html


def test_accounts_page_names_the_stored_credentials_in_words(workspace, owner):
    do_connect_account(
        workspace,
        owner,
        network="youtube",
        handle="@maisonlumiere",
        credentials={"api_key": "AIza-secret", "channel_id": "UC1", "vendor_thing": "x"},
    )
    text = visible_text(login(owner).get("/w/lumiere/accounts/").content.decode())
    assert "api_key" not in text and "channel_id" not in text and "vendor_thing" not in text
    assert "API key ✓" in text and "channel ✓" in text and "vendor thing ✓" in text
