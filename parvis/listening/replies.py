"""The replies to one of the workspace's own posts, as listening stored them: a public,
read-only view for the apps above (publishing's contests), which may not query listening's
models themselves (import-linter contracts).

Replies to the brand's posts arrive like any mention: a source reading the account's own
activity (Bluesky and Mastodon notifications, the Reddit inbox, YouTube comments) or a
search stores them with `parent_external_id` set to the post they answer. Only direct
replies count here; a reply to a reply is a conversation, not an entry.

Whether the author follows the account is known only where the network says it, relative to
that account: a Bluesky post view fetched with the account's own session carries
`author.viewer.followedBy`. Everywhere else `follows` is None (« not checked »).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from parvis.listening.models import Mention
from parvis.listening.own import own_author_ids
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Workspace

__all__ = ["FOLLOW_NETWORKS", "MAX_REPLIES", "StoredReply", "replies_to"]

# Far above any contest; bounds what one call reads.
MAX_REPLIES = 50_000
# Networks whose stored replies can say whether their author follows the account.
FOLLOW_NETWORKS = frozenset({"bluesky"})


@dataclass(frozen=True)
class StoredReply:
    reply_id: str  # the network's id of the reply (its external id)
    author_id: str  # who wrote it, as stably as the network allows (a DID, else the handle)
    handle: str
    text: str
    posted_at: dt.datetime
    url: str = ""
    own: bool = False  # written by one of the workspace's own accounts
    follows: bool | None = None  # None: not known


def _author_id(network: str, external_id: str, handle: str) -> str:
    # A Bluesky post's URI starts with its author's DID, which survives a change of handle.
    if network == "bluesky" and external_id.startswith("at://did:"):
        return external_id[len("at://") :].split("/", 1)[0]
    return handle


def _follows(network: str, raw: Any, read_by_account: bool) -> bool | None:
    if network not in FOLLOW_NETWORKS or not read_by_account or not isinstance(raw, dict):
        return None
    author = raw.get("author")
    viewer = author.get("viewer") if isinstance(author, dict) else None
    if not isinstance(viewer, dict):
        return None
    return bool(viewer.get("followedBy"))


def replies_to(
    workspace: Workspace,
    network: str,
    external_id: str,
    *,
    account_id: int | None = None,
    limit: int = MAX_REPLIES,
) -> list[StoredReply]:
    """The direct replies to the post `external_id` on `network`, oldest first (then by id),
    at most `limit`. `account_id`: the connected account that published the post; whether an
    author follows it is read only from what that account's own sources fetched."""
    if not external_id:
        return []
    own = set(own_author_ids(workspace))
    rows = (
        scoped(Mention, workspace)
        .filter(network=network, parent_external_id=external_id)
        # « Not empty » states the condition of the mention_replies index (replies only).
        .exclude(parent_external_id="")
        .select_related("author", "source")
        .only(
            "external_id",
            "url",
            "text",
            "published_at",
            "raw",
            "author__handle",
            "author_id",
            "source__account_id",
        )
        .order_by("published_at", "id")[: max(0, limit)]
    )
    replies = []
    for mention in rows:
        handle = mention.author.handle
        read_by_account = (
            account_id is not None
            and mention.source is not None
            and mention.source.account_id == account_id
        )
        replies.append(
            StoredReply(
                reply_id=mention.external_id,
                author_id=_author_id(network, mention.external_id, handle),
                handle=handle,
                text=mention.text,
                posted_at=mention.published_at,
                url=mention.url,
                own=mention.author_id in own,
                follows=_follows(network, mention.raw, read_by_account),
            )
        )
    return replies
