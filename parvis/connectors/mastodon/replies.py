"""Replying on Mastodon: POST /api/v1/statuses with `in_reply_to_id`, as the connected account,
on its own instance (docs.joinmastodon.org/methods/statuses/#create).

Exactly once: the request carries `Idempotency-Key` (the reply's key); the instance answers a
repeated key with the status the first request created, for an hour. Past that, find_reply
reads the account's statuses back (GET /api/v1/accounts/:id/statuses).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from parvis.connectors.base import (
    PermanentError,
    ReplyTarget,
    RetryLater,
    SentReply,
    parse_time,
    posted_since,
    same_text,
)
from parvis.connectors.html import to_text
from parvis.connectors.mastodon import feeds, mapping
from parvis.connectors.mastodon.api import Api, error_text

VISIBILITIES = ("public", "unlisted", "private")  # a reply mirrors its target's, else public
LEADING_MENTIONS = re.compile(r"^(?:@[\w.-]+(?:@[\w.-]+)?\s+)+")
PAGE = 40  # statuses per page of /api/v1/accounts/:id/statuses, the documented maximum
PAGES = 3


def is_direct(raw: dict[str, Any]) -> bool:
    return isinstance(raw, dict) and raw.get("visibility") == "direct"


def local_id(api: Api, target: ReplyTarget) -> str:
    """The answered status's id on the account's instance. Parvis stores "<host>:<id>" (the
    id on the instance it read through); a status read through another instance is looked up
    here by its URI (search with resolve=true)."""
    host, sep, status_id = target.external_id.rpartition(":")
    if not sep:
        return target.external_id
    if host.lower() == api.host:
        return status_id
    raw = target.raw if isinstance(target.raw, dict) else {}
    uri = raw.get("uri") or raw.get("url")
    if not isinstance(uri, str) or not uri:
        raise PermanentError(
            f"the message was read through {host}, not through the account's instance "
            f"{api.host}, and its address is unknown: reply from {host}'s account"
        )
    body = feeds.decode(
        api.get(
            "/api/v2/search",
            {"q": uri, "type": "statuses", "resolve": "true", "limit": 1},
        ),
        api.host,
    )
    statuses = body.get("statuses") if isinstance(body, dict) else None
    if not isinstance(statuses, list) or not statuses:
        statuses = [None]
    if not isinstance(statuses[0], dict) or not statuses[0].get("id"):
        raise PermanentError(
            f"{api.host} cannot find the message answered ({uri[:120]}): it may be deleted, "
            "or private to its instance"
        )
    return str(statuses[0]["id"])


def acct(handle: str) -> str:
    """@user@host of the author as Parvis stores it (a local account's handle needs no
    domain, but one works)."""
    handle = handle.strip()
    if not handle:
        return ""
    return handle if handle.startswith("@") else f"@{handle}"


def addressed(text: str, mention: str) -> str:
    """The text starting with the author's @mention (a direct message reaches only the people
    it mentions; a reply without one does not notify its author)."""
    if not mention:
        return text
    user = mention.split("@")[1].lower()
    first = text.lstrip().split(maxsplit=1)[0].lower() if text.strip() else ""
    if first in {mention.lower(), f"@{user}"}:
        return text
    return f"{mention} {text}"


def visibility(target: ReplyTarget) -> str:
    raw = target.raw if isinstance(target.raw, dict) else {}
    if target.private or is_direct(raw):
        return "direct"
    value = raw.get("visibility")
    return value if value in VISIBILITIES else "public"


def sent(api: Api, status: dict[str, Any]) -> SentReply:
    return SentReply(
        external_id=mapping.external_id(api.host, str(status["id"])),
        url=str(status.get("url") or status.get("uri") or ""),
        published_at=parse_time(status.get("created_at")),
    )


def refusal(api: Api, status: int, detail: str) -> PermanentError:
    said = f" ({detail})" if detail else ""
    if status == 401:
        return PermanentError(
            f"{api.host} refused the access token of {api.who}{said}: reconnect the Mastodon "
            "account"
        )
    if status == 403:
        return PermanentError(
            f"{api.host} does not let {api.who} post{said}: reconnect the Mastodon account so "
            "that Parvis may write (write:statuses), or check that the account is not limited"
        )
    if status == 404:
        return PermanentError(
            f"{api.host} no longer has the message answered{said}: it was deleted, or is not "
            "visible to the account"
        )
    if status == 422:
        return PermanentError(
            f"{api.host} refused the reply{said}: change the text (the instance's length limit, "
            "a direct message must mention someone)"
        )
    return PermanentError(f"HTTP {status} from {api.host} on replying{said}")


def create(api: Api, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
    in_reply_to = local_id(api, target)
    form = {
        "status": addressed(text, acct(target.author_handle)),
        "in_reply_to_id": in_reply_to,
        "visibility": visibility(target),
    }
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = api.post("/api/v1/statuses", form, raw=True, headers=headers)
    if response.status_code == 429 or response.status_code >= 500:
        api.check(response)  # RetryLater with the instance's wait
    if response.status_code >= 400:
        raise refusal(api, response.status_code, error_text(response))
    status = feeds.decode(response, api.host)
    if not isinstance(status, dict) or not status.get("id"):
        raise RetryLater(f"{api.host} answered the reply without a status")
    return sent(api, status)


def bare(text: str) -> str:
    """A status's text without the @mentions it starts with."""
    return LEADING_MENTIONS.sub("", text.strip())


def own_statuses(api: Api, since: dt.datetime, in_reply_to: str) -> Iterator[dict[str, Any]]:
    """The account's own statuses created at or after `since` that answer `in_reply_to` (""
    for none), newest first, from GET /api/v1/accounts/:id/statuses (a few pages at most):
    what a crash-reconciliation read-back compares with what was sent."""
    me = feeds.decode(api.get("/api/v1/accounts/verify_credentials"), api.host)
    if not isinstance(me, dict) or not me.get("id"):
        raise RetryLater(f"{api.host} did not say which account this is")
    path = f"/api/v1/accounts/{me['id']}/statuses"
    params: dict[str, Any] = {"limit": PAGE, "exclude_reblogs": "true"}
    for _page in range(PAGES):
        statuses = feeds.decode(api.get(path, params), api.host)
        if not isinstance(statuses, list) or not statuses:
            return
        older = False
        for status in statuses:
            if not isinstance(status, dict) or not status.get("id"):
                continue
            if not posted_since(parse_time(status.get("created_at")), since):
                older = True
                continue
            if str(status.get("in_reply_to_id") or "") == in_reply_to:
                yield status
        if older:
            return
        last = statuses[-1]
        if not isinstance(last, dict) or not last.get("id"):
            return  # no position to read on from
        params["max_id"] = str(last["id"])


def find(api: Api, target: ReplyTarget, text: str, since: dt.datetime) -> SentReply | None:
    wanted = bare(text)
    for status in own_statuses(api, since, local_id(api, target)):
        if same_text(bare(to_text(str(status.get("content") or ""))), wanted):
            return sent(api, status)
    return None
