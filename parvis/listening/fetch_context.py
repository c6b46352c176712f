"""What a connector is told when it fetches for a workspace (connectors.base.FetchContext):
the searches derived from the workspace's active queries, and the compiled queries to
pre-filter a stream with. Built once per source run; each part is computed on first use."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from parvis.connectors.base import MAX_TERMS, FetchContext
from parvis.listening.pipeline import workspace_matcher
from parvis.listening.query import make_document
from parvis.listening.search_terms import search_terms
from parvis.workspaces.models import Workspace


class WorkspaceFetchContext(FetchContext):
    def __init__(self, workspace: Workspace, *, keep_unmatched: bool) -> None:
        super().__init__(workspace.pk)
        self.workspace = workspace
        self.keep_unmatched = keep_unmatched

    @cached_property
    def _terms(self) -> list[str]:
        return search_terms(self.workspace, limit=None)

    @cached_property
    def _matcher(self) -> Any:
        return workspace_matcher(self.workspace)

    def search_terms(self, limit: int = MAX_TERMS) -> list[str]:
        return self._terms[:limit]

    def could_match(
        self, text: str, *, lang: str | None, network: str, author_handle: str | None
    ) -> bool:
        doc = make_document(text, lang=lang or None, network=network, author_handle=author_handle)
        return bool(self._matcher.match(doc) if lang else self._matcher.candidates(doc))
