"""The isolation matrix: every workspace-scoped URL and API endpoint, enumerated from the
URL resolver and the OpenAPI document, answers 404 to a member of another workspace and
asks an anonymous visitor to log in (302 to the login page, or 401 on the API).

A new endpoint is covered without touching this file, unless it takes a parameter this
file cannot fill: then `test_every_parameter_can_be_filled` fails and says which.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from parvis.api.api import api
from parvis.connectors.services import do_connect_account
from parvis.workspaces.models import Membership
from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}{p.name}", p.callback


def scoped_routes():
    return [
        (route, name, view)
        for route, name, view in walk(get_resolver().url_patterns)
        if "<slug:slug>" in route
    ]


ROUTES = scoped_routes()


@pytest.fixture
def world(workspace, owner, outsider, populated):
    """Objects of `workspace`, one per kind a URL can point to."""
    account = do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle="lumiere.test",
        credentials={"app_password": "x"},
    )
    membership = Membership.objects.get(workspace=workspace, user=owner)
    return {
        "account": account,
        "membership": membership,
        **populated,
        **listening(workspace, owner),
        **inbox(workspace, owner),
        **moderation(workspace, owner),
        **alerts(workspace, owner),
        **publishing(workspace, owner, account),
        **written_report(workspace, owner),
    }


def written_report(workspace, owner) -> dict:
    """A report of the workspace, written (its file in the data dir), for the download URLs."""
    from parvis.analytics import reports

    asked = reports.do_request_report(
        workspace, owner, dt.date(2026, 1, 1), dt.date(2026, 1, 31), "csv"
    )
    return {"report": reports.run_report(asked.pk)}


def publishing(workspace, owner, account) -> dict:
    """One post (a draft to the account) and one campaign."""
    from parvis.publishing.services import do_create_campaign, do_create_post

    campaign = do_create_campaign(workspace, owner, "Lancement")
    post = do_create_post(workspace, owner, "Bientôt", variants={account.pk: ""}, campaign=campaign)
    return {"post": post, "campaign": campaign}


def publishing_media(world: dict):
    """An uploaded file of the world's post (made on first use), for the pages' media URL."""
    from parvis.publishing.services import do_upload_media
    from tests.publishing.pubui_helpers import png

    if "media" not in world:
        world["media"] = do_upload_media(world["post"].workspace, None, png(), filename="a.png")
    return world["media"]


def publishing_contest(world: dict):
    """A contest on a published copy of the world's post (made on first use)."""
    from datetime import timedelta

    from django.utils import timezone

    from parvis.publishing.contest_services import do_create_contest
    from parvis.publishing.models import Status, Variant
    from parvis.publishing.services import do_create_post

    if "contest" not in world:
        post = world["post"]
        account = world["account"]
        published = do_create_post(post.workspace, None, "Concours", variants={account.pk: ""})
        Variant.objects.filter(post=published).update(
            status=Status.PUBLISHED, external_id="at://did:plc:lumiere/app.bsky.feed.post/c1"
        )
        variant = Variant.objects.get(post=published)
        world["contest"] = do_create_contest(
            variant, None, name="Concours", closes_at=timezone.now() + timedelta(days=1)
        )
    return world["contest"]


def publishing_series(world: dict):
    """A weekly series of the world's account (made on first use), for the series' URLs."""
    import datetime as dt

    from parvis.publishing.series import do_create_series

    if "series" not in world:
        world["series"] = do_create_series(
            world["post"].workspace,
            None,
            accounts=[world["account"].pk],
            name="Lundi",
            text="Bonne semaine",
            weekdays=[0],
            time=dt.time(9, 0),
            starts_on=dt.date(2030, 1, 7),
        )
    return world["series"]


def publishing_event(world: dict):
    """A live event of the world's account (made on first use), for the live URLs."""
    import datetime as dt

    from parvis.publishing.live import do_save_event

    if "live_event" not in world:
        start = dt.datetime(2030, 6, 1, 18, 0, tzinfo=dt.UTC)
        world["live_event"] = do_save_event(
            world["post"].workspace,
            None,
            accounts=[world["account"].pk],
            name="Gala",
            hashtag="gala",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
        )
    return world["live_event"]


def alerts(workspace, owner) -> dict:
    """One alert rule and one episode."""
    from django.utils import timezone

    from parvis.alerts.models import Episode, Notice
    from parvis.alerts.services import do_save_rule

    rule, _ = do_save_rule(workspace, owner, {"name": "Pic", "kind": "spike"})
    now = timezone.now()
    episode = Episode.objects.create(
        workspace=workspace, kind="volume", opened_at=now, fired_at=now, last_event_at=now
    )
    notice = Notice.objects.create(
        workspace=workspace, user=owner, key="k", kind="test", title="t", created_at=now
    )
    return {
        "alert_rule": rule,
        "episode": episode,
        "notice": notice,
        **crisis(workspace, owner, episode),
    }


def crisis(workspace, owner, episode) -> dict:
    """The episode's crisis (with its checklist) and one holding statement."""
    from parvis.alerts.crisis.services import do_save_statement, do_start_crisis

    started, _ = do_start_crisis(episode, owner)
    statement = do_save_statement(
        workspace, owner, title="Attente", language="fr", text="{marque} examine la situation."
    )
    return {"crisis": started, "task": started.tasks.first(), "statement": statement}


def inbox(workspace, owner) -> dict:
    """One conversation (with its message) and one saved reply."""
    from parvis.inbox.services import do_save_reply
    from tests.inbox.factories import make_conversation

    saved = do_save_reply(workspace, owner, title="Merci", text="Merci {prénom}")
    return {"conversation": make_conversation(workspace), "saved_reply": saved}


def moderation(workspace, owner) -> dict:
    """One rule, one review item and one listed author (the message is the inbox's)."""
    from django.utils import timezone

    from parvis.inbox.models import Message
    from parvis.moderation.models import ReviewItem
    from parvis.moderation.services import add_to_list, do_save_rule

    rule = do_save_rule(
        workspace,
        owner,
        name="Liens",
        reason="spam",
        conditions=[{"kind": "contains", "what": "link"}],
        actions=[{"kind": "review"}],
    )
    message = Message.objects.filter(workspace=workspace).order_by("id").first()
    review = ReviewItem.objects.create(
        workspace=workspace, message=message, reason="spam", created_at=timezone.now()
    )
    entry = add_to_list(workspace, "VIP", "bluesky", "a.test", owner).entries.get()
    return {"rule": rule, "message": message, "review": review, "listed": entry}


def listening(workspace, owner) -> dict:
    """One mention (with its author), monitored query and saved view, straight from the ORM."""
    from django.utils import timezone

    from parvis.listening.models import Author, Mention, MonitoredQuery, SavedView, Source

    now = timezone.now()
    author = Author.objects.create(
        workspace=workspace, network="bluesky", handle="a.test", first_seen_at=now, last_seen_at=now
    )
    mention = Mention.objects.create(
        workspace=workspace,
        network="bluesky",
        external_id="m1",
        author=author,
        text="Maison Lumière",
        published_at=now,
        ingested_at=now,
    )
    query = MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression="lumiere"
    )
    view = SavedView.objects.create(workspace=workspace, user=owner, name="v", params={})
    source = Source.objects.create(
        workspace=workspace, kind="rss", name="s", config={"url": "https://blog.test/feed"}
    )
    return {"mention": mention, "query": query, "saved_view": view, "source": source}


def fill(route: str, name: str, slug: str, world: dict) -> str:
    """The concrete path for `route`, with objects of `workspace` as parameters."""
    values = {"slug": slug}
    if "<str:kind>" in route:
        values["kind"] = "objective"
        values["pk"] = world["objective"].pk
    elif name.startswith("connectors:"):
        values["pk"] = world["account"].pk
    elif name.startswith("workspaces:member"):
        values["pk"] = world["membership"].pk
    elif name.startswith("listening:"):
        values["mention_id"] = world["mention"].pk
        values["query_id"] = world["query"].pk
        values["view_id"] = world["saved_view"].pk
        values["source_id"] = world["source"].pk
    elif name.startswith("inbox:"):
        values["conversation_id"] = world["conversation"].pk
        values["saved_id"] = world["saved_reply"].pk
        values["mention_id"] = world["mention"].pk
    elif name.startswith("moderation:"):
        values["rule_id"] = world["rule"].pk
        values["review_id"] = world["review"].pk
        values["message_id"] = world["message"].pk
        values["entry_id"] = world["listed"].pk
    elif name.startswith("alerts:"):
        values["rule_id"] = world["alert_rule"].pk
        values["episode_id"] = world["episode"].pk
        values["task_id"] = world["task"].pk
        values["statement_id"] = world["statement"].pk
        values["notice_id"] = world["notice"].pk
    elif name.startswith("reports:"):
        values["report_id"] = world["report"].pk
    elif name.startswith("publishing:"):
        values["post_id"] = world["post"].pk
        values["variant_id"] = world["post"].variants.get().pk
        values["media_id"] = publishing_media(world).pk
        values["account_id"] = world["account"].pk  # best time to post
        values["contest_id"] = publishing_contest(world).pk
        if "<int:series_id>" in route:
            values["series_id"] = publishing_series(world).pk
        if "<int:event_id>" in route:
            values["event_id"] = publishing_event(world).pk

    def sub(match: re.Match) -> str:
        key = match.group("name")
        if key not in values:
            raise LookupError(f"{name}: no sample value for <{key}> in {route}")
        return str(values[key])

    return "/" + PARAM.sub(sub, route)


def test_routes_are_found():
    names = {name for _, name, _ in ROUTES}
    assert {"workspaces:dashboard", "workspaces:strategy", "connectors:accounts"} <= names


def test_the_presence_page_is_walked():
    # No parameter to fill: the matrix covers it as soon as the resolver lists it.
    assert "reports:presence" in {name for _, name, _ in ROUTES}


def test_every_parameter_can_be_filled(world, workspace):
    for route, name, _ in ROUTES:
        fill(route, name, workspace.slug, world)


def test_every_scoped_view_goes_through_workspace_view():
    for route, name, view in ROUTES:
        assert hasattr(view, "workspace_perm"), f"{name} ({route}) skips workspace_view"


@pytest.mark.parametrize("method", ["get", "post"])
def test_member_of_another_workspace_gets_404(world, workspace, outsider, method):
    client = login(outsider)
    for route, name, _ in ROUTES:
        path = fill(route, name, workspace.slug, world)
        response = getattr(client, method)(path)
        assert response.status_code == 404, f"{method.upper()} {path} ({name})"


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(world, workspace, client, method):
    for route, name, _ in ROUTES:
        path = fill(route, name, workspace.slug, world)
        response = getattr(client, method)(path)
        assert response.status_code == 302, f"{method.upper()} {path} ({name})"
        assert response["Location"].startswith("/login/"), path


def test_unknown_workspace_looks_the_same_as_a_foreign_one(world, outsider):
    client = login(outsider)
    foreign = client.get("/w/lumiere/strategy/")
    missing = client.get("/w/does-not-exist/strategy/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


# --- API ------------------------------------------------------------------------------------

BODIES = {
    "objectives": {
        "kind": "awareness",
        "title": "x",
        "kpi": "k",
        "target_value": "1",
        "period_start": "2026-01-01",
        "period_end": "2026-02-01",
    },
    "personas": {"name": "p"},
    "networks": {"network": "mastodon"},
    "competitors": {"name": "c"},
}


def api_operations():
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    for raw_path, methods in schema["paths"].items():
        path = re.sub("/+", "/", raw_path)
        if not path.startswith("/api/v1/workspaces/{slug}"):
            continue
        for method in methods:
            yield path, method


API_OPERATIONS = list(api_operations())


def api_path(path: str, slug: str, world: dict) -> tuple[str, dict]:
    filled = path.replace("{slug}", slug)
    body: dict = {}
    match = re.search(r"/strategy/(\w+)s(?:/|$)", filled)
    if match:
        kind = match.group(1)
        filled = filled.replace("{item_id}", str(world[kind].pk))
        body = BODIES[kind + "s"]
    if "/queries" in filled:
        filled = filled.replace("{query_id}", str(world["query"].pk))
        body = {"name": "q", "kind": "brand", "expression": "x"}
        if filled.endswith("/preview"):
            body = {"expression": "x"}
    filled = filled.replace("{mention_id}", str(world["mention"].pk))
    if "/inbox/" in filled:
        filled = filled.replace("{conversation_id}", str(world["conversation"].pk))
        if filled.endswith("/reply"):
            body = {"text": "Bonjour !"}
        elif filled.endswith("/status"):
            body = {"status": "open"}
        elif filled.endswith("/assign"):
            body = {"assignee": None}
    if "/moderation/" in filled:
        filled = filled.replace("{item_id}", str(world["message"].pk))
        if filled.endswith("/rules"):
            body = {
                "name": "r",
                "reason": "spam",
                "conditions": [{"kind": "contains", "what": "link"}],
                "actions": [{"kind": "review"}],
            }
        elif filled.endswith("/restore"):
            body = {"why": "erreur"}
        elif filled.endswith("/preview"):
            body = {"conditions": [{"kind": "contains", "what": "link"}]}
    if "/alerts" in filled:
        filled = filled.replace("{rule_id}", str(world["alert_rule"].pk))
        if filled.endswith("/rules") or "/rules/" in filled:
            body = {"name": "r", "kind": "spike"}
        filled = filled.replace("{episode_id}", str(world["episode"].pk))
        if filled.endswith("/close"):
            body = {"note": "fin"}
    if "/posts" in filled:
        filled = filled.replace("{post_id}", str(world["post"].pk))
        if filled.endswith("/posts"):
            body = {"text": "Bonjour", "variants": [{"account_id": world["account"].pk}]}
    if "/reports" in filled:
        filled = filled.replace("{report_id}", str(world["report"].pk))
        body = {"from": "2026-01-01", "to": "2026-01-31", "format": "csv"}
    if "{" in filled:
        raise LookupError(f"no sample value for a parameter of {path}")
    return filled, body


def call(client, method: str, path: str, body: dict, **headers):
    if method in {"post", "put", "patch"}:
        return getattr(client, method)(path, body, content_type="application/json", **headers)
    return getattr(client, method)(path, **headers)


def test_api_operations_are_found():
    assert len(API_OPERATIONS) >= 10
    assert ("/api/v1/workspaces/{slug}/strategy", "patch") in API_OPERATIONS


def test_api_member_of_another_workspace_gets_404(world, workspace, outsider, client):
    headers = bearer(outsider)
    for path, method in API_OPERATIONS:
        filled, body = api_path(path, workspace.slug, world)
        response = call(client, method, filled, body, **headers)
        assert response.status_code == 404, f"{method.upper()} {filled}: {response.content[:200]}"


def test_api_anonymous_gets_401(world, workspace, client):
    for path, method in API_OPERATIONS:
        filled, body = api_path(path, workspace.slug, world)
        response = call(client, method, filled, body)
        assert response.status_code == 401, f"{method.upper()} {filled}"


def test_api_token_tied_to_another_workspace_gets_404(
    world, workspace, owner, other_workspace, client
):
    # The owner of `workspace` holds a token restricted to a workspace they are not member of.
    headers = bearer(owner, workspace=other_workspace)
    for path, method in API_OPERATIONS:
        filled, body = api_path(path, workspace.slug, world)
        response = call(client, method, filled, body, **headers)
        assert response.status_code == 404, f"{method.upper()} {filled}"


def test_positive_control_owner_reaches_every_page(world, workspace, owner):
    """The 404s above mean something only if the same paths work for a member."""
    client = login(owner)
    for route, name, _ in ROUTES:
        path = fill(route, name, workspace.slug, world)
        response = client.get(path)
        assert response.status_code in {200, 405}, f"GET {path} ({name})"


def test_api_positive_control_owner_reads_every_endpoint(world, workspace, owner, client):
    headers = bearer(owner)
    for path, method in API_OPERATIONS:
        if method != "get":
            continue
        filled, _ = api_path(path, workspace.slug, world)
        assert client.get(filled, **headers).status_code == 200, filled
