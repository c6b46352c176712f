"""Fixtures shared by pub-core's tests (imported by each test module: no conftest, which
other branches of issue #13 may add)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

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


@pytest.fixture
def unsafe(workspace):
    """What listening sees right now: « #Iran » is the hashtag of an election and of deaths
    (mentions stored through the real pipeline), so brand safety blocks a promotion on it."""
    from tests.publishing.safety_data import IRAN, store

    store(workspace, IRAN)
    return "#Iran"


# Threads takes 500 characters (parvis/connectors/counting.py): one more is refused.
TOO_LONG_FOR_THREADS = "Un texte bien trop long pour Threads. " + "x" * 463
