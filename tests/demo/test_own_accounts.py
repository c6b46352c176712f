"""The demo's strategy names the brand's own account on every network the corpus has it on,
so its replies are not listed as mentions nor ranked among the influencers."""

from __future__ import annotations

import pytest

from parvis.demo.corpus import BRAND_ACCOUNTS
from parvis.demo.seed import DEMO_SLUG, ensure_demo
from parvis.listening.own import own_handles
from parvis.workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def test_every_brand_account_of_the_corpus_is_an_own_account():
    ensure_demo()
    own = own_handles(Workspace.objects.get(slug=DEMO_SLUG))
    for network, account in BRAND_ACCOUNTS.items():
        assert (network, account.handle.lstrip("@")) in own, network
