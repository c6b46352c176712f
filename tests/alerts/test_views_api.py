"""Pages and API of the alerts: the bell, the episodes, the rule editor (roles), the API's
episodes and rule CRUD, another workspace's objects (404) and hostile input (never a 500)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from parvis.alerts import raising
from parvis.alerts.models import AlertRule, Episode, Receipt
from parvis.alerts.services import do_save_rule
from parvis.workspaces.roles import Role
from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db


def episode(workspace, **extra) -> Episode:
    now = timezone.now()
    data = {"kind": "negative", "query_name": "Marque", "opened_at": now, "fired_at": now}
    data.update(extra)
    return Episode.objects.create(workspace=workspace, last_event_at=now, **data)


def alerted(workspace, owner):
    rule, _ = do_save_rule(
        workspace, owner, {"name": "Pic", "channels": ["app"], "roles": ["owner"]}
    )
    ep = episode(workspace)
    with transaction.atomic():
        alert = raising.raise_alert(rule, ep, timezone.now())
    return rule, ep, alert


def test_the_bell_counts_unread_alerts_and_the_episode_page_reads_them(workspace, owner):
    _rule, ep, alert = alerted(workspace, owner)
    client = login(owner)
    page = client.get("/w/lumiere/alerts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="alerts-unread"' in html and escape(alert.title) in html
    assert 'data-count="1"' in client.get("/w/lumiere/alerts/unread/").content.decode()
    assert client.get(f"/w/lumiere/alerts/episodes/{ep.pk}/").status_code == 200
    assert Receipt.objects.get(alert=alert).read_at is not None
    assert "data-count" not in client.get("/w/lumiere/alerts/unread/").content.decode()


def test_mark_all_read(workspace, owner):
    alerted(workspace, owner)
    response = login(owner).post("/w/lumiere/alerts/read/")
    assert response.status_code == 302
    assert not Receipt.objects.filter(read_at=None).exists()


def test_editors_edit_rules_analysts_only_read_them(workspace, owner, member_factory):
    analyst = login(member_factory(Role.ANALYST))
    cm = login(member_factory(Role.COMMUNITY_MANAGER))
    assert analyst.get("/w/lumiere/alerts/rules/").status_code == 200
    assert analyst.get("/w/lumiere/alerts/rules/new/").status_code == 403
    form = {
        "name": "Bad buzz",
        "kind": "spike",
        "is_active": "on",
        "metric": "negative",
        "severity": "crisis",
        "channels": ["app", "webhook"],
        "roles": ["owner", "manager"],
        "emails": "direction@lumiere.test",
        "webhooks": "slack https://hooks.slack.test/T1\nhttps://ops.lumiere.test/parvis",
        "cooldown_minutes": "30",
    }
    assert analyst.post("/w/lumiere/alerts/rules/new/", form).status_code == 403
    response = cm.post("/w/lumiere/alerts/rules/new/", form, follow=True)
    assert response.status_code == 200
    rule = AlertRule.objects.get()
    assert rule.webhooks == [
        {"format": "slack", "url": "https://hooks.slack.test/T1"},
        {"format": "signed", "url": "https://ops.lumiere.test/parvis"},
    ]
    assert rule.webhook_secret  # generated, shown once
    html = response.content.decode()
    assert "shown once" in html or "une seule fois" in html
    # The secret is never rendered back.
    page = cm.get(f"/w/lumiere/alerts/rules/{rule.pk}/").content.decode()
    assert 'id="secret-set"' in page
    bad = dict(form, webhooks="ftp://x.test/")
    assert "http(s)" in cm.post(f"/w/lumiere/alerts/rules/{rule.pk}/", bad).content.decode()
    assert cm.post(f"/w/lumiere/alerts/rules/{rule.pk}/delete/").status_code == 302
    assert not AlertRule.objects.exists()


def test_quiet_hours_settings(workspace, owner):
    client = login(owner)
    data = {
        "time_zone": "Mars/Olympus",
        "quiet_hours": "on",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }
    assert client.post("/w/lumiere/alerts/settings/", data).status_code == 200
    data["time_zone"] = "America/Montreal"
    assert client.post("/w/lumiere/alerts/settings/", data).status_code == 302
    from parvis.alerts.models import AlertSettings

    assert AlertSettings.objects.get(workspace=workspace).time_zone == "America/Montreal"


def test_another_workspaces_objects_are_404(workspace, other_workspace, owner, outsider):
    rule, ep, _alert = alerted(workspace, owner)
    client = login(outsider)
    assert client.get(f"/w/rival/alerts/episodes/{ep.pk}/").status_code == 404
    assert client.get(f"/w/rival/alerts/rules/{rule.pk}/").status_code == 404
    assert client.post(f"/w/rival/alerts/rules/{rule.pk}/delete/").status_code == 404
    api = bearer(outsider)
    assert (
        login(outsider).get(f"/api/v1/workspaces/rival/alerts/rules/{rule.pk}", **api).status_code
        == 404
    )
    assert AlertRule.objects.filter(pk=rule.pk).exists()


def test_api_lists_episodes_and_does_rule_crud(workspace, owner, member_factory):
    query_ep = episode(workspace, severity="crisis")
    closed = episode(
        workspace, kind="volume", query_name="", closed_at=timezone.now(), resolution="hour"
    )
    client = login(owner)
    auth = bearer(owner)
    got = client.get("/api/v1/workspaces/lumiere/alerts", **auth).json()
    assert {e["id"] for e in got} == {query_ep.pk, closed.pk}
    first = next(e for e in got if e["id"] == query_ep.pk)
    assert first["query"] == "Marque" and first["severity"] == "crisis"
    assert first["kind"] == "negative" and first["closed_at"] is None
    assert first["resolution"] == "minute"
    assert next(e for e in got if e["id"] == closed.pk)["resolution"] == "hour"
    assert set(first) >= {"id", "query", "kind", "severity", "opened_at", "closed_at"}
    only_open = client.get("/api/v1/workspaces/lumiere/alerts?open_only=true", **auth).json()
    assert [e["id"] for e in only_open] == [query_ep.pk]

    body = {
        "name": "Webhook",
        "kind": "keyword",
        "words": "rappel",
        "channels": ["webhook"],
        "webhooks": [{"url": "https://ops.lumiere.test/hook"}],
    }
    created = client.post(
        "/api/v1/workspaces/lumiere/alerts/rules",
        json.dumps(body),
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201
    data = created.json()
    assert data["has_secret"] and len(data["generated_secret"]) > 20
    rule_id = data["id"]
    body["secret"] = "mine"
    body["severity"] = "crisis"
    updated = client.put(
        f"/api/v1/workspaces/lumiere/alerts/rules/{rule_id}",
        json.dumps(body),
        content_type="application/json",
        **auth,
    )
    assert updated.status_code == 200 and updated.json()["severity"] == "crisis"
    assert "generated_secret" not in updated.json() and "secret" not in updated.json()
    listed = client.get("/api/v1/workspaces/lumiere/alerts/rules", **auth).json()
    assert [r["id"] for r in listed] == [rule_id]
    analyst = member_factory(Role.ANALYST)
    refused = login(analyst).delete(
        f"/api/v1/workspaces/lumiere/alerts/rules/{rule_id}", **bearer(analyst)
    )
    assert refused.status_code == 403
    gone = client.delete(f"/api/v1/workspaces/lumiere/alerts/rules/{rule_id}", **auth)
    assert gone.status_code == 204 and not AlertRule.objects.exists()


HOSTILE = [
    {"name": "x" * 1_000_000},
    {"name": "\ud800"},
    {"name": "ok", "words": "\ud800"},
    {"name": "ok", "min_followers": 2**64},
    {"name": "ok", "query_id": 2**64},
    {"name": "ok", "member_ids": [2**64]},
    {"name": "ok", "cooldown_minutes": 2**64},
    {"name": "ok", "kind": "<script>"},
    {"name": "ok", "emails": ["not an address"]},
    {"name": "ok", "webhooks": [{"url": "http://[::1"}]},
    {"name": "ok", "webhooks": [{"url": "https://a.test:99999999/"}]},
    {"name": "ok", "channels": ["pigeon"]},
    {"name": "ok", "network": "x" * 40},
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_api_bodies_are_refused_cleanly(workspace, owner, body):
    response = login(owner).post(
        "/api/v1/workspaces/lumiere/alerts/rules",
        json.dumps(body),
        content_type="application/json",
        **bearer(owner),
    )
    assert response.status_code in (400, 422), response.content
    assert not AlertRule.objects.exists()


def test_hostile_ids_and_form_values(workspace, owner):
    client = login(owner)
    auth = bearer(owner)
    huge = 2**64
    assert client.get(f"/w/lumiere/alerts/episodes/{huge}/").status_code == 404
    assert client.get(f"/w/lumiere/alerts/rules/{huge}/").status_code == 404
    assert client.post("/w/lumiere/alerts/read/", {"id": [str(huge), "abc"]}).status_code == 302
    assert client.get(f"/api/v1/workspaces/lumiere/alerts/rules/{huge}", **auth).status_code in (
        404,
        422,
    )
    assert (
        client.get(
            "/api/v1/workspaces/lumiere/alerts?limit=99999999999999999999", **auth
        ).status_code
        == 422
    )
    form = {
        "name": "x" * 100_000,
        "kind": "spike",
        "severity": "info",
        "cooldown_minutes": "30",
        "min_followers": str(huge),
        "query": str(huge),
        "members": [str(huge)],
        "webhooks": "x" * 40000,
    }
    response = client.post("/w/lumiere/alerts/rules/new/", form)
    assert response.status_code == 200
    assert not AlertRule.objects.exists()
    settings = {"time_zone": "x" * 100_000, "quiet_start": "25:99", "quiet_end": "9999-01-01"}
    assert client.post("/w/lumiere/alerts/settings/", settings).status_code == 200


def test_webhook_paths_are_shown_only_to_those_who_edit_rules(workspace, owner, member_factory):
    hook = "https://hooks.slack.test/services/T0/B0/SECRETPATH"
    rule, _ = do_save_rule(
        workspace,
        owner,
        {"name": "Slack", "channels": ["webhook"], "webhooks": [{"url": hook, "format": "slack"}]},
    )
    ep = episode(workspace)
    with transaction.atomic():
        raising.raise_alert(rule, ep, timezone.now())
    analyst = member_factory(Role.ANALYST)
    reader = login(analyst)
    listed = reader.get("/api/v1/workspaces/lumiere/alerts/rules", **bearer(analyst)).json()
    assert listed[0]["webhooks"] == [{"url": "https://hooks.slack.test/…", "format": "slack"}]
    page = reader.get(f"/w/lumiere/alerts/episodes/{ep.pk}/").content.decode()
    assert "hooks.slack.test" in page and "SECRETPATH" not in page
    editor = login(owner).get(f"/api/v1/workspaces/lumiere/alerts/rules/{rule.pk}", **bearer(owner))
    assert editor.json()["webhooks"][0]["url"] == hook


def test_review_mends_a_secret_a_too_long_member_list_and_a_non_ascii_digit(workspace, owner):
    client, auth = login(owner), bearer(owner)
    rules = "/api/v1/workspaces/lumiere/alerts/rules"
    body = {"name": "Mots", "kind": "keyword", "words": "rappel", "channels": ["app"]}
    created = client.post(rules, json.dumps(body), content_type="application/json", **auth)
    assert created.status_code == 201 and not created.json()["generated_secret"]
    # Webhooks added later: the secret Parvis generates is shown once, by this answer.
    body.update(channels=["webhook"], webhooks=[{"url": "https://ops.lumiere.test/hook"}])
    rule = f"{rules}/{created.json()['id']}"
    updated = client.put(rule, json.dumps(body), content_type="application/json", **auth)
    assert updated.status_code == 200 and len(updated.json()["generated_secret"]) > 20
    # 260,000 member ids: a clear 422, not "too many SQL variables".
    body["member_ids"] = list(range(1, 260_001))
    too_many = client.post(rules, json.dumps(body), content_type="application/json", **auth)
    assert too_many.status_code == 422
    # "²" is a digit to str.isdigit, not to int().
    response = client.post("/w/lumiere/alerts/read/", {"id": ["²", "12"]})
    assert response.status_code == 302


def test_the_rules_page_names_channels_as_people_read_them(workspace, owner):
    from parvis.alerts.services import do_save_rule

    do_save_rule(
        workspace,
        owner,
        {"name": "Mots", "kind": "keyword", "words": "rappel", "channels": ["app", "email"]},
    )
    html = login(owner).get("/w/lumiere/alerts/rules/").content.decode()
    assert "la cloche" in html  # « Dans l'application (la cloche) », the label of "app"
    assert "app, email" not in html
