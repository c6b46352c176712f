import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from parvis.core.models import AuditEvent
from parvis.workspaces.models import Membership, StrategyChange
from parvis.workspaces.roles import PERMISSIONS, Perm, Role, can_grant, matrix, role_can
from parvis.workspaces.services import (
    do_add_member,
    do_change_role,
    do_create_user,
    do_create_workspace,
    do_remove_member,
)
from parvis.workspaces.strategy import (
    ITEM_KINDS,
    clean_list,
    do_delete_item,
    do_save_item,
    do_update_strategy,
    get_strategy,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_roles_matrix_is_complete_and_client_is_read_only():
    assert set(PERMISSIONS) == set(Perm)
    assert role_can(Role.CLIENT, Perm.VIEW)
    assert role_can(Role.CLIENT, Perm.APPROVE)
    for perm in (Perm.EDIT_STRATEGY, Perm.PUBLISH, Perm.REPLY, Perm.MANAGE_MEMBERS):
        assert not role_can(Role.CLIENT, perm)
    assert len(matrix()) == len(Perm)
    assert all(len(row) == len(Role) for _, row in matrix())


def test_only_owners_grant_owner():
    assert can_grant(Role.OWNER, Role.OWNER)
    assert can_grant(Role.MANAGER, Role.MODERATOR)
    assert not can_grant(Role.MANAGER, Role.OWNER)
    assert not can_grant(Role.COMMUNITY_MANAGER, Role.ANALYST)


def test_create_workspace_validates_slug_and_records_audit(db):
    with pytest.raises(ValidationError):
        do_create_workspace("Not A Slug!", "x")
    ws = do_create_workspace("agence-nord", "Agence Nord")
    assert get_strategy(ws).workspace == ws
    assert AuditEvent.objects.filter(kind="workspace_created", workspace=ws).exists()


def test_a_user_can_belong_to_several_workspaces(db):
    user = make_user("agency")
    a = do_create_workspace("client-a", "A", owner=user)
    b = do_create_workspace("client-b", "B")
    do_add_member(b, user, Role.ANALYST)
    roles = dict(Membership.objects.filter(user=user).values_list("workspace__slug", "role"))
    assert roles == {a.slug: "owner", b.slug: "analyst"}


def test_role_changes_are_audited_and_last_owner_is_kept(workspace, owner):
    membership = Membership.objects.get(user=owner, workspace=workspace)
    with pytest.raises(ValidationError):
        do_change_role(membership, Role.ANALYST, actor=owner)
    with pytest.raises(ValidationError):
        do_remove_member(membership, actor=owner)
    second = make_user("second")
    do_add_member(workspace, second, Role.OWNER, actor=owner)
    do_change_role(membership, Role.ANALYST, actor=second)
    event = AuditEvent.objects.filter(kind="member_role_changed").get()
    assert event.details == {"member": owner.username, "before": "owner", "after": "analyst"}
    assert event.actor == second


def test_manager_cannot_promote_to_owner(workspace, owner, member_factory):
    manager = member_factory(Role.MANAGER)
    manager_membership = Membership.objects.get(user=manager, workspace=workspace)
    newcomer = make_user("newcomer")
    with pytest.raises(ValidationError):
        do_add_member(
            workspace, newcomer, Role.OWNER, actor=manager, actor_membership=manager_membership
        )
    owner_membership = Membership.objects.get(user=owner, workspace=workspace)
    with pytest.raises(ValidationError):
        do_remove_member(owner_membership, actor=manager, actor_membership=manager_membership)
    do_add_member(
        workspace, newcomer, Role.MODERATOR, actor=manager, actor_membership=manager_membership
    )
    assert Membership.objects.get(user=newcomer).role == Role.MODERATOR


def test_strategy_update_records_who_changed_what(workspace, owner):
    do_update_strategy(workspace, owner, {"tone": "Chaleureux", "words_to_avoid": ["pas cher"]})
    do_update_strategy(
        workspace, owner, {"tone": "Chaleureux", "words_to_avoid": "pas cher, chimique\nlow cost"}
    )
    changes = list(StrategyChange.objects.filter(workspace=workspace).order_by("id"))
    assert [c.action for c in changes] == ["updated", "updated"]
    assert changes[0].changes["tone"] == ["", "Chaleureux"]
    # the second call did not change the tone: only the list is recorded
    assert changes[1].changes == {
        "words_to_avoid": [["pas cher"], ["pas cher", "chimique", "low cost"]]
    }
    assert changes[1].actor == owner


def test_strategy_update_rejects_unknown_choice(workspace, owner):
    with pytest.raises(ValidationError):
        do_update_strategy(workspace, owner, {"address_form": "toi"})
    assert get_strategy(workspace).address_form == "vous"


def test_clean_list_trims_and_dedupes_case_insensitively():
    assert clean_list(" #Lumière, #lumière ,, bougie\n") == ["#Lumière", "bougie"]
    assert clean_list(None) == []


def test_items_create_update_delete_with_history(workspace, owner):
    kind = ITEM_KINDS["objective"]
    data = {
        "kind": "customer_care",
        "title": "Répondre en 4 h",
        "kpi": "Délai de réponse",
        "target_value": "4",
        "unit": "h",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
    }
    objective = do_save_item(workspace, owner, kind, data)
    do_save_item(workspace, owner, kind, {**data, "target_value": "3"}, instance=objective)
    do_delete_item(workspace, owner, kind, objective)
    history = list(StrategyChange.objects.filter(item_type="objective").order_by("id"))
    assert [h.action for h in history] == ["created", "updated", "deleted"]
    assert history[1].changes == {"target_value": ["4", "3"]}
    assert history[2].changes["before"]["title"] == "Répondre en 4 h"


def test_objective_period_must_be_in_order(workspace, owner):
    with pytest.raises(ValidationError):
        do_save_item(
            workspace,
            owner,
            ITEM_KINDS["objective"],
            {
                "kind": "awareness",
                "title": "x",
                "kpi": "y",
                "target_value": 1,
                "period_start": "2026-05-01",
                "period_end": "2026-01-01",
            },
        )


def test_network_choice_is_unique_per_workspace(workspace, owner):
    kind = ITEM_KINDS["network"]
    do_save_item(workspace, owner, kind, {"network": "bluesky"})
    with pytest.raises(ValidationError):
        do_save_item(workspace, owner, kind, {"network": "bluesky"})


def test_item_of_another_workspace_cannot_be_saved_through_this_one(
    workspace, other_workspace, owner, populated
):
    with pytest.raises(ValueError):
        do_save_item(
            other_workspace, owner, ITEM_KINDS["persona"], {"name": "x"}, populated["persona"]
        )


def test_persona_networks_must_be_known(workspace, owner):
    with pytest.raises(ValidationError) as err:
        do_save_item(
            workspace, owner, ITEM_KINDS["persona"], {"name": "x", "networks": ["myspace"]}
        )
    assert "networks" in err.value.message_dict


@pytest.mark.parametrize("weak", ["password", "short1", "alice-lumiere"])
def test_user_create_refuses_weak_passwords(db, weak):
    with pytest.raises(ValidationError):
        do_create_user("alice-lumiere", weak)
    assert not get_user_model().objects.filter(username="alice-lumiere").exists()


def test_parvis_user_create_says_why_a_password_is_refused(db, monkeypatch, capsys):
    import io

    from parvis import cli

    monkeypatch.setattr("sys.stdin", io.StringIO("password\n"))
    assert cli.main(["user", "create", "alice", "--password-stdin"]) == 1
    assert "trop courant" in capsys.readouterr().err  # the CLI speaks French, like the UI
    assert not get_user_model().objects.filter(username="alice").exists()


def test_the_least_privileged_role_can_do_nothing_another_role_cannot():
    from parvis.workspaces.roles import LEAST_PRIVILEGED, permissions_of

    for role in Role:
        assert permissions_of(LEAST_PRIVILEGED) <= permissions_of(role)
