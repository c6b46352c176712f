from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parvis.core import health
from parvis.core.models import AuditEvent
from parvis.workspaces.models import Membership, Objective
from parvis.workspaces.roles import Role
from parvis.workspaces.strategy import do_update_strategy, get_strategy
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["queue"]["status"] == "ok"


def test_healthz_503_when_queue_is_down(client, monkeypatch):
    def broken():
        raise ConnectionError("redis gone")

    monkeypatch.setattr(health.HUEY, "pending_count", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == {
        "status": "error",
        "backend": type(health.HUEY).__name__,
        "error": "ConnectionError",
    }


def test_security_headers(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_login_logs_in_and_is_audited(client, owner, workspace):
    response = client.post("/login/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").url == "/w/lumiere/"
    assert AuditEvent.objects.filter(kind="login", actor=owner).exists()


def test_login_is_throttled_after_repeated_failures(client, owner, settings):
    for _ in range(settings.LOGIN_THROTTLE_ATTEMPTS):
        client.post("/login/", {"username": owner.username, "password": "wrong"})
    assert AuditEvent.objects.filter(kind="login_failed").count() == 5
    # even the right password is refused while throttled
    response = client.post("/login/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors["__all__"][0].startswith(("Too many", "Trop"))


def test_home_without_workspace_explains_what_to_do(client, db):
    from tests.conftest import make_user

    client.force_login(make_user("lonely"))
    response = client.get("/")
    assert response.status_code == 200
    assert b"parvis workspace create" in response.content


def test_dashboard_and_strategy_render_user_text_escaped(owner_client, workspace, owner):
    do_update_strategy(workspace, owner, {"tone": HOSTILE, "themes": [HOSTILE]})
    for path in ("/w/lumiere/", "/w/lumiere/strategy/", "/w/lumiere/strategy/history/"):
        html = owner_client.get(path).content.decode()
        assert "<script>alert" not in html, path
        assert "onerror=alert(1)>" not in html, path
    assert "&lt;script&gt;alert" in owner_client.get("/w/lumiere/strategy/").content.decode()


def test_editorial_line_edit_with_htmx_returns_the_fragment(owner_client, workspace):
    form = owner_client.get("/w/lumiere/strategy/editorial-line/", HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    assert b"<html" not in form.content and b'id="editorial-line"' in form.content
    response = owner_client.post(
        "/w/lumiere/strategy/editorial-line/",
        {
            "positioning": "Bougies",
            "address_form": "tu",
            "language_register": "casual",
            "tone": "Complice",
            "words_to_avoid": "pas cher\nchimique",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"Complice" in response.content and b"<html" not in response.content
    assert b'id="editorial-saved"' in response.content  # said in place
    assert not list(owner_client.get("/w/lumiere/").context["messages"])  # not again later
    strategy = get_strategy(workspace)
    assert (strategy.address_form, strategy.words_to_avoid) == ("tu", ["pas cher", "chimique"])


def test_editorial_line_edit_without_javascript_redirects(owner_client, workspace):
    response = owner_client.post(
        "/w/lumiere/strategy/editorial-line/",
        {"address_form": "vous", "language_register": "formal", "tone": "Sobre"},
    )
    assert response.status_code == 302
    assert get_strategy(workspace).tone == "Sobre"


def test_invalid_editorial_line_shows_errors_and_keeps_data(owner_client, workspace):
    response = owner_client.post(
        "/w/lumiere/strategy/editorial-line/",
        {"address_form": "toi", "language_register": "formal", "tone": "Sobre"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["address_form"]
    assert get_strategy(workspace).tone == ""


def test_objective_create_edit_delete_through_the_ui(owner_client, workspace):
    data = {
        "kind": "awareness",
        "title": "Être reconnus",
        "kpi": "Mentions",
        "target_value": "500",
        "unit": "",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "network": "",
        "notes": "",
    }
    assert owner_client.post("/w/lumiere/strategy/objective/new/", data).status_code == 302
    objective = Objective.objects.get(workspace=workspace)
    edit_url = f"/w/lumiere/strategy/objective/{objective.pk}/"
    assert owner_client.post(edit_url, {**data, "target_value": "800"}).status_code == 302
    objective.refresh_from_db()
    assert objective.target_value == 800
    page = owner_client.get(edit_url).content.decode()
    assert 'value="800,00"' in page  # French decimals in French
    assert owner_client.post(edit_url, {**data, "target_value": "70,5"}).status_code == 302
    objective.refresh_from_db()
    assert objective.target_value == Decimal("70.5")
    assert owner_client.post(edit_url + "delete/").status_code == 302
    assert not Objective.objects.exists()


def test_unknown_item_kind_is_404(owner_client, workspace):
    assert owner_client.get("/w/lumiere/strategy/spaceship/new/").status_code == 404


def test_read_only_member_sees_but_cannot_edit(workspace, member_factory):
    client = login(member_factory(Role.CLIENT))
    page = client.get("/w/lumiere/strategy/")
    assert page.status_code == 200
    assert b"editorial-line/" not in page.content  # no edit link for a client
    assert client.get("/w/lumiere/strategy/editorial-line/").status_code == 403
    assert client.post("/w/lumiere/strategy/objective/new/", {}).status_code == 403
    assert client.get("/w/lumiere/audit/").status_code == 403


def test_members_page_manages_roles(owner_client, workspace, member_factory):
    analyst = member_factory(Role.ANALYST)
    membership = Membership.objects.get(user=analyst)
    response = owner_client.post(f"/w/lumiere/members/{membership.pk}/", {"role": "moderator"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "moderator"
    page = owner_client.get("/w/lumiere/members/").content.decode()
    assert 'id="roles"' in page  # the role/permission table is shown
    owner_client.post(f"/w/lumiere/members/{membership.pk}/", {"remove": "1"})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_adding_unknown_user_is_reported(owner_client, workspace):
    response = owner_client.post(
        "/w/lumiere/members/add/", {"username": "ghost", "role": "analyst"}, follow=True
    )
    assert len(response.context["messages"]) == 1
    assert Membership.objects.filter(workspace=workspace).count() == 1


def test_tokens_page_shows_token_once(owner_client, owner):
    response = owner_client.post("/account/tokens/", {"name": "report bot"})
    raw = response.context["new_token"]
    assert raw.startswith("pvs_") and raw in response.content.decode()
    assert raw not in owner_client.get("/account/tokens/").content.decode()
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/w/lumiere/", "/w/lumiere/strategy/"])
def test_hot_pages_query_count_does_not_grow_with_data(owner_client, workspace, owner, path):
    """Adding objectives, personas and changes must not add queries (no N+1)."""
    from parvis.workspaces.strategy import ITEM_KINDS, do_save_item

    def add_batch(n):
        for i in range(n):
            do_save_item(workspace, owner, ITEM_KINDS["persona"], {"name": f"P{i}{n}"})
            do_save_item(workspace, owner, ITEM_KINDS["competitor"], {"name": f"C{i}{n}"})
            do_save_item(
                workspace,
                owner,
                ITEM_KINDS["objective"],
                {
                    "kind": "awareness",
                    "title": f"O{i}{n}",
                    "kpi": "k",
                    "target_value": 1,
                    "period_start": "2026-01-01",
                    "period_end": "2026-02-01",
                },
            )

    add_batch(1)
    owner_client.get(path)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        assert owner_client.get(path).status_code == 200
    add_batch(5)
    with CaptureQueriesContext(connection) as many:
        assert owner_client.get(path).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 14, [q["sql"] for q in few.captured_queries]


def test_french_by_default_even_for_an_english_browser(owner_client, workspace):
    response = owner_client.get("/w/lumiere/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


def test_english_when_chosen_with_the_switcher(owner_client, workspace):
    switched = owner_client.post("/i18n/setlang/", {"language": "en", "next": "/w/lumiere/"})
    assert switched.status_code == 302
    response = owner_client.get("/w/lumiere/")
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


def test_first_workspace_is_the_landing_page(client, workspace, owner):
    from parvis.workspaces.services import do_add_member, do_create_workspace

    # "Agence A" sorts first by name but was joined later.
    do_add_member(do_create_workspace("agence", "Agence A"), owner, Role.ANALYST)
    client.force_login(owner)
    assert client.get("/").url == "/w/lumiere/"
    client.get("/w/agence/")
    assert client.get("/").url == "/w/agence/"  # then the last one visited


def test_history_speaks_french_not_codes(owner_client, workspace, owner):
    from parvis.workspaces.strategy import ITEM_KINDS, do_save_item

    do_save_item(
        workspace,
        owner,
        ITEM_KINDS["objective"],
        {
            "kind": "image_change",
            "title": "Cire végétale",
            "kpi": "Part positive",
            "target_value": "70",
            "unit": "%",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "network": "instagram",
        },
    )
    html = owner_client.get("/w/lumiere/strategy/history/").content.decode()
    assert "Faire évoluer l&#x27;image de marque" in html or "Faire évoluer l'image" in html
    assert "image_change" not in html and "7E+1" not in html
    assert "Ajout · objectif" in html
    assert ">70<" in html or " 70<" in html or "70</div>" in html


def test_add_member_form_defaults_to_the_least_privileged_role(owner_client, workspace):
    page = owner_client.get("/w/lumiere/members/").content.decode()
    add_form = page[page.index('action="/w/lumiere/members/add/"') :]
    selected = add_form[: add_form.index("</select>")].split(" selected")[0].rsplit('value="', 1)
    assert selected[1].startswith(f'{Role.ANALYST}"')


def test_security_log_shows_the_members_logins_and_tokens(client, owner, outsider, workspace):
    client.post("/login/", {"username": owner.username, "password": "wrong"})
    client.post("/login/", {"username": owner.username, "password": PASSWORD})
    client.post("/account/tokens/", {"name": "report bot"})
    client.post("/logout/")
    client.post("/login/", {"username": outsider.username, "password": PASSWORD})
    client.post("/account/tokens/", {"name": "rival bot"})
    client.post("/login/", {"username": "nobody", "password": "wrong"})

    events = login(owner).get("/w/lumiere/audit/").context["events"]
    seen = [(e.kind, e.actor.username if e.actor else e.username) for e in events]
    for kind in ("login_failed", "login", "token_created", "logout"):
        assert (kind, owner.username) in seen
    assert "member_added" in {kind for kind, _ in seen}  # the workspace's own events stay
    assert not {who for _, who in seen} & {outsider.username, "nobody"}


def test_security_log_of_a_workspace_hides_other_workspaces_events(
    owner_client, outsider, other_workspace
):
    from parvis.core.tokens import do_create_token

    do_create_token(outsider, workspace=other_workspace)
    events = owner_client.get("/w/lumiere/audit/").context["events"]
    assert all(e.workspace_id != other_workspace.pk for e in events)


def fail_login(client, username: str, times: int, **extra: str) -> None:
    for _ in range(times):
        client.post("/login/", {"username": username, "password": "wrong"}, **extra)


def logs_in(client, user, **extra: str) -> bool:
    client.post("/login/", {"username": user.username, "password": PASSWORD}, **extra)
    return "_auth_user_id" in client.session


def test_typing_someone_elses_name_elsewhere_does_not_lock_them_out(client, owner, settings):
    fail_login(client, owner.username, settings.LOGIN_THROTTLE_ATTEMPTS, REMOTE_ADDR="203.0.113.9")
    assert not logs_in(client, owner, REMOTE_ADDR="203.0.113.9")  # the attacker's address
    assert logs_in(client, owner, REMOTE_ADDR="198.51.100.7")  # the owner, at the office


def test_one_address_guessing_many_accounts_is_stopped(client, owner, settings):
    settings.LOGIN_THROTTLE_ADDRESS_ATTEMPTS = 8
    for n in range(8):
        fail_login(client, f"guess{n}", 1, REMOTE_ADDR="203.0.113.9")
    assert not logs_in(client, owner, REMOTE_ADDR="203.0.113.9")
    assert AuditEvent.objects.filter(kind="login_failed").count() == 8  # not even tried
    assert logs_in(client, owner, REMOTE_ADDR="198.51.100.7")


def test_behind_the_proxy_each_client_is_told_apart(client, owner, settings):
    settings.BEHIND_TLS_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # The proxy appends the address it saw; what the client put before it is not trusted.
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7, 203.0.113.9"}
    fail_login(client, owner.username, settings.LOGIN_THROTTLE_ATTEMPTS, **attacker)
    assert not logs_in(client, owner, **attacker)
    assert set(
        AuditEvent.objects.filter(kind="login_failed").values_list("ip_address", flat=True)
    ) == {"203.0.113.9"}
    assert logs_in(client, owner, **proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")


def test_without_the_proxy_setting_x_forwarded_for_is_ignored(client, owner, settings):
    settings.BEHIND_TLS_PROXY = False
    for n in range(settings.LOGIN_THROTTLE_ATTEMPTS):
        fail_login(client, owner.username, 1, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert not logs_in(client, owner, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert set(
        AuditEvent.objects.filter(kind="login_failed").values_list("ip_address", flat=True)
    ) == {"127.0.0.1"}
