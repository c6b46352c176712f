"""The crisis room: starting (once, by hand or by the playbook's severity), the playbook
(contacts, statements with variables, checklist), notifying the contacts exactly once over
SMTP, the publishing pause, the summary, the pages (roles, escaping, hostile input) and the
API (idempotent start, isolation)."""

from __future__ import annotations

import datetime as dt
import email
import email.header
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from parvis.alerts import delivery, raising
from parvis.alerts.crisis import analysis, services, statements
from parvis.alerts.crisis.models import Crisis, CrisisLog, CrisisNotice, CrisisState
from parvis.alerts.models import Delivery, Episode
from parvis.alerts.services import do_save_rule
from parvis.inbox.models import Conversation, Direction, Message
from parvis.listening.extensions import publishing_holds
from parvis.workspaces.roles import Role
from tests.alerts.helpers import add_mentions, brand_query
from tests.alerts.servers import smtp_server
from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db

CONTACTS = [
    {
        "name": "Claire Martin",
        "role": "Direction générale",
        "phone": "+33 6 12 34 56 78",
        "email": "claire@lumiere.test",
        "direction": True,
    },
    {"name": "Hugo Bernard", "role": "Support", "phone": "", "email": "support@lumiere.test"},
    {"name": "Astreinte", "role": "PR", "phone": "01 23 45 67 89", "email": ""},
]


def episode_at(workspace, opened_at, query=None, **extra) -> Episode:
    return Episode.objects.create(
        workspace=workspace,
        kind="negative",
        query=query,
        query_name=query.name if query else "",
        opened_at=opened_at,
        fired_at=opened_at,
        last_event_at=opened_at,
        **extra,
    )


@pytest.fixture
def playbook(workspace, owner):
    return services.do_save_playbook(
        workspace, owner, contacts=CONTACTS, checklist=["Brief the support team", "Prepare the FAQ"]
    )


def test_starting_twice_gives_one_crisis_with_the_playbook_checklist(workspace, owner, playbook):
    ep = episode_at(workspace, timezone.now())
    crisis, created = services.do_start_crisis(ep, owner)
    again, created_again = services.do_start_crisis(ep, owner)
    assert (created, created_again) == (True, False)
    assert again.pk == crisis.pk and Crisis.objects.count() == 1
    labels = list(crisis.tasks.values_list("label", "action"))
    assert labels[0][1] == services.PAUSE
    assert [x for x, _ in labels[1:]] == ["Brief the support team", "Prepare the FAQ"]
    assert list(crisis.log.values_list("kind", flat=True)) == ["started"]
    assert crisis.started_by == owner and crisis.state == CrisisState.OPEN


def test_an_alert_of_the_playbook_severity_starts_the_crisis_by_itself(
    workspace, owner, playbook, django_capture_on_commit_callbacks
):
    services.do_save_playbook(
        workspace, owner, contacts=CONTACTS, checklist=[], auto_start_severity="crisis"
    )
    important, _ = do_save_rule(workspace, owner, {"name": "Pic", "severity": "important"})
    severe, _ = do_save_rule(workspace, owner, {"name": "Crise", "severity": "crisis"})
    quiet = episode_at(workspace, timezone.now())
    loud = episode_at(workspace, timezone.now())
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        raising.raise_alert(important, quiet, timezone.now())
        raising.raise_alert(severe, loud, timezone.now())
    assert not Crisis.objects.filter(episode=quiet).exists()
    crisis = Crisis.objects.get(episode=loud)
    assert crisis.automatic and crisis.started_by is None


def test_contacts_are_notified_once_per_address_over_smtp(workspace, owner, playbook, settings):
    crisis, _ = services.do_start_crisis(episode_at(workspace, timezone.now()), owner)
    first = services.do_notify_contacts(crisis, owner)
    second = services.do_notify_contacts(crisis, owner)
    assert sorted(n.email for n in first) == ["claire@lumiere.test", "support@lumiere.test"]
    assert second == []  # the phone-only contact is to be called; nobody twice
    assert CrisisNotice.objects.count() == 2 == Delivery.objects.count()
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        for notice in first:
            assert delivery.deliver(notice.delivery_id) == "sent"
            assert delivery.deliver(notice.delivery_id) == "not-due"
    assert sorted(r for _f, rcpt, _c in inbox.messages for r in rcpt) == [
        "claire@lumiere.test",
        "support@lumiere.test",
    ]
    message = email.message_from_bytes(inbox.messages[0][2])
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject.startswith("[Parvis] Crise\u00a0:")  # the workspace's language, French
    assert (
        f"/alerts/episodes/{crisis.episode_id}/crisis/" in message.get_payload(decode=True).decode()
    )
    assert CrisisLog.objects.filter(crisis=crisis, kind="notified").count() == 1


def test_a_delivery_nobody_claims_as_its_own_fails_instead_of_looping(workspace):
    now = timezone.now()
    orphan = Delivery.objects.create(
        workspace=workspace, channel="email", target="x@y.test", next_attempt_at=now, created_at=now
    )
    assert delivery.deliver(orphan.pk) == "failed"


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        (
            "{marque} examine la situation sur {canal}.",
            "Maison Lumière examine la situation sur X.",
        ),
        ("{Brand} is looking into it ({{calm}}).", "Maison Lumière is looking into it ({calm})."),
        ("<b>{marque}</b>", "<b>Maison Lumière</b>"),
    ],
)
def test_statement_variables(workspace, owner, text, rendered):
    statement = services.do_save_statement(workspace, owner, title="t", language="fr", text=text)
    crisis, _ = services.do_start_crisis(episode_at(workspace, timezone.now()), owner)
    assert services.do_use_statement(crisis, owner, statement, "X") == rendered
    assert crisis.log.filter(kind="statement", text__contains=rendered).exists()


@pytest.mark.parametrize(
    "text", ["{0.__class__}", "{prenom}", "a { b", "fin }", "{marque", "{}", "x\x00y", "\ud800"]
)
def test_statement_syntax_is_checked_when_saved(workspace, owner, text):
    with pytest.raises(ValidationError):
        services.do_save_statement(workspace, owner, title="t", language="fr", text=text)


def test_render_never_evaluates_anything():
    assert statements.render("{0.__class__}", {"brand": "B"}) == "{0.__class__}"
    assert statements.render("{marque}{{", {"brand": "B"}) == "B{"


@pytest.mark.parametrize(
    "contacts",
    [
        [{"name": "", "email": "a@b.test"}],
        [{"name": "A"}],
        [{"name": "A", "email": "not an address"}],
        [{"name": "A", "phone": "call me"}],
        [{"name": "A" * 500, "email": "a@b.test"}],
        ["just a string"],
    ],
)
def test_bad_contacts_are_refused(workspace, owner, contacts):
    with pytest.raises(ValidationError):
        services.do_save_playbook(workspace, owner, contacts=contacts, checklist=[])


def test_pausing_publishing_from_the_checklist_and_closing_lifts_it(workspace, owner, playbook):
    crisis, _ = services.do_start_crisis(episode_at(workspace, timezone.now()), owner)
    pause = crisis.tasks.get(action=services.PAUSE)
    assert publishing_holds(workspace) == []
    services.do_tick_task(crisis, owner, pause.pk)
    services.do_tick_task(crisis, owner, pause.pk)  # a second click changes nothing
    assert [str(r) for r in publishing_holds(workspace)] != []
    assert crisis.log.filter(kind="task").count() == 1
    services.do_close_crisis(crisis, owner, "Retour au calme.")
    assert publishing_holds(workspace) == []
    with pytest.raises(ValidationError):
        services.do_tick_task(crisis, owner, 10**9)


def test_timeline_drivers_and_summary_follow_the_mentions(workspace, owner):
    query = brand_query(workspace)
    opened = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    # The week before: the usual words, a few mentions a day.
    for day in range(1, 6):
        add_mentions(
            workspace,
            opened - dt.timedelta(days=day),
            4,
            text="Maison Lumière bougie parfum",
            query=query,
        )
    add_mentions(
        workspace, opened - dt.timedelta(minutes=20), 2, text="Maison Lumière bougie", query=query
    )
    peak_at = opened + dt.timedelta(minutes=5)
    spike = add_mentions(
        workspace,
        peak_at,
        12,
        negative=True,
        reach=5000,
        text="Maison Lumière brûlure #boycottlumiere",
        query=query,
    )
    add_mentions(
        workspace,
        opened + dt.timedelta(minutes=6),
        3,
        negative=True,
        text="Maison Lumière brûlure",
        query=query,
    )
    add_mentions(
        workspace, peak_at, 50, negative=True, text="another brand entirely"
    )  # not the query's
    ep = episode_at(workspace, opened, query=query)
    crisis, _ = services.do_start_crisis(ep, owner)
    line = analysis.timeline(crisis)
    assert line["step"] == 1
    peak = max(line["series"], key=lambda p: p["volume"])
    assert peak["at"] == peak_at and peak["volume"] == 12 and peak["negative"] == 12
    assert peak["reach"] == 12 * 5000
    found = analysis.drivers(crisis)
    assert found["total"] == 15
    # Matched folded, shown as written (« brûlure », not « brulure »).
    assert "brûlure" in [w["word"] for w in found["new_words"]]
    assert "#boycottlumiere" in [w["word"] for w in found["new_hashtags"]]
    assert "bougie" not in [w["word"] for w in found["new_words"]]
    assert found["top_posts"][0].pk in {m.pk for m in spike}
    # Two of the spike's mentions reached the inbox; one was answered 12 minutes later.
    for i, mention in enumerate(spike[:2]):
        conversation = Conversation.objects.create(
            workspace=workspace,
            network="bluesky",
            thread_key=f"t{i}",
            created_at=peak_at,
            last_message_at=peak_at,
        )
        Message.objects.create(
            workspace=workspace,
            conversation=conversation,
            direction=Direction.IN,
            mention=mention,
            network="bluesky",
            external_id=f"in{i}",
            sent_at=peak_at,
        )
    Message.objects.create(
        workspace=workspace,
        conversation=conversation,
        direction=Direction.OUT,
        network="bluesky",
        external_id="out",
        sent_at=peak_at + dt.timedelta(minutes=12),
    )
    answers = analysis.answered(crisis)
    assert (answers["mentions"], answers["in_inbox"], answers["answered"]) == (15, 2, 1)
    assert answers["median_response_minutes"] == 12.0
    closed = services.do_close_crisis(crisis, owner, "Fin")
    s = closed.summary
    assert s["mentions"] == 15 and s["peak"]["volume"] == 12
    assert s["sentiment"]["during"]["negative_pct"] == 100.0
    assert s["sentiment"]["before"]["mentions"] == 2  # the 30 minutes before
    assert s["responses"]["answered"] == 1
    assert 29 <= s["duration_minutes"] <= 31
    json.dumps(s)  # stored as JSON, ready for the client report
    assert services.do_close_crisis(closed, owner, "again").closing_note == "Fin"


# --- pages ----------------------------------------------------------------------------------


def test_the_room_from_start_to_summary(workspace, owner, playbook):
    ep = episode_at(workspace, timezone.now() - dt.timedelta(minutes=10))
    add_mentions(
        workspace,
        timezone.now() - dt.timedelta(minutes=5),
        3,
        text="<script>alert(1)</script> arnaque",
    )
    statement = services.do_save_statement(
        workspace, owner, title="<i>FR</i>", language="fr", text="{marque} <img src=x> sur {canal}"
    )
    client = login(owner)
    base = f"/w/lumiere/alerts/episodes/{ep.pk}/crisis/"
    assert 'id="start-crisis"' in client.get(base).content.decode()
    assert client.post(base + "start/").status_code == 302
    page = client.get(base).content.decode()
    assert "Claire Martin" in page and 'id="notify-contacts"' in page and "<polyline" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<i>FR</i>" not in page
    client.post(base + "notify/")
    crisis = Crisis.objects.get(episode=ep)
    task = crisis.tasks.get(label="Prepare the FAQ")
    client.post(base + f"tasks/{task.pk}/")
    client.post(base + f"statements/{statement.pk}/", {"channel": "<b>X</b>"})
    page = client.get(base).content.decode()
    assert (
        'id="statement-used"' in page and "&lt;img src=x&gt;" in page and "<img src=x>" not in page
    )
    assert "&lt;b&gt;X&lt;/b&gt;" in page
    client.post(base + "note/", {"text": "Appel avec la direction"})
    client.post(base + "close/", {"note": "Retour au calme"})
    page = client.get(base).content.decode()
    assert 'id="crisis-summary"' in page and "Retour au calme" in page
    kinds = list(crisis.log.values_list("kind", flat=True))
    assert kinds == ["started", "notified", "task", "statement", "note", "closed"]


def test_roles_analysts_read_the_room_editors_run_it(workspace, owner, member_factory, playbook):
    ep = episode_at(workspace, timezone.now())
    analyst = login(member_factory(Role.ANALYST))
    base = f"/w/lumiere/alerts/episodes/{ep.pk}/crisis/"
    assert analyst.post(base + "start/").status_code == 403
    services.do_start_crisis(ep, owner)
    page = analyst.get(base)
    assert page.status_code == 200 and 'id="notify-contacts"' not in page.content.decode()
    assert analyst.post(base + "close/").status_code == 403
    assert analyst.post("/w/lumiere/alerts/playbook/", {"contacts": ""}).status_code == 403
    assert analyst.get("/w/lumiere/alerts/playbook/").status_code == 200


def test_another_workspace_s_crisis_is_a_404(workspace, other_workspace, owner, outsider):
    ep = episode_at(workspace, timezone.now())
    services.do_start_crisis(ep, owner)
    theirs = episode_at(other_workspace, timezone.now())
    mine = login(outsider)  # a member of other_workspace only
    assert mine.get(f"/w/lumiere/alerts/episodes/{ep.pk}/crisis/").status_code == 404
    assert mine.get(f"/w/{other_workspace.slug}/alerts/episodes/{ep.pk}/crisis/").status_code == 404
    assert (
        mine.get(f"/w/{other_workspace.slug}/alerts/episodes/{theirs.pk}/crisis/").status_code
        == 200
    )


# (A lone surrogate cannot travel in a form post; the API test sends one.)
@pytest.mark.parametrize("value", ["x" * 1_000_001, "a\x00b", "<script>alert(1)</script>" * 10])
def test_hostile_input_is_never_a_500(workspace, owner, playbook, value):
    ep = episode_at(workspace, timezone.now())
    crisis, _ = services.do_start_crisis(ep, owner)
    client = login(owner)
    base = f"/w/lumiere/alerts/episodes/{ep.pk}/crisis/"
    for path, data in [
        ("note/", {"text": value}),
        ("close/", {"note": value}),
        (f"tasks/{2**64}/", {}),
        ("tasks/99999999/", {}),
    ]:
        assert client.post(base + path, data).status_code in (302, 404), path
    for path, data in [
        (
            "/w/lumiere/alerts/playbook/",
            {"contacts": f"{value} ; r ; 0102 ; a@b.test", "checklist": value},
        ),
        (
            "/w/lumiere/alerts/playbook/statements/new/",
            {"title": value, "language": "fr", "text": value},
        ),
        (
            "/w/lumiere/alerts/playbook/statements/new/",
            {"title": "t", "language": "xx", "text": "{"},
        ),
        (
            "/w/lumiere/alerts/playbook/",
            {"contacts": "", "checklist": "", "auto_start_severity": value},
        ),
    ]:
        assert client.post(path, data).status_code in (200, 302), path
    assert client.get(f"/w/lumiere/alerts/episodes/{2**64}/crisis/").status_code == 404
    assert client.get(base).status_code == 200
    assert crisis.log.count() >= 1


# --- API ------------------------------------------------------------------------------------


def test_api_start_is_idempotent_get_and_close(workspace, owner, member_factory, playbook):
    ep = episode_at(workspace, timezone.now())
    client = login(owner)
    auth = bearer(owner, workspace)
    url = f"/api/v1/workspaces/lumiere/alerts/{ep.pk}/crisis"
    first = client.post(url, **auth)
    second = client.post(url, **auth)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    body = client.get(url, **auth).json()
    assert body["state"] == "open" and body["tasks"][0]["action"] == "pause_publishing"
    assert "duration_minutes" in body["summary"]
    closed = client.post(url + "/close", {"note": "fin"}, content_type="application/json", **auth)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert closed.json()["summary"]["mentions"] == 0
    bad = client.post(url + "/close", {"note": "\ud800"}, content_type="application/json", **auth)
    assert bad.status_code in (400, 422)
    analyst = member_factory(Role.ANALYST)
    assert client.post(url, **bearer(analyst, workspace)).status_code == 403
    assert client.get(url, **bearer(analyst, workspace)).status_code == 200
    assert client.post(f"/api/v1/workspaces/lumiere/alerts/{2**64}/crisis", **auth).status_code in (
        404,
        422,
    )


def test_api_another_workspace_s_episode_is_a_404(workspace, other_workspace, owner, outsider):
    ep = episode_at(workspace, timezone.now())
    auth = bearer(outsider, other_workspace)
    client = login(outsider)
    for slug in ("lumiere", other_workspace.slug):
        assert (
            client.post(f"/api/v1/workspaces/{slug}/alerts/{ep.pk}/crisis", **auth).status_code
            == 404
        )
    assert not Crisis.objects.exists()


def test_statement_dates_are_written_in_the_statement_s_language(workspace, owner):
    crisis, _ = services.do_start_crisis(episode_at(workspace, timezone.now()), owner)
    at = dt.datetime(2026, 12, 7, 15, 30, tzinfo=dt.UTC)  # 16:30 in Paris
    english = services.do_save_statement(
        workspace, owner, title="en", language="en", text="Since {date}, {time}."
    )
    french = services.do_save_statement(
        workspace, owner, title="fr", language="fr", text="Depuis le {date} à {heure}."
    )
    with translation.override("fr"):
        assert services.do_use_statement(crisis, owner, english, at=at) == (
            "Since Dec. 7, 2026, 16:30."
        )
    with translation.override("en"):
        assert services.do_use_statement(crisis, owner, french, at=at) == (
            "Depuis le 7 décembre 2026 à 16:30."
        )


def test_review_mends_a_closed_crisis_is_a_record_and_the_dg_is_a_whole_word(workspace, owner):
    from parvis.alerts.crisis.models import PublishingPause

    ep = episode_at(workspace, timezone.now())
    first, _ = services.do_start_crisis(ep, owner)
    pause = first.tasks.get(action=services.PAUSE)
    services.do_tick_task(first, owner, pause.pk)
    services.do_close_crisis(first, owner, "fini")
    assert not services.publishing_paused(workspace)
    for act in (
        lambda: services.do_tick_task(first, owner, pause.pk),
        lambda: services.do_add_note(first, owner, "trop tard"),
        lambda: services.do_notify_contacts(first, owner),
    ):
        with pytest.raises(ValidationError):
            act()
    assert not services.publishing_paused(workspace)
    # Closing one crisis does not lift the pause another set.
    other = episode_at(workspace, timezone.now())
    second, _ = services.do_start_crisis(other, owner)
    services.do_tick_task(second, owner, second.tasks.get(action=services.PAUSE).pk)
    third, _ = services.do_start_crisis(episode_at(workspace, timezone.now()), owner)
    services.do_close_crisis(third, owner)
    assert PublishingPause.objects.filter(crisis=second, resumed_at=None).exists()
    contacts = services.contacts_from_lines("Paul ; Responsable budget\nAnne ; DG")
    assert [c["direction"] for c in contacts] == [False, True]
