"""Telling the team that a post failed for good (or needs someone: a revoked token, a file the
network refused), in the in-app bell.

The bell belongs to the alerts app, a sibling this app may not import: the notice goes
through the registry `listening.extensions.notify` (the alerts app registers its notifier in
`ready()`; without it, nothing is stored and the e-mail to the author still goes).

Exactly once per failure: `publication_failed` is called by `engine.fail` inside the
transaction that moves the variant to `failed` with a conditional UPDATE, after the failure's
PostEvent is written. A second worker that sees the same variant finds nothing to update and
calls nothing; a rolled-back failure stores no notice; the notice's key is the failure's
event id, and the bell keeps one notice per key and member whatever calls repeat.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from parvis.listening.extensions import Notice, notify
from parvis.workspaces.models import Membership
from parvis.workspaces.roles import PERMISSIONS, Perm

logger = logging.getLogger(__name__)

KIND = "publishing_failed"
TITLE = gettext_noop("The post could not be published on %(account)s")

# What to do, by what the network's words say (lowercased; the connectors' messages end with
# what to do in English, the notice says it in the reader's language).
RECONNECT = gettext_noop(
    "Reconnect the account %(account)s (Accounts page), then retry the post from its page. "
    "The network said: %(error)s"
)
MEDIA = gettext_noop(
    "Change the image or video the network refused (its size, format or description), then "
    "retry the post from its page. The network said: %(error)s"
)
APPROVAL = gettext_noop(
    "The post was edited after its approval: send it for approval again. %(error)s"
)
THREAD = gettext_noop("Retry the earlier part of the thread first, then this one. %(error)s")
OTHER = gettext_noop(
    "Read what the network said on the post's page, fix it, then retry. The network said: %(error)s"
)

CLUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (RECONNECT, ("reconnect", "access token", "token", "app password", "sign in", "log in")),
    (MEDIA, ("file", "image", "video", "media", "attachment", "too large", "alt text")),
    (APPROVAL, ("approv",)),
    (THREAD, ("previous part",)),
)


def advice(message: str) -> str:
    """The msgid of what to do about a failure, from the network's words."""
    lowered = message.lower()
    for msgid, words in CLUES:
        if any(word in lowered for word in words):
            return msgid
    return OTHER


def publishers(workspace_id: int) -> tuple[int, ...]:
    """The members who may publish in the workspace: they can fix and retry."""
    roles = PERMISSIONS[Perm.PUBLISH]
    return tuple(
        Membership.objects.filter(workspace_id=workspace_id, role__in=roles)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def publication_failed(variant: Any, head: Any, message: str, failure: Any) -> int:
    """One notice per publisher in the bell for this failure (`failure`: its PostEvent).
    Called inside the failure's transaction; a bell that cannot store it does not undo the
    failure (savepoint), it is logged."""
    account = variant.account.handle
    notice = Notice(
        workspace_id=variant.workspace_id,
        user_ids=publishers(variant.workspace_id),
        key=f"publishing:failed:{failure.pk}",
        kind=KIND,
        title=TITLE,
        text=advice(message),
        url=reverse("publishing:post", args=[head.workspace.slug, head.pk]),
        params={"account": account, "error": message[:500]},
    )
    if not notice.user_ids:
        return 0
    try:
        with transaction.atomic():
            return notify(notice)
    except Exception:
        logger.exception("variant %s: the failure could not be put in the bell", variant.pk)
        return 0
