"""Authors' profiles (handle, display name, followers) from app.bsky.actor.getProfiles, 25
actors a call, cached for the run. A failed lookup never loses a post: the author keeps the
DID as handle and zero followers."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from parvis.connectors.base import ConnectorError
from parvis.connectors.bluesky.mapping import Profile
from parvis.connectors.bluesky.xrpc import BadRequest

logger = logging.getLogger(__name__)

BATCH = 25  # the lexicon's maximum for `actors`


class Reader(Protocol):
    def query(self, nsid: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...


class Profiles:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.cache: dict[str, Profile] = {}
        self.failed = False

    def remember(self, profile: Profile) -> None:
        if profile.did:
            self.cache[profile.did] = profile

    def resolve(self, dids: Iterable[str]) -> dict[str, Profile]:
        """Profiles of these DIDs; unknown ones (deleted, suspended, lookup failed) as bare DIDs."""
        wanted = list(dict.fromkeys(d for d in dids if d))
        missing = [d for d in wanted if d not in self.cache]
        for start in range(0, len(missing), BATCH):
            if self.failed:
                break
            self.fetch(missing[start : start + BATCH])
        return {d: self.cache.get(d, Profile(did=d)) for d in wanted}

    def fetch(self, batch: list[str]) -> None:
        try:
            body = self.reader.query("app.bsky.actor.getProfiles", {"actors": batch})
        except BadRequest as exc:
            # This batch only (an identifier the AppView rejects): the next ones may pass.
            logger.warning("Bluesky profiles lookup refused for %d authors: %s", len(batch), exc)
            body = {}
        except ConnectorError as exc:
            # Posts matter more than their authors' follower counts: keep going without.
            logger.warning("Bluesky profiles lookup failed, authors kept as DIDs: %s", exc)
            self.failed = True
            return
        for view in body.get("profiles") or []:
            if isinstance(view, dict) and view.get("did"):
                self.remember(Profile.from_view(view))
        # Actors the AppView does not know (deleted, taken down) are not asked again this run.
        for did in batch:
            self.cache.setdefault(did, Profile(did=did))
