"""Fixtures shared by pub-core's tests (imported by each test module: no conftest, which
other branches of issue #13 may add)."""

from __future__ import annotations

import datetime as dt
import types

import pytest
from django.utils import timezone

from parvis.publishing import checks
from parvis.publishing.services import do_save_approval_settings
from parvis.workspaces.roles import Role
from tests.publishing.pubcore_helpers import FakePublishNetwork, threads_account


@pytest.fixture
def network():
    FakePublishNetwork.reset()
    yield FakePublishNetwork
    FakePublishNetwork.reset()


@pytest.fixture
def account(workspace, owner, network):
    return threads_account(workspace, owner)


@pytest.fixture
def cm(member_factory):
    return member_factory(Role.COMMUNITY_MANAGER)


@pytest.fixture
def manager(member_factory):
    return member_factory(Role.MANAGER)


@pytest.fixture
def client_member(member_factory):
    return member_factory(Role.CLIENT)


@pytest.fixture
def one_step(workspace, owner):
    return do_save_approval_settings(workspace, owner, flow="one", step1_role=Role.CLIENT)


@pytest.fixture
def two_steps(workspace, owner):
    return do_save_approval_settings(
        workspace, owner, flow="two", step1_role=Role.MANAGER, step2_role=Role.CLIENT
    )


@pytest.fixture
def soon():
    return timezone.now() + dt.timedelta(hours=1)


def fake_module(**functions):
    return types.SimpleNamespace(**functions)


@pytest.fixture
def unsafe(monkeypatch):
    """Brand safety flags #iran (the module of pub-safety, replaced here by its contract)."""

    def check_post(workspace, text, now=None):
        if "#iran" in text.lower():
            return [
                types.SimpleNamespace(
                    code="trending_tragedy",
                    term="#iran",
                    message="#Iran is dominated by news of an election and deaths right now.",
                )
            ]
        return []

    monkeypatch.setattr(checks, "safety", lambda: fake_module(check_post=check_post))


@pytest.fixture
def short_limit(monkeypatch):
    """Counting (pub-counting's module, replaced by its contract): 20 characters on threads."""

    def count(text, network, limits=None):
        length = len(text)
        ok = network != "threads" or length <= 20
        return types.SimpleNamespace(ok=ok, length=length, limit=20, message="")

    monkeypatch.setattr(
        checks, "counting", lambda: fake_module(count=count, check_media=lambda *a: [])
    )
