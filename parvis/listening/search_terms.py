"""What a search-based connector asks its network for, derived from the monitored queries.

Networks' search syntaxes differ and are weaker than ours, so each query becomes a few plain
searches — space-separated terms that all must appear, phrases in double quotes — whose union
covers every mention the query can match. NOT and `lang:`/`network:` are left to the pipeline,
which matches every result against the real queries afterwards: over-fetching is safe,
under-fetching is not. Queries that need no term ("lang:fr", "NOT x") cannot be searched for;
only streams and feeds find their mentions.

Terms are folded (lower case, no accents): "lumière" is searched as "lumiere", which the search
engines of Bluesky, Mastodon, Reddit and Algolia also fold.
"""

from __future__ import annotations

import itertools

from parvis.connectors.base import MAX_TERMS
from parvis.listening.models import MonitoredQuery
from parvis.listening.query import (
    And,
    Field,
    Node,
    Not,
    Or,
    Prefix,
    QuerySyntaxError,
    parse,
)
from parvis.workspaces.models import Workspace

# A query whose AND of ORs expands to more searches falls back to its single terms.
MAX_PER_QUERY = 8


def term(node: Node) -> str:
    # Phrases render quoted, hashtags with "#", handles with "@": what search engines expect.
    return node.stem if isinstance(node, Prefix) else node.render()


def expand(node: Node) -> list[tuple[str, ...]] | None:
    """Alternatives of terms that all must appear; None when the node constrains no term."""
    if isinstance(node, Not | Field):
        return None
    if isinstance(node, Or):
        options = [expand(c) for c in node.children]
        constrained = [o for o in options if o is not None]
        if len(constrained) < len(options):
            return None  # "x OR lang:fr" can match without any term
        return [alt for o in constrained for alt in o]
    if isinstance(node, And):
        parts = [o for o in (expand(c) for c in node.children) if o is not None]
        if not parts:
            return None
        return [tuple(itertools.chain(*combo)) for combo in itertools.product(*parts)]
    return [(term(node),)]


def query_terms(expression: str) -> list[str]:
    """The searches that together find every mention a query can match."""
    try:
        query = parse(expression)
    except QuerySyntaxError:
        return []
    if not query.needs_term:
        return []
    alternatives = expand(query.root) or []
    if len(alternatives) > MAX_PER_QUERY:
        return [t.rstrip("*") for t in query.positive_terms()]
    return [" ".join(dict.fromkeys(alt)) for alt in alternatives]


def search_terms(workspace: Workspace, limit: int | None = MAX_TERMS) -> list[str]:
    """Distinct terms of the workspace's active queries, in query order (all of them with
    `limit=None`)."""
    terms: list[str] = []
    queries = MonitoredQuery.objects.filter(workspace=workspace, is_active=True).order_by("pk")
    for expression in queries.values_list("expression", flat=True):
        for term in query_terms(expression):
            if term not in terms:
                terms.append(term)
    return terms[:limit]
