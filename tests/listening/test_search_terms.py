import pytest

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
