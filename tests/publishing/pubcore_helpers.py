"""A network to publish to in the engine's tests (kind `pub_test`, network `threads`, which no
shipped connector publishes to), and accounts on it.

It keeps what is published keyed by idempotency key, as a network that honours the key does:
the same key twice gives the same post. `fail_with` queues errors for the next calls;
`during_publish` runs inside `publish` (another worker acting meanwhile)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any, ClassVar

from django.utils import timezone

from parvis.connectors import base
from parvis.connectors.services import do_connect_account

_ids = itertools.count(1)


@base.register
class FakePublishNetwork(base.Connector):
    kind = "pub_test"
    label = "Publishing test network"
    network = "threads"
    web_ui = False
    auth = base.Auth.APP_PASSWORD
    capabilities = frozenset({base.Capability.PUBLISH})
    posts: ClassVar[dict[str, dict[str, Any]]] = {}  # idempotency key -> what the network has
    calls: ClassVar[list[tuple[str, str]]] = []  # (operation, idempotency key)
    fail_with: ClassVar[list[Exception]] = []
    during_publish: ClassVar[list[Callable[[], None]]] = []

    @classmethod
    def reset(cls) -> None:
        cls.posts.clear()
        cls.calls.clear()
        cls.fail_with.clear()
        cls.during_publish.clear()

    def publish(self, post: base.OutgoingPost, context: base.PublishContext) -> base.PublishedPost:
        self.publish_account()
        self.calls.append(("publish", context.idempotency_key))
        while self.during_publish:
            self.during_publish.pop(0)()
        if self.fail_with:
            raise self.fail_with.pop(0)
        if context.idempotency_key not in self.posts:
            n = next(_ids)
            self.posts[context.idempotency_key] = {
                "id": f"t{n}",
                "text": post.text,
                "reply_to": post.reply_to.external_id if post.reply_to else "",
                "root": post.reply_to.root_external_id if post.reply_to else "",
                "media": [m.path for m in post.media],
                "account": self.account.handle if self.account else "",
                "at": timezone.now(),
            }
        return self.published(self.posts[context.idempotency_key])

    @staticmethod
    def published(row: dict[str, Any]) -> base.PublishedPost:
        return base.PublishedPost(
            row["id"],
            url=f"https://threads.test/p/{row['id']}",
            published_at=row["at"],
            raw={"id": row["id"], "reply_to": row["reply_to"]},
        )

    def find_post(
        self, post: base.OutgoingPost, since: dt.datetime, context: base.PublishContext
    ) -> base.PublishedPost | None:
        self.calls.append(("find_post", context.idempotency_key))
        row = self.posts.get(context.idempotency_key)
        if row is None or row["at"] < since:
            return None
        return self.published(row)

    def published_texts(self) -> list[str]:
        return [p["text"] for p in self.posts.values()]


def threads_account(workspace, owner, handle: str = "lumiere.threads"):
    return do_connect_account(
        workspace, owner, network="threads", handle=handle, credentials={"access_token": "x"}
    )


@base.register
class FilePublishNetwork(base.Connector):
    """A network that outlives the processes publishing to it (a JSON file in the data dir),
    for the crash test with real processes. Honours the idempotency key like the other."""

    kind = "pub_file_test"
    label = "Publishing test network (file)"
    network = "reddit"  # no shipped connector publishes there
    web_ui = False
    auth = base.Auth.APP_PASSWORD
    capabilities = frozenset({base.Capability.PUBLISH})

    @staticmethod
    def path():
        from pathlib import Path

        from django.conf import settings

        return Path(settings.DATA_DIR) / "fake_network.json"

    @classmethod
    def state(cls) -> dict[str, Any]:
        import json

        path = cls.path()
        return json.loads(path.read_text()) if path.exists() else {"posts": {}, "calls": []}

    @classmethod
    def save(cls, state: dict[str, Any]) -> None:
        import json

        cls.path().write_text(json.dumps(state))

    def publish(self, post: base.OutgoingPost, context: base.PublishContext) -> base.PublishedPost:
        state = self.state()
        state["calls"].append(["publish", context.idempotency_key])
        posts = state["posts"]
        if context.idempotency_key not in posts:
            posts[context.idempotency_key] = {
                "id": f"li-{len(posts) + 1}",
                "text": post.text,
                "at": timezone.now().isoformat(),
            }
        self.save(state)
        return self.answer(posts[context.idempotency_key])

    @staticmethod
    def answer(row: dict[str, Any]) -> base.PublishedPost:
        return base.PublishedPost(
            row["id"], url=f"https://linkedin.test/{row['id']}", raw={"id": row["id"]}
        )

    def find_post(
        self, post: base.OutgoingPost, since: dt.datetime, context: base.PublishContext
    ) -> base.PublishedPost | None:
        state = self.state()
        state["calls"].append(["find_post", context.idempotency_key])
        self.save(state)
        row = state["posts"].get(context.idempotency_key)
        if row is None or dt.datetime.fromisoformat(row["at"]) < since:
            return None
        return self.answer(row)
