"""The inbox pages: each renders, acts through the services, and respects the roles."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.inbox import services
from parvis.inbox.models import (
    Conversation,
    Escalation,
    InboxSettings,
    Note,
    Notification,
    Reply,
    ReplyState,
    SavedReply,
    Status,
)
from parvis.workspaces.models import AddressForm
from parvis.workspaces.roles import Role
from parvis.workspaces.strategy import get_strategy
from tests.conftest import login
from tests.inbox.factories import make_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def cm(member_factory):
    return member_factory(Role.COMMUNITY_MANAGER, username="camille")


@pytest.fixture
def cm_client(cm):
    return login(cm)


@pytest.fixture
def conversation(workspace):
    return make_conversation(workspace)


def url(workspace, tail: str = "") -> str:
    return f"/w/{workspace.slug}/inbox/{tail}"


def test_list_views_render(workspace, cm, cm_client, conversation):
    services.do_assign(conversation, cm, assignee=cm)
    page = cm_client.get(url(workspace))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'data-conversation="{conversation.pk}"' in body
    assert 'hx-trigger="every 15s"' in body
    assert "Assignées à moi" in body
    for view in ("unassigned", "at_risk", "all", "waiting", "resolved"):
        assert cm_client.get(url(workspace, f"?view={view}")).status_code == 200


def test_list_views_select_the_right_conversations(workspace, cm, cm_client):
    now = timezone.now()
    mine = make_conversation(workspace)
    services.do_assign(mine, cm, assignee=cm)
    free = make_conversation(workspace)
    late = make_conversation(workspace, at=now - dt.timedelta(days=10))
    snoozed = make_conversation(workspace)
    services.do_snooze(snoozed, cm, now + dt.timedelta(hours=2))
    done = make_conversation(workspace)
    services.do_set_status(done, cm, Status.RESOLVED)

    def shown(view: str) -> set[int]:
        page = cm_client.get(url(workspace, f"?view={view}"))
        return {r.pk for r, _badge in page.context["rows"]}

    assert shown("mine") == {mine.pk}
    assert shown("unassigned") == {free.pk, late.pk}
    assert late.pk in shown("at_risk") and free.pk not in shown("at_risk")
    assert shown("resolved") == {done.pk}
    assert snoozed.pk not in shown("all")


def test_list_filters(workspace, cm_client):
    a = make_conversation(workspace, network="bluesky")
    b = make_conversation(workspace, network="mastodon")
    page = cm_client.get(url(workspace, "?view=all&network=mastodon"))
    assert {r.pk for r, _ in page.context["rows"]} == {b.pk}
    services.do_tag(a, None, add=["livraison"])
    tag = a.tags.get()
    page = cm_client.get(url(workspace, f"?view=all&tag={tag.pk}"))
    assert {r.pk for r, _ in page.context["rows"]} == {a.pk}


def test_sla_badges(workspace, cm_client):
    now = timezone.now()
    # Always open: the badges read in plain hours.
    services.do_update_settings(
        workspace,
        None,
        business_hours={str(d): [["00:00", "24:00"]] for d in range(7)},
        first_response_minutes=240,
    )
    ok = make_conversation(workspace, at=now - dt.timedelta(hours=1, minutes=50))
    risky = make_conversation(workspace, at=now - dt.timedelta(hours=3, minutes=25))
    late = make_conversation(workspace, at=now - dt.timedelta(hours=5, minutes=5))
    page = cm_client.get(url(workspace, "?view=all"))
    badges = {c.pk: b for c, b in page.context["rows"]}
    assert badges[ok.pk].state == "ok" and badges[ok.pk].text.startswith("OK — 2 h 1")
    assert badges[risky.pk].state == "at_risk" and "35 min" in badges[risky.pk].text
    assert badges[late.pk].state == "breached"
    assert badges[late.pk].text.startswith("En retard de 1 h 0")


def test_list_query_count_is_constant(workspace, cm, cm_client, django_assert_max_num_queries):
    for i in range(60):
        c = make_conversation(workspace, handle=f"h{i}.test")
        services.do_tag(c, cm, add=["tag a", f"tag {i % 3}"])
    cm_client.get(url(workspace, "?view=all"))  # the first visit saves the session
    # Session, user, membership, settings, the page's ids, its rows, their tags, the
    # navigation, the filters' choices (networks present, sources, tags) and the bulk form's
    # members: the same whatever the number of rows.
    with django_assert_max_num_queries(12):
        page = cm_client.get(url(workspace, "?view=all"))
    assert len(page.context["rows"]) == 50
    assert page.context["more"]
    second = cm_client.get(url(workspace, "?view=all&page=2"))
    assert len(second.context["rows"]) == 10


def test_polling_returns_the_rows_only(workspace, cm_client, conversation):
    page = cm_client.get(url(workspace, "?view=all"), HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert body.lstrip().startswith("<tbody")
    assert "<html" not in body


def test_unread_counter(workspace, cm_client, conversation):
    make_conversation(workspace)
    page = cm_client.get(url(workspace, "unread/"))
    assert 'data-count="2"' in page.content.decode()
    nav = cm_client.get(url(workspace)).content.decode()
    assert f'hx-get="/w/{workspace.slug}/inbox/unread/"' in nav
    assert "Boîte de réception" in nav


def test_bulk_actions(workspace, cm, cm_client):
    a, b, c = (make_conversation(workspace) for _ in range(3))
    cm_client.post(url(workspace, "bulk/"), {"ids": [a.pk, b.pk], "action": "resolve"})
    assert set(
        Conversation.objects.filter(status=Status.RESOLVED).values_list("pk", flat=True)
    ) == {
        a.pk,
        b.pk,
    }
    cm_client.post(url(workspace, "bulk/"), {"ids": [c.pk], "action": "assign", "assignee": cm.pk})
    c.refresh_from_db()
    assert c.assignee == cm
    cm_client.post(url(workspace, "bulk/"), {"ids": [c.pk], "action": "tag", "tag": "urgent"})
    assert list(c.tags.values_list("name", flat=True)) == ["urgent"]


def test_bulk_ignores_conversations_of_another_workspace(other_workspace, workspace, cm_client):
    foreign = make_conversation(other_workspace)
    cm_client.post(url(workspace, "bulk/"), {"ids": [foreign.pk], "action": "spam"})
    foreign.refresh_from_db()
    assert foreign.status == Status.NEW


def test_conversation_page_marks_read_and_shows_everything(workspace, cm, cm_client, conversation):
    services.do_add_note(conversation, cm, "À voir avec la logistique")
    services.do_assign(conversation, cm, assignee=cm)
    assert conversation.unread
    page = cm_client.get(url(workspace, f"{conversation.pk}/"))
    assert page.status_code == 200
    body = page.content.decode()
    conversation.refresh_from_db()
    assert not conversation.unread
    assert "ma commande" in body
    assert "À voir avec la logistique" in body
    assert 'data-event="assigned"' in body
    assert 'id="author-card"' in body and "Camille Martin" in body
    assert 'id="composer"' in body
    assert f'name="seen_version" value="{conversation.version}"' in body


def test_actions_change_state(workspace, owner, cm, cm_client, conversation):
    base = url(workspace, f"{conversation.pk}/")
    cm_client.post(base + "assign/", {"me": "1"})
    conversation.refresh_from_db()
    assert conversation.assignee == cm
    cm_client.post(base + "assign/", {"assignee": owner.pk})
    conversation.refresh_from_db()
    assert conversation.assignee == owner
    cm_client.post(base + "status/", {"status": "waiting"})
    cm_client.post(base + "priority/", {"priority": "3"})
    cm_client.post(base + "tags/", {"add": "livraison, colis"})
    cm_client.post(base + "tags/", {"remove": "colis"})
    cm_client.post(base + "snooze/", {"when": "tomorrow"})
    conversation.refresh_from_db()
    assert conversation.status == Status.WAITING
    assert conversation.priority == 3
    assert list(conversation.tags.values_list("name", flat=True)) == ["livraison"]
    local = conversation.snoozed_until.astimezone(dt.UTC)
    assert local > timezone.now()
    cm_client.post(base + "note/", {"note-text": "Vu avec @owner-lumiere"})
    assert Note.objects.filter(conversation=conversation).count() == 1
    assert Notification.objects.filter(user=owner, kind="note").exists()
    response = cm_client.post(
        base + "escalate/", {"to_role": "legal", "reason": "Menace de procès", "note": ""}
    )
    assert response.status_code == 302
    assert Escalation.objects.filter(conversation=conversation, to_role="legal").exists()


def test_snooze_custom_is_workspace_time(workspace, cm_client, conversation):
    cm_client.post(
        url(workspace, f"{conversation.pk}/snooze/"),
        {"when": "custom", "until": "2030-01-15T09:30"},
    )
    conversation.refresh_from_db()
    assert conversation.snoozed_until == dt.datetime(2030, 1, 15, 8, 30, tzinfo=dt.UTC)


def test_composer_warns_then_sends_anyway(workspace, cm, cm_client, conversation):
    strategy = get_strategy(workspace)
    strategy.address_form = AddressForm.VOUS
    strategy.save()
    target = url(workspace, f"{conversation.pk}/reply/")
    text = "Salut, tu as reçu ton colis ?"
    page = cm_client.post(target, {"text": text, "seen_version": conversation.version})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-warning="address_form"' in body
    assert 'id="send-anyway"' in body
    assert "tu as reçu ton colis" in body  # the text is kept
    assert not Reply.objects.exists()
    response = cm_client.post(
        target, {"text": text, "seen_version": conversation.version, "force": "1"}
    )
    assert response.status_code == 302
    reply = Reply.objects.get()
    assert reply.state == ReplyState.QUEUED and reply.warnings
    page = cm_client.get(url(workspace, f"{conversation.pk}/")).content.decode()
    assert 'data-reply-state="queued"' in page


def test_composer_empty_is_blocking(workspace, cm_client, conversation):
    page = cm_client.post(url(workspace, f"{conversation.pk}/reply/"), {"text": "  ", "force": "1"})
    body = page.content.decode()
    assert 'data-warning="empty"' in body
    assert 'id="send-anyway"' not in body
    assert not Reply.objects.exists()


def test_composer_collision(workspace, owner, cm, cm_client, conversation):
    seen = conversation.version
    services.do_assign(conversation, owner, assignee=owner)
    page = cm_client.post(
        url(workspace, f"{conversation.pk}/reply/"),
        {"text": "Bonjour, nous regardons cela.", "seen_version": seen},
    )
    assert 'data-warning="collision"' in page.content.decode()
    assert not Reply.objects.exists()


def test_failed_reply_and_retry(workspace, cm, cm_client, conversation):
    from parvis.inbox import sending

    queued = sending.do_queue_reply(conversation, cm, "Bonjour, nous regardons cela.")
    reply = queued.reply
    # No connector can reply on this network in the tests: it fails with the reason.
    assert sending.send_reply(reply.pk) == ReplyState.FAILED
    page = cm_client.get(url(workspace, f"{conversation.pk}/")).content.decode()
    assert 'data-reply-state="failed"' in page
    assert f'id="retry-{reply.pk}"' in page
    cm_client.post(url(workspace, f"{conversation.pk}/retry/"), {"reply": reply.pk})
    reply.refresh_from_db()
    assert reply.state == ReplyState.QUEUED


def test_saved_reply_fill(workspace, cm, cm_client, conversation):
    saved = services.do_save_reply(
        workspace, cm, title="Merci", text="Bonjour {prénom}, merci ! {agent} pour {marque}"
    )
    fragment = cm_client.get(
        url(workspace, f"{conversation.pk}/fill/"), {"saved": saved.pk, "text": "Déjà écrit"}
    ).content.decode()
    assert fragment.startswith("<textarea")
    assert "Déjà écrit\n\nBonjour Camille, merci ! camille pour Maison Lumière" in fragment
    page = cm_client.get(url(workspace, f"{conversation.pk}/?saved={saved.pk}")).content.decode()
    assert "Bonjour Camille, merci" in page


def test_saved_replies_crud(workspace, cm_client):
    page = cm_client.get(url(workspace, "saved-replies/"))
    assert page.status_code == 200 and "{prénom}" in page.content.decode()
    cm_client.post(
        url(workspace, "saved-replies/"),
        {"title": "Délai", "shortcut": "/delai", "text": "Sous 48 h."},
    )
    saved = SavedReply.objects.get()
    assert saved.shortcut == "delai"
    cm_client.post(
        url(workspace, f"saved-replies/{saved.pk}/"),
        {"title": "Délai", "shortcut": "delai", "text": "Sous 24 h."},
    )
    saved.refresh_from_db()
    assert saved.text == "Sous 24 h."
    cm_client.post(url(workspace, f"saved-replies/{saved.pk}/delete/"))
    assert not SavedReply.objects.exists()


def test_settings_page(workspace, owner_client):
    assert owner_client.get(url(workspace, "settings/")).status_code == 200
    data = {
        "time_zone": "Europe/Paris",
        "holidays": "2026-12-25\n2026-01-01",
        "first_response_hours": "2",
        "next_response_hours": "4",
        "resolution_hours": "48",
        "route_questions": "on",
        "day_0": "09:00-12:30, 14:00-18:00",
        "day_1": "9:00-18:00",
    }
    response = owner_client.post(url(workspace, "settings/"), data)
    assert response.status_code == 302
    settings = InboxSettings.objects.get(workspace=workspace)
    assert settings.business_hours == {
        "0": [["09:00", "12:30"], ["14:00", "18:00"]],
        "1": [["09:00", "18:00"]],
    }
    assert settings.holidays == ["2026-01-01", "2026-12-25"]
    assert settings.first_response_minutes == 120
    assert settings.route_questions and not settings.route_complaints
    bad = owner_client.post(url(workspace, "settings/"), {**data, "day_2": "le matin"})
    assert bad.status_code == 200 and "09:00-12:30" in bad.content.decode()
    bad = owner_client.post(url(workspace, "settings/"), {**data, "time_zone": "Mars/Olympus"})
    assert bad.status_code == 200


def test_settings_need_a_manager(workspace, cm_client):
    assert cm_client.get(url(workspace, "settings/")).status_code == 403


def test_performance_page(workspace, cm, cm_client, conversation):
    from parvis.inbox import sending
    from parvis.inbox.models import Direction, Message
    from parvis.inbox.services import record_answer

    answer = Message.objects.create(
        workspace=workspace,
        conversation=conversation,
        direction=Direction.OUT,
        network="bluesky",
        external_id="answer-1",
        text="Bonjour",
        sent_at=timezone.now(),
        member=cm,
    )
    record_answer(conversation, answer, member=cm, settings=services.get_settings(workspace))
    assert sending  # imported for its side effects on nothing; keeps the import list honest
    for days in ("7", "30"):
        page = cm_client.get(url(workspace, f"performance/?days={days}"))
        assert page.status_code == 200
    body = page.content.decode()
    assert "camille" in body and "Bluesky" in body


def test_notifications(workspace, owner, cm, cm_client, conversation):
    services.do_assign(conversation, owner, assignee=cm)
    page = cm_client.get(url(workspace, "notifications/")).content.decode()
    assert "data-notification" in page
    assert 'data-notifications="1"' in cm_client.get(url(workspace, "unread/")).content.decode()
    cm_client.post(url(workspace, "notifications/read/"))
    assert not Notification.objects.filter(user=cm, read_at__isnull=True).exists()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.CLIENT])
def test_read_only_roles(workspace, member_factory, conversation, role):
    client = login(member_factory(role))
    page = client.get(url(workspace, f"{conversation.pk}/"))
    assert page.status_code == 200
    assert 'id="composer"' not in page.content.decode()
    for tail, data in [
        ("reply/", {"text": "Bonjour"}),
        ("assign/", {"me": "1"}),
        ("status/", {"status": "resolved"}),
        ("note/", {"note-text": "x"}),
        ("escalate/", {"to_role": "legal", "reason": "x"}),
    ]:
        assert client.post(url(workspace, f"{conversation.pk}/{tail}"), data).status_code == 403
    assert (
        client.post(
            url(workspace, "bulk/"), {"ids": [conversation.pk], "action": "spam"}
        ).status_code
        == 403
    )
    assert (
        client.post(url(workspace, "saved-replies/"), {"title": "x", "text": "y"}).status_code
        == 403
    )
    assert not Reply.objects.exists()
    conversation.refresh_from_db()
    assert conversation.status == Status.NEW


def test_hostile_text_is_escaped(workspace, cm, cm_client):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    conversation = make_conversation(workspace, text=evil, name=evil)
    services.do_add_note(conversation, cm, evil)
    for page in (
        cm_client.get(url(workspace, "?view=all")),
        cm_client.get(url(workspace, f"{conversation.pk}/")),
    ):
        body = page.content.decode()
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert "&lt;script&gt;" in body


def test_a_mention_is_sent_to_the_inbox_from_its_listening_page(workspace, owner, member_factory):
    from parvis.listening.models import Mention
    from parvis.workspaces.roles import Role
    from tests.conftest import login as log_in
    from tests.inbox.helpers import post, store

    item = post("Quelqu'un a testé Maison Lumière ?", handle="q.bsky.social")
    (mention,) = store(workspace, [item])
    client = log_in(owner)
    page = client.get(f"/w/{workspace.slug}/listening/mentions/{mention.pk}/")
    assert "Envoyer dans la boîte de réception" in page.content.decode()
    answer = client.post(f"/w/{workspace.slug}/inbox/take/{mention.pk}/")
    conversation = Conversation.objects.get(messages__mention=mention)
    assert answer.status_code == 302 and answer.url.endswith(f"/inbox/{conversation.pk}/")
    page = client.get(f"/w/{workspace.slug}/listening/mentions/{mention.pk}/")
    assert "Ouvrir dans la boîte de réception" in page.content.decode()
    analyst = log_in(member_factory(Role.ANALYST))
    page = analyst.get(f"/w/{workspace.slug}/listening/mentions/{mention.pk}/")
    assert "boîte de réception</button>" not in page.content.decode()
    assert analyst.post(f"/w/{workspace.slug}/inbox/take/{mention.pk}/").status_code == 403
    assert Mention.objects.count() == 1


def test_teams_are_made_in_the_settings_and_conversations_given_to_them(
    workspace, owner, member_factory
):
    from parvis.inbox.models import Team
    from tests.conftest import login as log_in

    camille = member_factory(username="camille")
    client = log_in(owner)
    url = f"/w/{workspace.slug}/inbox/settings/teams/"
    client.post(url, {"name": "Service client", "members": [camille.pk]})
    team = Team.objects.get(workspace=workspace)
    assert list(team.members.all()) == [camille]
    client.post(url, {"name": "Service client", "members": []})  # the same name twice
    assert Team.objects.filter(workspace=workspace).count() == 1
    page = client.get(f"/w/{workspace.slug}/inbox/settings/").content.decode()
    assert ("Service client" in page and "Camille" in page) or "camille" in page
    cm = log_in(camille)
    assert cm.post(url, {"name": "Juridique"}).status_code == 403


def test_a_shortcut_typed_alone_becomes_its_saved_reply(workspace, owner):
    from parvis.inbox import intake
    from tests.conftest import login as log_in
    from tests.inbox.helpers import BRAND, brand_account, post, store

    brand_account(workspace)
    store(workspace, [post(f"@{BRAND} bonjour", handle="bob.bsky.social", name="Bob Durand")])
    intake.take_pending(workspace)
    conversation = Conversation.objects.get()
    services.do_save_reply(
        workspace, owner, title="Merci", text="Merci {prénom} !", shortcut="merci"
    )
    client = log_in(owner)
    page = client.post(
        f"/w/{workspace.slug}/inbox/{conversation.pk}/reply/",
        {"text": "/merci", "seen_version": conversation.version},
    )
    assert page.status_code == 200
    assert "Merci Bob !" in page.content.decode()
    assert not conversation.replies.exists()  # to read over, not sent


def test_a_moderated_message_shows_its_state_and_hostile_links_are_not_links(workspace, owner):
    from parvis.inbox import intake
    from parvis.inbox.models import Message
    from parvis.inbox.services import do_mark_moderated
    from tests.conftest import login as log_in
    from tests.inbox.helpers import BRAND, brand_account, post, store

    brand_account(workspace)
    store(
        workspace,
        [post(f"@{BRAND} achetez ici", handle="spam.bsky.social", url="javascript:alert(1)")],
    )
    intake.take_pending(workspace)
    message = Message.objects.get()
    do_mark_moderated(message, "hidden", "Spam or advertising")
    page = (
        log_in(owner).get(f"/w/{workspace.slug}/inbox/{message.conversation_id}/").content.decode()
    )
    assert 'data-moderation="hidden"' in page and "Spam ou publicité" in page
    assert "javascript:alert" not in page


def test_snoozed_conversations_have_their_view_and_a_late_snooze_is_flagged(workspace, owner):
    from parvis.inbox import intake
    from tests.conftest import login as log_in
    from tests.inbox.helpers import BRAND, brand_account, post, store

    brand_account(workspace)
    store(workspace, [post(f"@{BRAND} une question", handle="bob.bsky.social")])
    intake.take_pending(workspace)
    conversation = Conversation.objects.get()
    client = log_in(owner)
    answer = client.post(
        f"/w/{workspace.slug}/inbox/{conversation.pk}/snooze/",
        {
            "when": "custom",
            "until": (timezone.now() + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    body = answer.content.decode()
    assert "en retard" in body.lower() or "late" in body.lower()
    listed = client.get(f"/w/{workspace.slug}/inbox/?view=snoozed").content.decode()
    assert f"/inbox/{conversation.pk}/" in listed
    everything = client.get(f"/w/{workspace.slug}/inbox/?view=all").content.decode()
    assert f"/inbox/{conversation.pk}/" not in everything


def test_the_network_filter_offers_only_networks_with_conversations(
    workspace, cm_client, conversation
):
    page = cm_client.get(url(workspace, ""))
    choices = dict(page.context["form"].fields["network"].choices)
    assert set(choices) == {"", conversation.network}


def test_hostile_form_input_is_a_form_error(workspace, owner, conversation):
    """A snooze date no database can hold, a settings page closed every day, a member id past
    64 bits and a 1 MB saved reply: form errors, never a 500."""
    client = login(owner)
    services.do_update_settings(workspace, owner, time_zone="America/New_York")
    answer = client.post(
        url(workspace, f"{conversation.pk}/snooze/"),
        {"when": "custom", "until": "9999-12-31T23:59"},
    )
    assert answer.status_code == 302
    conversation.refresh_from_db()
    assert conversation.snoozed_until is None
    settings = {
        "time_zone": "Europe/Paris",
        "holidays": "9999-12-31",
        "first_response_hours": "1",
        "next_response_hours": "1",
        "resolution_hours": "10",
    }
    answer = client.post(url(workspace, "settings/"), settings)
    assert answer.status_code == 200 and answer.context["form"].errors["day_0"]
    answer = client.post(url(workspace, "settings/"), {**settings, "day_0": "09:00-18:00"})
    assert answer.status_code == 302
    assert InboxSettings.objects.get(workspace=workspace).holidays == ["9999-12-31"]
    answer = client.post(url(workspace, "settings/teams/"), {"name": "Care", "members": [2**64]})
    assert answer.status_code == 302
    answer = client.post(
        url(workspace, "saved-replies/"), {"title": "Long", "shortcut": "", "text": "x" * 1_000_000}
    )
    assert answer.status_code == 200 and answer.context["form"].errors["text"]
    assert not SavedReply.objects.filter(workspace=workspace).exists()


def test_conversations_nobody_took_are_unassigned_not_none_none(workspace, cm_client):
    from parvis.inbox import figures

    make_conversation(workspace)
    now = timezone.now()
    found = figures.figures(workspace, now - dt.timedelta(days=7), now + dt.timedelta(minutes=1))
    assert list(found["members"]) == [""]
    page = cm_client.get(url(workspace, "performance/?days=7")).content.decode()
    assert "None None" not in page and "Non assignées" in page
