import pytest

from parvis.connectors.base import FetchContext
from parvis.listening.fetch_context import WorkspaceFetchContext
from parvis.listening.models import MonitoredQuery
from parvis.listening.search_terms import query_terms, search_terms


@pytest.mark.parametrize(
    ("expression", "searches"),
    [
        ('"maison lumière"', ['"maison lumiere"']),
        ("(maison OR boutique) lumière", ["maison lumiere", "boutique lumiere"]),
        ("#MaisonLumiere OR @lumiere.bsky.social", ["#maisonlumiere", "@lumiere.bsky.social"]),
        ("bougie* -soldes lang:fr", ["bougie"]),  # NOT and fields are left to the pipeline
        ("lang:fr", []),  # nothing to search for
        ("NOT spam", []),
        ("lumiere OR lang:fr", []),  # can match without a term
        ("(a OR b) (c OR d) (e OR f) (g OR h)", list("abcdefgh")),  # 16 searches: terms alone
    ],
)
def test_query_becomes_searches_that_cover_it(expression, searches):
    assert query_terms(expression) == searches


def test_workspace_terms_are_distinct_and_from_active_queries(workspace):
    for name, expression, active in [
        ("a", '"maison lumière"', True),
        ("b", '"Maison Lumiere" OR bougie', True),
        ("c", "concurrent", False),
    ]:
        MonitoredQuery.objects.create(
            workspace=workspace, name=name, kind="brand", expression=expression, is_active=active
        )
    assert search_terms(workspace) == ['"maison lumiere"', "bougie"]


def test_the_fetch_context_gives_connectors_the_searches_and_a_prefilter(workspace):
    MonitoredQuery.objects.create(
        workspace=workspace, name="fr", kind="brand", expression="bougie lang:fr"
    )
    for n in range(40):
        MonitoredQuery.objects.create(
            workspace=workspace, name=f"q{n}", kind="topic", expression=f"mot{n}"
        )
    context = WorkspaceFetchContext(workspace, keep_unmatched=False)
    assert context.search_terms() == ["bougie"] + [f"mot{n}" for n in range(29)]  # MAX_TERMS
    assert len(context.search_terms(limit=100)) == 41
    post = {"network": "bluesky", "author_handle": None}
    assert context.could_match("une bougie", lang="fr", **post)
    assert not context.could_match("une bougie", lang="en", **post)  # known: matched exactly
    assert context.could_match("une bougie", lang=None, **post)  # French once detected?
    assert not context.could_match("rien", lang=None, **post)
    # What a caller that knows nothing gives: no searches, nothing filtered out.
    nothing = FetchContext()
    assert nothing.search_terms() == [] and nothing.could_match("rien", lang=None, **post)
