"""Instagram webhooks (developers.facebook.com/docs/instagram-platform/webhooks), through the
same Meta app and verification as the Facebook connector (facebook/webhook.py: verify token,
X-Hub-Signature-256 keyed by the app secret, each change kept once in FacebookDelivery):

- a comment on the account's media: {"object": "instagram", "entry": [{"id": <ig-user-id>,
  "time", "changes": [{"field": "comments", "value": {"id", "text", "parent_id"?, "from":
  {"id", "username"}, "media": {"id", "media_product_type"}}}]}]};
- a mention of the account: {"field": "mentions", "value": {"media_id", "comment_id"?}}: in a
  comment (read with GET /{ig-user-id}?fields=mentioned_comment.comment_id(<id>){…}) or in a
  caption (mentioned_media.media_id(<id>){…}).

Deliveries are kept under the Instagram account's id; its source takes them on its next run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

from parvis.connectors.base import Incoming, PermanentError
from parvis.connectors.facebook import graph
from parvis.connectors.facebook.models import FacebookDelivery
from parvis.connectors.instagram import mapping
from parvis.connectors.instagram.api import Api

FIELDS = ("comments", "mentions")


def account_ids(payload: Any) -> list[str]:
    if not isinstance(payload, dict) or payload.get("object") != "instagram":
        return []
    entries = graph.as_list(payload.get("entry"))
    return [str(e["id"]) for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)]


def wanted(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry's comment and mention changes, with the entry's time (the change has none)."""
    found = []
    for change in graph.as_list(entry.get("changes")):
        if isinstance(change, dict) and change.get("field") in FIELDS:
            found.append({**change, "time": entry.get("time")})
    return found


def stamp(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    return ""


def item(api: Api, user_id: str, row: FacebookDelivery) -> Incoming | None:
    change = graph.as_dict(row.change)
    value = graph.as_dict(change.get("value"))
    raw = json.dumps(row.change, ensure_ascii=False)
    try:
        if change.get("field") == "comments":
            media = graph.as_dict(value.get("media"))
            comment = {
                "id": value.get("id"),
                "text": value.get("text", ""),
                "timestamp": stamp(change.get("time")),
                "from": value.get("from"),
                "username": graph.as_dict(value.get("from")).get("username"),
            }
            if isinstance(value.get("parent_id"), str):
                comment["parent_id"] = value["parent_id"]
            data = mapping.comment_mention(comment, {"id": media.get("id")})
            return Incoming(data, raw, payload={**comment, "media": media})
        if change.get("field") == "mentions":
            return mentioned(api, user_id, value, raw)
    except (mapping.Malformed, TypeError, AttributeError) as exc:
        return Incoming(None, raw, error=f"unreadable webhook change: {exc}")
    return None


def mentioned(api: Api, user_id: str, value: dict[str, Any], raw: str) -> Incoming | None:
    """The comment or caption that mentions the account, read through the account."""
    media_id, comment_id = value.get("media_id"), value.get("comment_id")
    for name in (media_id, comment_id):
        if name is not None and not (isinstance(name, str) and name.isdigit() and len(name) < 40):
            raise mapping.Malformed("not an Instagram id")
    try:
        if comment_id:
            fields = (
                f"mentioned_comment.comment_id({comment_id})"
                f"{{id,text,timestamp,username,like_count,media{{id,permalink}}}}"
            )
            body = api.get(user_id, {"fields": fields})
            comment = graph.as_dict(body.get("mentioned_comment"))
            media = graph.as_dict(comment.get("media")) or {"id": media_id}
            data = mapping.comment_mention(comment, media)
            return Incoming(data, raw, payload=comment)
        if media_id:
            fields = (
                f"mentioned_media.media_id({media_id})"
                f"{{id,caption,timestamp,username,permalink,like_count,comments_count}}"
            )
            body = api.get(user_id, {"fields": fields})
            media = graph.as_dict(body.get("mentioned_media"))
            return Incoming(mapping.tagged_mention(media), raw, payload=media)
    except PermanentError as exc:  # gone or not visible; a rate limit waits for the next run
        return Incoming(None, raw, error=f"mention no longer readable: {exc}")
    return None


def items_for(api: Api, user_id: str, rows: list[FacebookDelivery]) -> list[Incoming]:
    found = [item(api, user_id, row) for row in rows]
    return [one for one in found if one is not None]
