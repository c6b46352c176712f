"""A workspace page view reads the session; it writes it only when something in it changes
(on SQLite every write competes with ingestion for the database's one write lock)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import login

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def session_writes(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(WRITES)
    ]


def test_viewing_the_same_workspace_again_does_not_write_the_session(
    workspace, other_workspace, owner, member_factory
):
    from parvis.workspaces.roles import Role
    from parvis.workspaces.services import do_add_member

    do_add_member(other_workspace, owner, Role.OWNER)
    client = login(owner)
    first = session_writes(client, f"/w/{workspace.slug}/")
    assert first  # the last workspace is remembered
    assert session_writes(client, f"/w/{workspace.slug}/") == []
    assert session_writes(client, f"/w/{workspace.slug}/listening/") == []
    assert session_writes(client, f"/w/{other_workspace.slug}/") != []  # it changed
    assert client.session["last_workspace"] == other_workspace.slug
