"""The moderation pages: each renders for a member, acts through the services, keeps
read-only roles out of the actions, and escapes what comments say."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.inbox import intake
from parvis.inbox.models import Message, Moderation
from parvis.inbox.services import do_mark_moderated
from parvis.listening.sources import do_create_source
from parvis.moderation import services
from parvis.moderation.models import Action, ListedAuthor, ReviewItem, Rule, Setup
from parvis.workspaces.roles import Role
from tests.conftest import login
from tests.inbox.helpers import post, store

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script> arnaque & <b>gras</b>"


@pytest.fixture
def cm(member_factory):
    return member_factory(Role.COMMUNITY_MANAGER, username="camille")


@pytest.fixture
def cm_client(cm):
    return login(cm)


@pytest.fixture
def client_role(member_factory):
    return login(member_factory(Role.CLIENT, username="client"))


@pytest.fixture
def received(workspace):
    source = do_create_source(
        workspace, kind="inbox_test", name="notifications", config={"own": True}
    )

    def receive(*texts: str) -> list[Message]:
        items = [post(text, handle=f"user{i}.bsky.social") for i, text in enumerate(texts)]
        store(workspace, items, source=source)
        intake.take_pending(workspace)
        ids = [i["external_id"] for i in items]
        return list(Message.objects.filter(external_id__in=ids).order_by("id"))

    return receive


def url(workspace, tail: str = "") -> str:
    return f"/w/{workspace.slug}/moderation/{tail}"


def words_rule(workspace, user, *, enabled=True, actions=None, **extra):
    return services.do_save_rule(
        workspace,
        user,
        name=extra.pop("name", "Arnaques"),
        reason="scam",
        enabled=enabled,
        conditions=[{"kind": "words", "words": ["arnaque"]}, *extra.pop("conditions", [])],
        actions=actions or [{"kind": "hide"}],
    )


def review_item(workspace, user, received, text="Franchement c'est une arnaque nulle"):
    services.do_save_rule(
        workspace,
        user,
        name="Douteux",
        reason="insult",
        enabled=True,
        conditions=[
            {"kind": "words", "words": ["arnaque"]},
            {"kind": "score", "name": "spam", "min": 0.99, "review_min": 0.0},
        ],
        actions=[{"kind": "hide"}],
    )
    (message,) = received(text)
    services.moderate_messages(workspace, [message.pk])
    return ReviewItem.objects.get(message=message)


def test_every_page_renders_for_a_member(workspace, cm, cm_client, received):
    words_rule(workspace, cm)
    (message,) = received("bonjour")
    for tail in ("", "rules/new/", "review/", "log/", "charter/", "lists/", "pending/"):
        assert cm_client.get(url(workspace, tail)).status_code == 200, tail
    assert cm_client.get(url(workspace, f"items/{message.pk}/")).status_code == 200
    rule = Rule.objects.get(workspace=workspace)
    page = cm_client.get(url(workspace, f"rules/{rule.pk}/"))
    assert page.status_code == 200 and "arnaque" in page.content.decode()


def test_navigation_links_moderation_with_the_pending_count(workspace, cm, cm_client, received):
    page = cm_client.get(f"/w/{workspace.slug}/").content.decode()
    assert f'href="/w/{workspace.slug}/moderation/"' in page
    assert f'hx-get="/w/{workspace.slug}/moderation/pending/"' in page
    review_item(workspace, cm, received)
    badge = cm_client.get(url(workspace, "pending/")).content.decode()
    assert 'data-count="1"' in badge


def test_rules_page_says_conditions_in_words(workspace, cm, cm_client):
    services.do_save_rule(
        workspace,
        cm,
        name="Insultes",
        reason="insult",
        conditions=[
            {"kind": "score", "name": "insult", "min": 0.75, "review_min": 0.5},
            {"kind": "contains", "what": "link", "not": True},
            {"kind": "words", "words": ["colis bloqué", "payez", "bitcoin", "crypto", "gagnez"]},
        ],
        actions=[{"kind": "hide"}, {"kind": "tag", "name": "abus"}],
    )
    body = cm_client.get(url(workspace)).content.decode()
    assert "insulte ≥ 0,75 (revue dès 0,5)" in body
    assert "ne pas\u00a0: contient un lien" in body
    assert "mots\u00a0: colis bloqué, payez, bitcoin, crypto, …" in body
    assert "masquer" in body and "étiqueter « abus »" in body
    assert 'id="onboarding"' not in body


def test_onboarding_installs_the_default_rules(workspace, cm, cm_client):
    page = cm_client.get(url(workspace)).content.decode()
    assert 'id="onboarding"' in page and "Installer les règles (désactivées)" in page
    response = cm_client.post(url(workspace, "install/"), {"escalate_to": "legal"})
    assert response.status_code == 302
    rules = Rule.objects.filter(workspace=workspace)
    assert rules.count() > 5 and not rules.filter(enabled=True).exists()
    assert Setup.objects.get(workspace=workspace).escalate_to == "legal"
    assert 'id="onboarding"' not in cm_client.get(url(workspace)).content.decode()


def test_onboarding_install_and_switch_on(workspace, cm_client):
    cm_client.post(url(workspace, "install/"), {"escalate_to": "manager", "enable": "1"})
    rules = Rule.objects.filter(workspace=workspace)
    assert rules.exists() and not rules.filter(enabled=False).exists()


def test_no_onboarding_once_done_even_without_rules(workspace, cm, cm_client):
    services.do_install_defaults(workspace, cm, enabled=False)
    Rule.objects.filter(workspace=workspace).delete()
    assert 'id="onboarding"' not in cm_client.get(url(workspace)).content.decode()


def editor_data(**extra):
    data = {
        "name": "Arnaques",
        "reason": "scam",
        "rows": "2",
        "c0-kind": "words",
        "c0-words": "arnaque\ncolis bloqué",
        "c1-kind": "",
        "remove": "hide",
    }
    data.update(extra)
    return data


def test_editor_saves_a_rule_switched_off(workspace, cm_client):
    response = cm_client.post(url(workspace, "rules/new/"), editor_data())
    assert response.status_code == 302
    rule = Rule.objects.get(workspace=workspace)
    assert not rule.enabled
    assert rule.conditions == [
        {"kind": "words", "not": False, "words": ["arnaque", "colis bloqué"], "avoid_list": False}
    ]
    assert rule.actions == [{"kind": "hide"}]
    # Edited: a score condition added, « continue », still off.
    response = cm_client.post(
        url(workspace, f"rules/{rule.pk}/"),
        editor_data(
            **{
                "c1-kind": "score",
                "c1-score": "spam",
                "c1-min": "0.8",
                "c1-review_min": "0.5",
                "c1-negate": "on",
                "continue_after": "on",
                "tag": "SAV",
            }
        ),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.conditions[1] == {
        "kind": "score",
        "not": True,
        "name": "spam",
        "min": 0.8,
        "review_min": 0.5,
    }
    assert rule.continue_after and {"kind": "tag", "name": "SAV"} in rule.actions


def test_editor_refuses_with_the_reason(workspace, cm_client):
    page = cm_client.post(
        url(workspace, "rules/new/"),
        editor_data(
            **{"c0-kind": "score", "c0-score": "spam", "c0-min": "0.5", "c0-review_min": "0.7"}
        ),
    )
    assert page.status_code == 422
    assert "review_min must be below min" in page.content.decode()
    page = cm_client.post(url(workspace, "rules/new/"), editor_data(remove=""))
    assert page.status_code == 422 and "at least one action" in page.content.decode()
    assert not Rule.objects.exists()


def test_editor_adds_a_condition_row(workspace, cm_client):
    page = cm_client.post(url(workspace, "rules/new/"), editor_data(add_row="1"))
    body = page.content.decode()
    assert 'name="c2-kind"' in body and 'name="rows" value="3"' in body
    assert not Rule.objects.exists()
    row = cm_client.get(url(workspace, "rules/condition/?n=3"), HTTP_HX_REQUEST="true")
    body = row.content.decode()
    assert 'name="c3-kind"' in body and 'hx-swap-oob="true"' in body and 'value="4"' in body


def test_preview_counts_and_escapes(workspace, cm_client, received):
    received(HOSTILE, "bonjour", "une arnaque de plus")
    page = cm_client.post(url(workspace, "rules/preview/"), editor_data(), HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert 'data-count="2"' in body and 'data-total="3"' in body
    assert "aurait retenu 2 des 3 commentaires des 30 derniers jours" in body
    assert "<script>" not in body and "&lt;script&gt;" in body
    # Without JavaScript: the editor's own preview button.
    page = cm_client.post(url(workspace, "rules/new/"), editor_data(preview="1"))
    assert 'data-count="2"' in page.content.decode()
    assert not Rule.objects.exists()


def test_switch_move_and_delete(workspace, cm, cm_client):
    first = words_rule(workspace, cm, enabled=False)
    second = words_rule(workspace, cm, name="Deux")
    cm_client.post(url(workspace, f"rules/{first.pk}/switch/"), {"enabled": "1"})
    first.refresh_from_db()
    assert first.enabled
    cm_client.post(url(workspace, f"rules/{second.pk}/move/"), {"direction": "up"})
    assert list(Rule.objects.values_list("name", flat=True)) == ["Deux", "Arnaques"]
    cm_client.post(url(workspace, f"rules/{first.pk}/delete/"))
    assert list(Rule.objects.values_list("name", flat=True)) == ["Deux"]


def test_review_queue_decisions_and_keys(workspace, cm, cm_client, received):
    item = review_item(workspace, cm, received)
    page = cm_client.get(url(workspace, "review/")).content.decode()
    assert f'data-review="{item.pk}"' in page
    assert "<mark>arnaque</mark>" in page
    for key in ('data-key="k"', 'data-key="h"', 'data-key="e"'):
        assert key in page
    assert "parvis/moderation" in page and ".js" in page
    response = cm_client.post(
        url(workspace, f"review/{item.pk}/"), {"decision": "hide", "reason": "spam", "teach": "on"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == "hidden" and item.teach
    hide = Action.objects.get(message=item.message, kind="hide")
    assert hide.reason == "spam" and hide.member == cm


def test_review_keep_and_escalate(workspace, cm, cm_client, received):
    item = review_item(workspace, cm, received)
    cm_client.post(url(workspace, f"review/{item.pk}/"), {"decision": "keep"})
    item.refresh_from_db()
    assert item.state == "kept" and not item.teach
    (message,) = received("encore une arnaque")
    services.moderate_messages(workspace, [message.pk])
    second = ReviewItem.objects.get(message=message)
    cm_client.post(url(workspace, f"review/{second.pk}/"), {"decision": "escalate"})
    second.refresh_from_db()
    assert second.state == "escalated"


def test_keyboard_script_is_served(client):
    from pathlib import Path

    from django.contrib.staticfiles import finders

    path = finders.find("parvis/moderation.js")
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    assert "keydown" in text and "data-key" in text and "j" in text


def test_highlight_keeps_escaping(workspace, cm, cm_client, received):
    item = review_item(
        workspace, cm, received, text="<script>alert(1)</script> Arnaque <b>totale</b> & arnaque"
    )
    body = cm_client.get(url(workspace, "review/")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Arnaque</mark> &lt;b&gt;totale" in body
    assert "&amp; <mark>arnaque</mark>" in body
    assert item.why == ["arnaque", "arnaque"] or "arnaque" in item.why


def test_highlight_is_safe_for_hostile_words():
    from parvis.moderation.listing import highlight

    text = "Élan <img src=x onerror=alert(1)> élan"
    out = str(highlight(text, ["elan", "<img", "onerror"]))
    assert "<img" not in out and "<mark>Élan</mark>" in out and "<mark>élan</mark>" in out
    assert str(highlight("a <b>", [])) == "a &lt;b&gt;"


def test_log_shows_filters_and_restores_with_a_why(workspace, cm, cm_client, received):
    hidden, other = received(HOSTILE, "bonjour")
    services.do_hide(hidden, cm, "scam")
    services.do_hide(other, cm, "spam")
    do_mark_moderated(hidden, Moderation.MANUAL, "Arnaque")
    Action.objects.filter(message=hidden).update(state="manual", url="https://bsky.app/x")
    page = cm_client.get(url(workspace, "log/")).content.decode()
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "à faire à la main" in page and 'href="https://bsky.app/x"' in page
    assert f"/w/{workspace.slug}/inbox/{hidden.conversation_id}/" in page
    assert f'action="/w/{workspace.slug}/moderation/items/{hidden.pk}/restore/"' in page
    filtered = cm_client.get(url(workspace, "log/?reason=spam")).context["rows"]
    assert [r["action"].message_id for r in filtered] == [other.pk]
    by_state = cm_client.get(url(workspace, "log/?state=manual")).context["rows"]
    assert [r["action"].message_id for r in by_state] == [hidden.pk]
    # No why: refused.
    response = cm_client.post(url(workspace, f"items/{hidden.pk}/restore/"), {"why": "  "})
    assert response.status_code == 422
    hidden.refresh_from_db()
    assert hidden.moderation == Moderation.MANUAL
    response = cm_client.post(
        url(workspace, f"items/{hidden.pk}/restore/"),
        {"why": "Un vrai client", "next": url(workspace, "log/")},
    )
    assert response.status_code == 302 and response["Location"] == url(workspace, "log/")
    hidden.refresh_from_db()
    assert hidden.moderation == ""
    assert Action.objects.get(message=hidden, kind="restore").note == "Un vrai client"


def test_log_pages(workspace, cm, cm_client, received):
    (message,) = received("x")
    for _ in range(55):
        services.log(message, "tag", note="t")
    first = cm_client.get(url(workspace, "log/?action=tag"))
    assert len(first.context["rows"]) == 50 and first.context["more"]
    second = cm_client.get(url(workspace, "log/?action=tag&page=2"))
    assert len(second.context["rows"]) == 5 and not second.context["more"]


def test_hide_from_the_item_page(workspace, cm, cm_client, received):
    (message,) = received("à masquer")
    conversation = cm_client.get(f"/w/{workspace.slug}/inbox/{message.conversation_id}/")
    assert (
        f'href="/w/{workspace.slug}/moderation/items/{message.pk}/"'
        in conversation.content.decode()
    )
    assert cm_client.post(url(workspace, f"items/{message.pk}/hide/"), {}).status_code == 422
    response = cm_client.post(url(workspace, f"items/{message.pk}/hide/"), {"reason": "spam"})
    assert response.status_code == 302
    assert Action.objects.get(message=message, kind="hide").reason == "spam"


def test_read_only_roles_get_403_on_actions(workspace, cm, client_role, received):
    rule = words_rule(workspace, cm, enabled=False)
    item = review_item(workspace, cm, received)
    message = item.message
    entry = services.add_to_list(workspace, "VIP", "bluesky", "a.test", cm).entries.get()
    assert client_role.get(url(workspace)).status_code == 200
    assert client_role.get(url(workspace, "review/")).status_code == 200
    assert client_role.get(url(workspace, "log/")).status_code == 200
    posts = [
        ("install/", {"escalate_to": "manager"}),
        ("rules/new/", editor_data()),
        (f"rules/{rule.pk}/", editor_data()),
        (f"rules/{rule.pk}/switch/", {"enabled": "0"}),
        (f"rules/{rule.pk}/move/", {"direction": "up"}),
        (f"rules/{rule.pk}/delete/", {}),
        ("rules/preview/", editor_data()),
        (f"review/{item.pk}/", {"decision": "keep"}),
        (f"items/{message.pk}/hide/", {"reason": "spam"}),
        (f"items/{message.pk}/restore/", {"why": "x"}),
        ("charter/", {"published": "on"}),
        ("lists/", {"name": "VIP", "network": "bluesky", "handle": "b"}),
        (f"lists/{entry.pk}/remove/", {}),
    ]
    for tail, data in posts:
        assert client_role.post(url(workspace, tail), data).status_code == 403, tail
    assert client_role.get(url(workspace, "rules/new/")).status_code == 403
    item.refresh_from_db()
    assert item.state == "pending" and Rule.objects.filter(pk=rule.pk).exists()
    page = client_role.get(url(workspace, "review/")).content.decode()
    assert 'id="review-form"' not in page


def test_charter_public_page(workspace, cm, cm_client, client, received):
    words_rule(workspace, cm)
    charter = services.get_charter(workspace)
    public = f"/charte/{charter.token}/"
    assert client.get(public).status_code == 404
    assert client.get("/charte/nope/").status_code == 404
    response = cm_client.post(
        url(workspace, "charter/"),
        {
            "published": "on",
            "introduction": "Nous <b>aimons</b> vos avis.",
            "appeal": "Écrivez-nous.",
        },
    )
    assert response.status_code == 302
    (message,) = received("arnaque")
    # The last 30 days count (a month just begun would show zeros); older actions do not.
    recent = timezone.now() - dt.timedelta(days=3)
    for reason in ("scam", "scam", "insult"):
        action = services.do_hide(message, cm, reason)
        Action.objects.filter(pk=action.pk).update(created_at=recent)
    old = services.do_hide(message, cm, "spam")
    Action.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    page = client.get(public)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nous &lt;b&gt;aimons&lt;/b&gt; vos avis." in body and "Écrivez-nous." in body
    rows = {r["code"]: r["count"] for r in page.context["rows"]}
    assert rows == {"scam": 2, "insult": 1}
    assert 'id="charter-total">3<' in body
    cm_client.post(url(workspace, "charter/"), {"introduction": "x"})
    assert client.get(public).status_code == 404


def test_author_lists(workspace, cm_client):
    response = cm_client.post(
        url(workspace, "lists/"), {"name": "Trolls", "network": "bluesky", "handle": "@troll.test"}
    )
    assert response.status_code == 302
    entry = ListedAuthor.objects.get()
    assert entry.handle == "troll.test" and entry.author_list.name == "Trolls"
    assert "troll.test" in cm_client.get(url(workspace, "lists/")).content.decode()
    cm_client.post(url(workspace, f"lists/{entry.pk}/remove/"))
    assert not ListedAuthor.objects.exists()
