"""The demo's replay source: a 30-day backlog about Maison Lumière, then a few new mentions a
minute, so the explorer is alive offline. Written by the project (demo/corpus.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from parvis.connectors.base import (
    AccountMetrics,
    Capability,
    Connector,
    FetchContext,
    FetchResult,
    Incoming,
    MetricsContext,
    ModerationAction,
    ModerationContext,
    ModerationResult,
    OutgoingPost,
    PermanentError,
    PostMetrics,
    ProfileInfo,
    PublishContext,
    PublishedPost,
    ReplyContext,
    ReplyTarget,
    SentReply,
    register,
)
from parvis.demo import corpus

PAGE = 500
PER_MINUTE = 3
MAX_LIVE = 30


def sent(post: Any) -> SentReply:
    return SentReply(post.external_id, url="", published_at=post.created_at)


def published(row: Any) -> PublishedPost:
    return PublishedPost(
        row.external_id,
        url="",
        published_at=row.created_at,
        raw={"id": row.external_id, "text": row.text},
    )


# How the demo audience answers by local hour (Paris) and weekday: lunch and the evening,
# midweek, do best; the night is quiet. A post's figures are its share of this times a steady
# base that varies from post to post.
DEMO_HOURS = {
    7: 0.6, 8: 0.8, 9: 0.9, 10: 1.0, 11: 1.1, 12: 1.5, 13: 1.4, 14: 0.9, 15: 0.8, 16: 0.8,
    17: 1.1, 18: 1.7, 19: 1.8, 20: 1.5, 21: 1.2, 22: 0.8,
}  # fmt: skip
DEMO_DAYS = (1.0, 1.05, 1.2, 1.25, 1.0, 0.8, 0.75)  # Monday … Sunday
DEMO_ZONE = ZoneInfo("Europe/Paris")


def demo_metrics(external_id: str, published_at: dt.datetime, now: dt.datetime) -> PostMetrics:
    """Plausible counts of a demo post at `now`: deterministic (a hash of its id, its local
    hour and weekday), growing over its first two days (most of it in the first hours)."""
    digest = hashlib.sha256(external_id.encode()).digest()
    local = published_at.astimezone(DEMO_ZONE)
    appeal = DEMO_HOURS.get(local.hour, 0.4) * DEMO_DAYS[local.weekday()]
    appeal *= 0.75 + digest[0] / 510  # 0.75 to 1.25: no two posts alike
    hours = max((now - published_at).total_seconds() / 3600, 0.0)
    grown = 1 - math.exp(-hours / 8)
    likes = round(40 * appeal * grown)
    return PostMetrics(
        external_id=external_id,
        likes=likes,
        reposts=round(likes * (0.12 + digest[1] / 2550)),
        replies=round(likes * (0.06 + digest[2] / 5100)),
        quotes=round(likes * 0.02),
        views=round(likes * (22 + digest[3] / 25)),
    )


# The demo account's counts grow from this day on (a made-up but steady audience).
DEMO_GROWTH_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def demo_account_metrics(handle: str, now: dt.datetime) -> AccountMetrics:
    """Plausible counts of a demo account at `now`: deterministic (a hash of the handle and
    the day), about 14 new followers a day with a daily wobble, a post a day or so."""
    days = max((now - DEMO_GROWTH_FROM).total_seconds() / 86400, 0.0)
    day = now.astimezone(dt.UTC).date().isoformat()
    digest = hashlib.sha256(f"{handle}:{day}".encode()).digest()
    return AccountMetrics(
        followers=round(4_200 + 14 * days + digest[0] / 16),
        following=round(310 + days / 20),
        posts=round(180 + days * 0.8),
    )


def demo_profile(handle: str, now: dt.datetime) -> ProfileInfo:
    """The demo account's profile: complete but for two things the presence page should
    show (a bio still speaking of last year's sale, no banner)."""
    return ProfileInfo(
        name="Maison Lumière",
        bio=(
            "Bougies et objets de lumière faits main à Lyon depuis 2014. "
            f"Soldes d'hiver {now.year - 1} : -30 % sur les photophores. "
            "https://maison-lumiere.example"
        ),
        avatar=f"https://demo.parvis.example/{handle}/avatar.jpg",
        banner="",
        links=("https://maison-lumiere.example",),
        pinned=f"https://demo.parvis.example/{handle}/post/1",
    )


def incoming(item: dict[str, Any]) -> Incoming:
    # The corpus's private labels (_kind, _sentiment…) are for its tests, not for the app.
    public = {k: v for k, v in item.items() if not k.startswith("_")}
    return Incoming(public, json.dumps(public, ensure_ascii=False))


@register
class DemoReplayConnector(Connector):
    kind = "demo"
    web_ui = False
    label = _("Demo replay")
    capabilities = frozenset(
        {
            Capability.LISTEN,
            Capability.REPLY,
            Capability.PUBLISH,
            Capability.MODERATE,
            Capability.METRICS,
        }
    )
    moderation_actions = frozenset(
        {ModerationAction.HIDE, ModerationAction.RESTORE, ModerationAction.DELETE}
    )
    keep_unmatched = True

    @classmethod
    def is_private(cls, raw: dict[str, Any]) -> bool:
        # The corpus marks the few private messages it makes up (corpus.INBOX_TODAY).
        return raw.get("private") is True

    # -- replying: the demo's « network » is a table (DemoSentPost), read back by find_reply

    def reply(self, target: ReplyTarget, text: str, context: ReplyContext) -> SentReply:
        from parvis.demo.models import DemoSentPost

        if not context.idempotency_key:
            raise PermanentError(_("A reply needs its idempotency key."))
        known = DemoSentPost.objects.filter(idempotency_key=context.idempotency_key).first()
        if known is not None:  # the same reply again: the network refuses a double
            return sent(known)
        try:
            with transaction.atomic():
                post = DemoSentPost.objects.create(
                    workspace_id=context.workspace_id,
                    idempotency_key=context.idempotency_key,
                    network=target.network,
                    in_reply_to=target.external_id,
                    private=target.private,
                    text=text,
                    external_id=f"pending-{context.idempotency_key}",
                    created_at=self.now(),
                )
                post.external_id = f"demo-reply-{post.pk}"
                post.save(update_fields=["external_id"])
        except IntegrityError:  # another attempt with this key won the race
            post = DemoSentPost.objects.get(idempotency_key=context.idempotency_key)
        return sent(post)

    def find_reply(
        self, target: ReplyTarget, text: str, since: dt.datetime, context: ReplyContext
    ) -> SentReply | None:
        from parvis.demo.models import DemoSentPost

        post = (
            DemoSentPost.objects.filter(
                workspace_id=context.workspace_id,
                in_reply_to=target.external_id,
                created_at__gte=since,
            )
            .filter(idempotency_key=context.idempotency_key)
            .first()
        )
        return sent(post) if post is not None else None

    # -- publishing: the same table; a post is a row answering nothing (or, in a thread, the
    # previous post), found again by its idempotency key as the demo's network « refuses » a
    # double

    def publish(self, post: OutgoingPost, context: PublishContext) -> PublishedPost:
        from parvis.demo.models import DemoSentPost

        if not context.idempotency_key:
            raise PermanentError(_("A post needs its idempotency key."))
        known = DemoSentPost.objects.filter(idempotency_key=context.idempotency_key).first()
        if known is not None:
            return published(known)
        network = self.network or self.kind
        try:
            with transaction.atomic():
                row = DemoSentPost.objects.create(
                    workspace_id=context.workspace_id or self.source.workspace_id,
                    idempotency_key=context.idempotency_key,
                    network=network,
                    in_reply_to=post.reply_to.external_id if post.reply_to else "",
                    text=post.text,
                    external_id=f"pending-{context.idempotency_key}",
                    created_at=self.now(),
                )
                row.external_id = f"demo-post-{row.pk}"
                row.save(update_fields=["external_id"])
        except IntegrityError:  # another attempt with this key won the race
            row = DemoSentPost.objects.get(idempotency_key=context.idempotency_key)
        return published(row)

    def find_post(
        self, post: OutgoingPost, since: dt.datetime, context: PublishContext
    ) -> PublishedPost | None:
        from parvis.demo.models import DemoSentPost

        rows = DemoSentPost.objects.filter(
            workspace_id=context.workspace_id or self.source.workspace_id,
            in_reply_to=post.reply_to.external_id if post.reply_to else "",
            created_at__gte=since,
            external_id__startswith="demo-post-",
        )
        if context.idempotency_key:
            rows = rows.filter(idempotency_key=context.idempotency_key)
        else:
            rows = rows.filter(text=post.text)
        row = rows.first()
        return published(row) if row is not None else None

    # -- metrics: figures made up from the post itself (its key, its hour in Paris, its age),
    # the same on every call at one moment, growing like real ones and then settling

    def post_metrics(self, external_ids: list[str], context: MetricsContext) -> list[PostMetrics]:
        from parvis.demo.models import DemoSentPost

        workspace_id = context.workspace_id or self.source.workspace_id
        wanted = [i for i in dict.fromkeys(external_ids) if i.startswith("demo-post-")]
        rows = {
            row.external_id: row
            for row in DemoSentPost.objects.filter(
                workspace_id=workspace_id, external_id__in=wanted
            )
        }
        now = self.now()
        return [
            demo_metrics(i, rows[i].created_at, now) if i in rows else PostMetrics(i, gone=True)
            for i in wanted
        ]

    def account_metrics(self, context: MetricsContext) -> AccountMetrics:
        account = self.acting_account("reading the account's counts", "the account")
        return demo_account_metrics(account.handle, self.now())

    def profile(self, context: MetricsContext) -> ProfileInfo:
        account = self.acting_account("reading the account's profile", "the account")
        return demo_profile(account.handle, self.now())

    # -- moderating: the demo's « network » keeps each item's state (DemoModeration)

    def moderate(
        self, target: ReplyTarget, action: ModerationAction, context: ModerationContext
    ) -> ModerationResult:
        from parvis.demo.models import DemoModeration

        workspace_id = context.workspace_id or self.source.workspace_id
        state = DemoModeration.State
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row, _created = DemoModeration.objects.get_or_create(
                        workspace_id=workspace_id,
                        external_id=target.external_id,
                        defaults={"updated_at": self.now()},
                    )
            except IntegrityError:  # another attempt created it first
                row = DemoModeration.objects.get(
                    workspace_id=workspace_id, external_id=target.external_id
                )
            row = DemoModeration.objects.select_for_update().get(pk=row.pk)
            if row.state == state.DELETED:
                if action == ModerationAction.DELETE:
                    return ModerationResult(
                        str(action), message="already deleted on the demo network"
                    )
                return ModerationResult(
                    str(action),
                    done=False,
                    message="deleted for good on the demo network: it cannot come back",
                )
            wanted = {
                ModerationAction.HIDE: state.HIDDEN,
                ModerationAction.RESTORE: state.VISIBLE,
                ModerationAction.DELETE: state.DELETED,
            }[action]
            if row.state != wanted:
                row.state, row.updated_at = wanted, self.now()
                row.save(update_fields=["state", "updated_at"])
        return ModerationResult(str(action), message="")

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        return {"seed": int(config.get("seed", 7)), "days": int(config.get("days", 30))}

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        if cursor.get("phase") == "live":
            return self.fetch_live(cursor)
        return self.fetch_backlog(cursor)

    def fetch_backlog(self, cursor: dict[str, Any]) -> FetchResult:
        # The backlog is generated relative to one fixed moment, so each page is the same
        # list however many runs it takes.
        anchor = dt.datetime.fromisoformat(cursor.get("anchor") or self.now().isoformat())
        offset = int(cursor.get("offset", 0))
        config = self.source.config
        generator = corpus.backlog(anchor, days=config.get("days", 30), seed=config["seed"])
        page = list(itertools.islice(generator, offset, offset + PAGE))
        if len(page) == PAGE:
            next_cursor = {
                "phase": "backlog",
                "anchor": anchor.isoformat(),
                "offset": offset + PAGE,
            }
            return FetchResult([incoming(i) for i in page], next_cursor, more=True)
        live = {"phase": "live", "anchor": anchor.isoformat(), "last": anchor.isoformat()}
        return FetchResult([incoming(i) for i in page], live)

    def fetch_live(self, cursor: dict[str, Any]) -> FetchResult:
        now = self.now()
        last = dt.datetime.fromisoformat(cursor["last"])
        minutes = (now - last).total_seconds() / 60
        count = min(MAX_LIVE, int(minutes * PER_MINUTE))
        if count < 1:
            return FetchResult([], cursor)
        items = corpus.live(now, seed=self.source.config["seed"], count=count)
        return FetchResult([incoming(i) for i in items], {**cursor, "last": now.isoformat()})
