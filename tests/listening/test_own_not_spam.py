"""The brand's own accounts are never scored as spam in their own workspace."""

from __future__ import annotations

import pytest

from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Mention
from parvis.workspaces.models import NetworkChoice
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db

OFFER = "Gift cards from €20, free shipping this weekend only: http://shop.example.com/gift"


def test_own_offer_is_not_spam_but_the_same_text_elsewhere_is(workspace, other_workspace):
    NetworkChoice.objects.create(
        workspace=workspace, network="bluesky", handle="@MaisonLumiere.bsky.social"
    )
    own = mention(1, text=OFFER, author={"handle": "maisonlumiere.bsky.social", "name": "ML"})
    stranger = mention(2, text=OFFER, author={"handle": "deals.bsky.social", "name": "D"})
    ingest_lines(workspace, lines([own, stranger]))
    ingest_lines(other_workspace, lines([own]))

    mine = Mention.objects.get(workspace=workspace, author__handle="maisonlumiere.bsky.social")
    assert mine.spam == 0.0
    theirs = Mention.objects.get(workspace=workspace, author__handle="deals.bsky.social")
    assert theirs.spam >= 0.5
    # In another workspace the brand is just an author like any other.
    elsewhere = Mention.objects.get(workspace=other_workspace)
    assert elsewhere.spam >= 0.5
