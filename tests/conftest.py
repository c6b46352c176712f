from __future__ import annotations

import pytest
from django.test import Client

from parvis.core.tokens import do_create_token
from parvis.workspaces.roles import Role
from parvis.workspaces.services import do_add_member, do_create_user, do_create_workspace
from parvis.workspaces.strategy import ITEM_KINDS, do_save_item

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def empty_cache():
    """The cache outlives a test's database: a figure cached by one test (keyed by a workspace
    id the next test reuses) must not answer in the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language: a request with another language
    cookie leaves that language active in the test's thread (LocaleMiddleware activates it
    and nothing deactivates it), and the next test would then word its texts in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def figures_in_the_request(monkeypatch):
    """Out-of-date cached figures are recomputed in a thread in production; a thread would
    not see a test's transaction (tests/listening/test_freshness.py tests the thread)."""
    from parvis.listening import freshness

    monkeypatch.setattr(freshness, "BACKGROUND", False)


def make_user(username: str):
    return do_create_user(username, PASSWORD, email=f"{username}@example.test")


@pytest.fixture
def workspace(db):
    return do_create_workspace("lumiere", "Maison Lumière")


@pytest.fixture
def other_workspace(db):
    return do_create_workspace("rival", "Rival & Co")


@pytest.fixture
def member_factory(workspace):
    def make(role: str = Role.COMMUNITY_MANAGER, ws=None, username: str | None = None):
        ws = ws or workspace
        user = make_user(username or f"{role}-{ws.slug}")
        do_add_member(ws, user, role)
        return user

    return make


@pytest.fixture
def owner(member_factory):
    return member_factory(Role.OWNER)


@pytest.fixture
def outsider(other_workspace, member_factory):
    """Owner of another workspace: must never see anything of `workspace`."""
    return member_factory(Role.OWNER, ws=other_workspace, username="outsider")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return login(owner)


def bearer(user, workspace=None) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {do_create_token(user, workspace=workspace).raw}"}


@pytest.fixture
def populated(workspace, owner):
    """One item of each strategy kind in `workspace`, keyed by kind code."""
    data = {
        "objective": {
            "kind": "awareness",
            "title": "Être reconnus",
            "kpi": "Mentions",
            "target_value": 500,
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
        },
        "persona": {"name": "Camille", "networks": ["instagram"]},
        "network": {"network": "bluesky", "reason": "presse", "posts_per_week": 4},
        "competitor": {"name": "Cire & Sens", "keywords": ["cireetsens"]},
    }
    return {code: do_save_item(workspace, owner, ITEM_KINDS[code], d) for code, d in data.items()}
