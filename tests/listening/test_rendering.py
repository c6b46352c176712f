"""The explorer's cards drawn in Python (listening/rendering.py) are exactly what the
reference template listening/_mention_item.html draws, in both languages, for every kind of
mention the corpus holds, hostile text included."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test.utils import override_settings
from django.utils import translation

from parvis.listening import explorer, rendering
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Mention
from tests.listening.factories import lines
from tests.listening.test_explorer import build_corpus, item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["fr", "en"])
@override_settings(TIME_ZONE="Europe/Paris")
def test_cards_are_the_reference_template(workspace, language):
    build_corpus(workspace)
    hostile = "<script>alert(\"x\")</script> & « guillemets » 'apostrophe' " + "é" * 400
    ingest_lines(
        workspace,
        lines(
            [
                item(
                    "h1",
                    hostile,
                    3,
                    author={"handle": "<b>h</b>", "name": "", "followers": 12_345_678},
                ),
                item("h2", hostile, 4, title="Titre <i>long</i>", lang="fr-CA"),
                item("h3", hostile, 5),
            ]
        ),
    )
    Mention.objects.filter(workspace=workspace, external_id="ext-h1").update(group_size=1234)
    mentions = list(
        explorer.with_query_names(
            Mention.objects.filter(workspace=workspace).select_related("author")
        )
    )
    assert len(mentions) >= 10
    own = {mentions[0].author_id}
    with translation.override(language):
        drawn = rendering.mention_cards(mentions, workspace.slug, own)
        reference = "".join(
            render_to_string(
                "listening/_mention_item.html",
                {"m": m, "own_ids": own, "current_workspace": workspace},
            )
            for m in mentions
        )
    # The template leaves the apostrophes of its own translated labels as they are, where
    # format_html writes &#x27;: the same attribute value once read.
    assert str(drawn).replace("&#x27;", "'") == reference.replace("&#x27;", "'")
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn
