"""The brand's own accounts among the authors: what the brand posts is not a mention of it.

An author is the brand's own when its (network, handle) is a connected account of the
workspace or the handle given for that network in the strategy. Nothing is stored on the
authors: the handful of own accounts is looked up through the authors' unique index each
time, so adding or removing an account takes effect at once, for past mentions too, and
lists filter with `author_id NOT IN (those few ids)`.
"""

from __future__ import annotations

from django.db.models import Q

from parvis.connectors.models import ConnectedAccount
from parvis.listening.models import Author
from parvis.workspaces.access import scoped
from parvis.workspaces.models import NetworkChoice, Workspace

# More than any brand has; bounds the NOT IN list.
MAX_OWN = 200


def own_handles(workspace: Workspace) -> set[tuple[str, str]]:
    """(network, handle without "@") of the brand's own accounts."""
    accounts = scoped(ConnectedAccount, workspace).values_list("network", "handle")
    chosen = scoped(NetworkChoice, workspace).exclude(handle="").values_list("network", "handle")
    pairs = accounts.order_by().union(chosen.order_by())  # one query
    return {(network, handle.strip().lstrip("@")) for network, handle in pairs if handle.strip()}


def spellings(handle: str) -> set[str]:
    """How a network may have written the handle: as typed, lowercased, with an "@"."""
    forms = {handle, handle.lower()}
    return forms | {"@" + form for form in forms}


def own_author_ids(workspace: Workspace) -> list[int]:
    """Ids of the authors who are the brand's own accounts (one indexed query)."""
    handles = own_handles(workspace)
    if not handles:
        return []
    condition = Q()
    for network, handle in sorted(handles):
        condition |= Q(network=network, handle__in=sorted(spellings(handle)))
    ids = scoped(Author, workspace).filter(condition).values_list("id", flat=True)
    return sorted(ids[:MAX_OWN])
