"""The demo inbox: its settings, its saved replies, a second member, and — once, after the
backlog is taken in — a lived-in state made through the inbox's own actions (`dress`).

`dress` runs from `after_backlog`, connected to `mentions_stored`: when the demo source's
cursor has left the backlog (the last backlog page is stored), it takes the backlog into the
inbox itself (intake is safe to run beside the inbox's own task) and works it as a team
would have: the moderation rules applied to every message (as on arrival), old
conversations resolved or marked spam, the brand's latest answers left
waiting on the customer, a few follow-ups answered from Parvis, assignments, tags, notes and
an escalation. A `DemoInbox` row, written in the same transaction, makes it happen once.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from parvis.demo import corpus
from parvis.demo.models import DemoInbox
from parvis.inbox import clock, intake, sending
from parvis.inbox.models import (
    Clock,
    Conversation,
    EscalationRole,
    InboxSettings,
    Message,
    SavedReply,
    Status,
)
from parvis.inbox.services import (
    do_add_note,
    do_assign,
    do_escalate,
    do_save_reply,
    do_set_status,
    do_tag,
    do_update_settings,
    get_settings,
)
from parvis.inbox.sla import SlaState
from parvis.listening.models import Source
from parvis.workspaces.models import Membership, Workspace
from parvis.workspaces.roles import Role

logger = logging.getLogger(__name__)

SECOND_MEMBER = "camille"

SAVED_REPLIES = [
    (
        "Merci pour votre message",
        "merci",
        "Bonjour {prénom}, merci beaucoup pour votre message, il fait chaud au cœur de toute "
        "l'équipe de l'atelier ! Belle soirée à la lueur de vos bougies. — {agent}, {marque}",
    ),
    (
        "Retard de livraison",
        "retard",
        "Bonjour {prénom}, nous sommes navrés pour ce retard. Pouvez-vous nous écrire en "
        "message privé votre numéro de commande ? Nous regardons tout de suite avec le "
        "transporteur et revenons vers vous aujourd'hui. — {agent}, {marque}",
    ),
    (
        "Bougie défectueuse — échange",
        "echange",
        "Bonjour {prénom}, merci de nous l'avoir signalé. Une bougie qui creuse ou dont la "
        "flamme s'emballe ne doit pas arriver chez vous : nous vous en envoyons une nouvelle, "
        "sans retour à faire. Envoyez-nous votre adresse en message privé. — {agent}, {marque}",
    ),
    (
        "Délais de livraison Belgique/Suisse",
        "international",
        "Bonjour {prénom}, oui, nous livrons en Belgique (3 à 5 jours ouvrés) et en Suisse "
        "(5 à 8 jours ouvrés, droits de douane inclus). Les frais de port sont indiqués avant "
        "le paiement. — {agent}, {marque}",
    ),
    (
        "Redirection SAV en privé",
        "prive",
        "Bonjour {prénom}, pour protéger vos données, pouvez-vous nous écrire en message privé "
        "sur {réseau} avec votre numéro de commande ? Nous vous répondons au plus vite. "
        "— {agent}, {marque}",
    ),
    (
        "Pot fêlé ou cassé à la livraison",
        "casse",
        "Bonjour {prénom}, quel dommage ! Envoyez-nous une photo du pot et du colis, nous vous "
        "renvoyons le produit dès aujourd'hui. — {agent}, {marque}",
    ),
    (
        "Consigne des pots vides",
        "consigne",
        "Bonjour {prénom}, vous pouvez rapporter vos pots vides dans nos boutiques de Lyon : "
        "3 € de remise sur la recharge. Une consigne par la poste est à l'étude. "
        "— {agent}, {marque}",
    ),
    (
        "Horaires de la boutique",
        "horaires",
        "Bonjour {prénom}, la boutique de la Croix-Rousse est ouverte du mardi au samedi, de "
        "10 h à 19 h. Au plaisir de vous y accueillir ! — {agent}, {marque}",
    ),
]


def demo_hours() -> dict[str, Any]:
    year = timezone.localdate().year
    holidays = [d.isoformat() for y in (year, year + 1) for d in corpus.french_holidays(y)]
    return {
        "time_zone": "Europe/Paris",
        "business_hours": {str(day): [["09:00", "18:00"]] for day in range(5)},
        "holidays": holidays,
        "first_response_minutes": 240,
    }


def ensure_demo_inbox(workspace: Workspace, owner: Any) -> None:
    """Settings, a second member and saved replies; each added once (also to older demos)."""
    settings = get_settings(workspace)
    wanted = demo_hours()
    changes = {k: v for k, v in wanted.items() if getattr(settings, k) != v}
    if changes:
        do_update_settings(workspace, owner, **changes)
    camille = second_member()
    if not Membership.objects.filter(workspace=workspace, user=camille).exists():
        from parvis.workspaces.services import do_add_member

        do_add_member(workspace, camille, Role.COMMUNITY_MANAGER)
    known = set(SavedReply.objects.filter(workspace=workspace).values_list("title", flat=True))
    for title, shortcut, text in SAVED_REPLIES:
        if title not in known:
            do_save_reply(workspace, owner, title=title, text=text, shortcut=shortcut)


def second_member() -> Any:
    users = get_user_model().objects
    user = users.filter(username=SECOND_MEMBER).first()
    if user is None:
        user = users.create_user(SECOND_MEMBER, email="camille@parvis.example", password="demo")
        user.first_name = "Camille"
        user.save(update_fields=["first_name"])
    return user


# --- after the backlog ------------------------------------------------------------------------


def after_backlog(sender: Any, workspace: Any, source: Any = None, **kwargs: Any) -> None:
    """Receiver of `mentions_stored`: dress the demo inbox once the backlog is all stored."""
    if source is None or source.kind != "demo":
        return
    cursor = Source.objects.filter(pk=source.pk).values_list("cursor", flat=True).first() or {}
    if cursor.get("phase") != "live" or DemoInbox.objects.filter(workspace=workspace).exists():
        return
    try:
        intake.take_pending(workspace, limit=100_000)
        dress(workspace, timezone.now())
    except Exception:  # the demo inbox is a nicety: never fail the source's run for it
        logger.exception("the demo inbox could not be prepared")


SAV = re.compile(r"m[eè]che|br[uû]l|flamme|f[eê]l[eé]|d[eé]fectu|tunnel|cass|wick|burn|crack", re.I)
DELIVERY = re.compile(r"livr|colis|commande|transporteur|deliver|ship|order|parcel|arriv", re.I)


def dress(workspace: Workspace, now: dt.datetime) -> bool:
    """Work the inbox as the team would have by `now`; False when it was done before."""
    from parvis.demo.seed import demo_user

    with transaction.atomic():
        _marker, created = DemoInbox.objects.get_or_create(
            workspace=workspace, defaults={"dressed_at": now}
        )
        if not created:
            return False
        lea, camille = demo_user(), second_member()
        if not Membership.objects.filter(workspace=workspace, user=camille).exists():
            ensure_demo_inbox(workspace, lea)
        moderate_backlog(workspace)
        Team(workspace, now, lea, camille).work()
    return True


def moderate_backlog(workspace: Workspace) -> dict[str, int]:
    """The switched-on rules applied to the backlog just taken in, as they would have been
    when each message arrived (moderation reacts to new messages only; each message is
    moderated once, so the task the intake queued finds nothing left to do)."""
    from parvis.moderation.services import moderate_messages

    ids = list(
        Message.objects.filter(workspace=workspace, direction="in")
        .order_by("id")
        .values_list("id", flat=True)
    )
    return moderate_messages(workspace, ids)


class Team:
    def __init__(self, workspace: Workspace, now: dt.datetime, lea: Any, camille: Any) -> None:
        self.workspace, self.now, self.lea, self.camille = workspace, now, lea, camille
        self.settings: InboxSettings = get_settings(workspace)

    def conversations(self) -> list[Conversation]:
        return list(
            Conversation.objects.filter(workspace=self.workspace)
            .select_related("author")
            .order_by("first_inbound_at", "id")
        )

    def texts(self, conversation: Conversation) -> str:
        return " ".join(
            Message.objects.filter(conversation=conversation).values_list("text", flat=True)
        )

    def agent(self, index: int) -> Any:
        return self.lea if index % 2 == 0 else self.camille

    def work(self) -> None:
        everything = self.conversations()
        running = [c for c in everything if c.clock]
        breached = [c for c in running if clock.state(c, self.now) == SlaState.BREACHED]
        # The one left late: the most recently due (the rest was dealt with in its time).
        late = max(breached, key=lambda c: c.due_at) if breached else None
        followed_up = [c for c in breached if c.clock == Clock.NEXT and c is not late]
        # The latest follow-ups get an answer from Parvis, the older ones are closed.
        for index, conversation in enumerate(followed_up[-3:]):
            self.answer(conversation, self.agent(index))
        for index, conversation in enumerate(breached):
            if conversation is late or conversation in followed_up[-3:]:
                continue
            self.close(conversation, self.agent(index))
        # Answered by the brand, no news since: resolved after a few days, else waiting.
        for index, conversation in enumerate(everything):
            conversation.refresh_from_db()
            if conversation.status == Status.WAITING and (
                self.now - conversation.last_message_at > dt.timedelta(days=4)
            ):
                do_set_status(conversation, self.agent(index), Status.RESOLVED)
        self.assign_and_tag(late)
        self.escalate()

    def answer(self, conversation: Conversation, member: Any) -> None:
        texts = self.texts(conversation)
        if SAV.search(texts) or DELIVERY.search(texts):
            text = (
                "Nous comprenons votre attente et nous en occupons : votre colis repart "
                "aujourd'hui et les frais de port vous sont remboursés. Merci de votre "
                "patience ! — {agent}"
            )
        else:
            text = "Merci à vous pour ce retour, toute l'équipe de l'atelier est ravie ! — {agent}"
        if conversation.network not in ("bluesky", "mastodon", "youtube", "reddit"):
            self.close(conversation, member)
            return
        queued = sending.do_queue_reply(
            conversation, member, text.format(agent=member.first_name), force=True
        )
        if queued.reply is not None:
            sending.send_reply(queued.reply.pk)

    def close(self, conversation: Conversation, member: Any) -> None:
        first = conversation.messages.filter(direction="in").select_related("mention").first()
        spam = first is not None and first.mention is not None and first.mention.spam >= 0.5
        do_set_status(conversation, member, Status.SPAM if spam else Status.RESOLVED)
        if not spam:
            self.tag(conversation, member)

    def tag(self, conversation: Conversation, member: Any) -> None:
        texts = self.texts(conversation)
        names = []
        if DELIVERY.search(texts):
            names.append("livraison")
        if SAV.search(texts):
            names.append("SAV")
        if conversation.sentiment == "positive" and not names:
            names.append("compliment")
        if names:
            do_tag(conversation, member, add=names)

    def assign_and_tag(self, late: Conversation | None) -> None:
        active = [
            c
            for c in self.conversations()
            if c.status in (Status.NEW, Status.OPEN) and c.clock == Clock.FIRST
        ]
        # Newest first: the two newest stay new and unassigned, the next go to the team.
        active.sort(key=lambda c: c.first_inbound_at, reverse=True)
        for index, conversation in enumerate(active):
            member = self.agent(index)
            self.tag(conversation, member)
            if index >= 2:
                do_assign(conversation, self.lea, assignee=member)
            if conversation.kind == "private" and index >= 2:
                do_add_note(
                    conversation,
                    self.lea,
                    f"@{member.username} message privé : vérifie la commande dans la boutique "
                    "en ligne avant de répondre.",
                )
            elif conversation.pk == getattr(late, "pk", None):
                do_add_note(
                    conversation,
                    self.camille,
                    "@demo celle-ci a dépassé les 4 h, je la prends en priorité ? Le colis "
                    "semble bloqué chez le transporteur.",
                )
            elif SAV.search(self.texts(conversation)):
                do_add_note(
                    conversation,
                    self.lea,
                    f"@{self.camille.username} probablement le lot 0923 (mèche trop courte) : "
                    "propose l'échange avec la réponse enregistrée « Bougie défectueuse ».",
                )
        waiting = [c for c in self.conversations() if c.status == Status.WAITING]
        for index, conversation in enumerate(waiting):
            if conversation.assignee_id is None:
                do_assign(conversation, self.lea, assignee=self.agent(index))
            self.tag(conversation, self.agent(index))

    def escalate(self) -> None:
        candidates = [
            c
            for c in self.conversations()
            if c.status in (Status.WAITING, Status.OPEN) and not c.escalated_role
        ]
        if not candidates:
            return
        negative = [c for c in candidates if c.sentiment == "negative"] or candidates
        conversation = max(negative, key=lambda c: (c.message_count, c.pk))
        do_escalate(
            conversation,
            self.camille,
            reason="Cliente très suivie, menace de bad buzz : geste commercial à valider",
            to_role=EscalationRole.DIRECTION,
            note="Elle attend un remboursement complet en plus de l'échange.",
        )
        do_add_note(
            conversation,
            self.camille,
            "@demo escaladée à la direction : geste commercial au-delà de ce qu'on peut "
            "accorder nous-mêmes.",
        )
