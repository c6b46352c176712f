"""A workspace with known figures for the report's tests: every count below is chosen by
hand, and the tests compare the report's files with these numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from parvis.alerts.models import Crisis, Episode
from parvis.analytics.models import AccountSnapshot
from parvis.connectors.services import do_connect_account
from parvis.inbox.models import Conversation, Direction, Message
from parvis.listening.models import Author, Mention, MentionMatch, MonitoredQuery
from parvis.moderation.models import Action
from parvis.publishing.models import Post, Status, Variant
from parvis.workspaces.models import Objective

SINCE = dt.date(2026, 11, 1)
UNTIL = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
PARIS = dt.timezone(dt.timedelta(hours=1))  # November in Paris

# What the tests expect.
POSITIVE, NEUTRAL, NEGATIVE = 7, 2, 3
MENTIONS = POSITIVE + NEUTRAL + NEGATIVE  # 12 brand mentions
COMPETITOR = 4  # mentions of the competitor (neutral, not the brand's)
FOLLOWERS_START, FOLLOWERS_END = 1000, 1234
POSTS, LIKES, REPOSTS, REPLIES, VIEWS = 2, 15, 3, 3, 100
RECEIVED, ANSWERED, MEDIAN_MINUTES, BREACHED = 4, 3, 30, 1
HIDDEN, DELETED = 2, 1

_n = iter(range(1, 10**6))


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=PARIS)


def mention(workspace, when, sentiment, query, text="Maison Lumière #bougies", handle=None):
    k = next(_n)
    author = Author.objects.create(
        workspace=workspace, network="bluesky", handle=handle or f"fan{k}.test", first_seen_at=when,
        last_seen_at=when, followers=10 * k, influence=float(k),
    )  # fmt: skip
    found = Mention.objects.create(
        workspace=workspace, network="bluesky", external_id=f"m{k}", author=author, text=text,
        published_at=when, ingested_at=when, sentiment=sentiment,
    )  # fmt: skip
    MentionMatch.objects.create(workspace=workspace, mention=found, query=query, published_at=when)
    return found


def build(workspace, owner) -> dict:
    brand = MonitoredQuery.objects.create(
        workspace=workspace, name="Maison Lumière", kind="brand", expression='"Maison Lumière"'
    )
    rival = MonitoredQuery.objects.create(
        workspace=workspace, name="Cire & Sens", kind="competitor", expression="cireetsens"
    )
    sentiments = ["positive"] * POSITIVE + ["neutral"] * NEUTRAL + ["negative"] * NEGATIVE
    for i, sentiment in enumerate(sentiments):
        mention(workspace, at(3 + i), sentiment, brand)
    for i in range(COMPETITOR):
        mention(workspace, at(5 + i), "", rival, text="cireetsens")
    # Outside the period: October, and December.
    mention(workspace, dt.datetime(2026, 10, 30, 12, tzinfo=PARIS), "positive", brand)
    mention(workspace, dt.datetime(2026, 12, 1, 12, tzinfo=PARIS), "negative", brand)

    account = do_connect_account(
        workspace, owner, network="mastodon", handle="@lumiere@piaille.example", credentials={}
    )
    for day, followers in ((dt.date(2026, 10, 31), 990), (SINCE, FOLLOWERS_START),
                           (dt.date(2026, 11, 15), 1100), (UNTIL, FOLLOWERS_END)):  # fmt: skip
        AccountSnapshot.objects.create(
            workspace=workspace, account=account, day=day, at=NOW, followers=followers
        )

    for text, likes, reposts, replies, views in (
        ("Nouvelle bougie « Forêt d'hiver » 🌲", 10, 2, 3, 100),
        ("Atelier ouvert samedi", 5, 1, 0, None),
    ):
        post = Post.objects.create(workspace=workspace, text=text, author=owner)
        Variant.objects.create(
            workspace=workspace, post=post, account=account, status=Status.PUBLISHED,
            published_at=at(10), likes=likes, reposts=reposts, replies=replies, views=views,
        )  # fmt: skip
    draft = Post.objects.create(workspace=workspace, text="brouillon", author=owner)
    Variant.objects.create(workspace=workspace, post=draft, account=account)

    delays = [10, 30, 50, None]  # minutes to the first answer; the last one unanswered
    message = None
    for i, delay in enumerate(delays):
        opened = at(12 + i, 9)
        conversation = Conversation.objects.create(
            workspace=workspace, network="bluesky", thread_key=f"t{i}", created_at=opened,
            first_inbound_at=opened, last_message_at=opened,
            first_response_at=opened + dt.timedelta(minutes=delay) if delay else None,
            breached_first=delay == 50,
        )  # fmt: skip
        message = Message.objects.create(
            workspace=workspace, conversation=conversation, direction=Direction.IN,
            network="bluesky", text="Bonjour ?", sent_at=opened,
        )  # fmt: skip
        if delay:
            Message.objects.create(
                workspace=workspace, conversation=conversation, direction=Direction.OUT,
                network="bluesky", text="Bonjour !", sent_at=opened + dt.timedelta(minutes=delay),
            )  # fmt: skip
    for kind, reason in (("hide", "insult"), ("hide", "insult"), ("delete", "spam")):
        Action.objects.create(
            workspace=workspace, message=message, kind=kind, reason=reason, created_at=at(20)
        )
    Action.objects.create(
        workspace=workspace, message=message, kind="hide", reason="spam", state="failed",
        created_at=at(20),
    )  # fmt: skip

    episode = Episode.objects.create(
        workspace=workspace, kind="negative", query=brand, query_name="Maison Lumière",
        severity="crisis", opened_at=at(18), fired_at=at(18), last_event_at=at(19),
        peak_value=42, mention_count=57,
    )  # fmt: skip
    Crisis.objects.create(
        workspace=workspace, episode=episode, started_at=at(18), closed_at=at(21),
        closing_note="Retour au calme après le communiqué.",
    )  # fmt: skip
    Objective.objects.create(
        workspace=workspace, kind="image_change", title="Image positive", kpi="positifs",
        target_value=Decimal(70), unit="%", period_start=SINCE, period_end=UNTIL,
    )  # fmt: skip
    return {"account": account, "brand": brand}
