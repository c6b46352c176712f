"""Mentions for inbox tests, stored through the real pipeline, and a network to reply to."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any, ClassVar

from parvis.connectors import base
from parvis.listening import pipeline
from parvis.listening.models import Mention, Source
from parvis.workspaces.models import NetworkChoice

BRAND = "maisonlumiere.bsky.social"
_ids = itertools.count(1)


def post(
    text: str,
    *,
    handle: str = "alice.bsky.social",
    name: str = "Alice Martin",
    at: dt.datetime | None = None,
    parent: str = "",
    root: str = "",
    external_id: str = "",
    network: str = "bluesky",
    **extra: Any,
) -> dict[str, Any]:
    n = next(_ids)
    # In the past, in the order made: a customer's message after the brand's reply would keep
    # the clock running.
    at = at or dt.datetime.now(dt.UTC) - dt.timedelta(days=2) + dt.timedelta(seconds=n)
    item = {
        "network": network,
        "external_id": external_id
        or f"at://did:plc:{handle.split('.')[0]}/app.bsky.feed.post/{n:06d}",
        "url": f"https://bsky.app/profile/{handle}/post/{n:06d}",
        "author": {"handle": handle, "name": name, "followers": 120},
        "text": text,
        "created_at": at.isoformat(),
        "lang": "fr",
    }
    if parent:
        item["parent_id"] = parent
    if root:
        item["root_id"] = root
    item.update(extra)
    return item


def store(workspace, items: list[dict[str, Any]], source: Source | None = None) -> list[Mention]:
    incoming = [base.Incoming(i, json.dumps(i, ensure_ascii=False)) for i in items]
    pipeline.run(workspace, incoming, source=source, keep_unmatched=True)
    ids = [i["external_id"] for i in items]
    return list(Mention.objects.filter(workspace=workspace, external_id__in=ids).order_by("id"))


def brand_account(workspace) -> None:
    NetworkChoice.objects.update_or_create(
        workspace=workspace, network="bluesky", defaults={"handle": BRAND}
    )


@base.register
class FakeReplyNetwork(base.Connector):
    """A network that keeps what is posted to it (the test's view of « the network »)."""

    kind = "inbox_test"
    label = "Inbox test network"
    network = "bluesky"
    web_ui = False
    capabilities = frozenset(
        {base.Capability.LISTEN, base.Capability.REPLY, base.Capability.MODERATE}
    )
    moderation_actions = frozenset({base.ModerationAction.HIDE, base.ModerationAction.RESTORE})
    posts: ClassVar[list[dict[str, Any]]] = []
    fail_with: ClassVar[list[Exception]] = []
    # What the network hides from the public: external ids, and every call made.
    hidden: ClassVar[set[str]] = set()
    calls: ClassVar[list[tuple[str, str]]] = []

    @classmethod
    def reads_own_activity(cls, config: dict[str, Any]) -> bool:
        return bool(config.get("own"))

    @classmethod
    def is_private(cls, raw: dict[str, Any]) -> bool:
        return bool(raw.get("private"))

    def reply(
        self, target: base.ReplyTarget, text: str, context: base.ReplyContext
    ) -> base.SentReply:
        if self.fail_with:
            raise self.fail_with.pop(0)
        n = len(self.posts) + 1
        sent = {
            "id": f"at://did:plc:brand/app.bsky.feed.post/r{n}",
            "parent": target.external_id,
            "text": text,
            "key": context.idempotency_key,
            "at": dt.datetime.now(dt.UTC),
        }
        self.posts.append(sent)
        return base.SentReply(sent["id"], url=f"https://bsky.app/r{n}", published_at=sent["at"])

    def find_reply(
        self, target: base.ReplyTarget, text: str, since: dt.datetime, context: base.ReplyContext
    ) -> base.SentReply | None:
        for sent in self.posts:
            if (
                sent["parent"] == target.external_id
                and sent["text"] == text
                and sent["at"] >= since
            ):
                return base.SentReply(sent["id"], published_at=sent["at"])
        return None

    def moderate(
        self,
        target: base.ReplyTarget,
        action: base.ModerationAction,
        context: base.ModerationContext,
    ) -> base.ModerationResult:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.calls.append((str(action), target.external_id))
        if action == base.ModerationAction.HIDE:
            self.hidden.add(target.external_id)
        else:
            self.hidden.discard(target.external_id)
        return base.ModerationResult(action=str(action), message="ok")
