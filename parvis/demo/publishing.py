"""The demo's publishing: the brand's Bluesky account, connected without a password, that
publishes through the demo's replay connector (its « network » is a table, read back on a
crash like a real one).

The publishing engine picks, for an account, the kind of a source reading through it
(`publishing.engine.connector_class`): the demo's replay source reads through this account,
so posts scheduled on it go to the demo network, never to Bluesky."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Source
from parvis.workspaces.models import Workspace

PARIS = ZoneInfo("Europe/Paris")
DEMO_HANDLE = "maisonlumiere.bsky.social"


def ensure_demo_publishing(workspace: Workspace, user: Any, source: Source) -> ConnectedAccount:
    """The demo account (added once, also to older demos), read through by the replay source."""
    account = ConnectedAccount.objects.filter(
        workspace=workspace, network="bluesky", handle=DEMO_HANDLE
    ).first()
    if account is None:
        account = do_connect_account(
            workspace,
            user,
            network="bluesky",
            handle=DEMO_HANDLE,
            display_name="Maison Lumière (démo)",
            credentials={"demo": "replay"},
        )
    if source.account_id is None:
        source.account = account
        source.save(update_fields=["account"])
    return account


# --- the demo's editorial plan -----------------------------------------------------------------

CLIENT_USERNAME = "claire.martin"
# (days from today, hour in Paris, text, campaign): the demo's month around today. Past ones are
# the plan's history (published), future ones are scheduled, approved by the client.
PLAN: list[tuple[int, int, str, str]] = [
    (
        -18,
        10,
        "Dans l'atelier ce matin : on coule la cire végétale de la collection d'hiver. "
        "#FabriquéÀLyon",
        "",
    ),
    (
        -13,
        18,
        "Rituel du soir : une bougie, un livre, et on éteint les écrans. Et vous, quel "
        "est le vôtre ? #MaisonLumiere",
        "",
    ),
    (
        -9,
        12,
        "Nos coffrets de Noël sont en boutique, rue Mercière, et sur le site. #MaisonLumiere #Noël",
        "Noël 2026",
    ),
    (
        -4,
        10,
        "Merci pour vos messages après notre retard de livraison : chaque commande "
        "concernée reçoit un avoir, et nous vous répondons un par un.",
        "",
    ),
    (
        2,
        10,
        "Atelier bougies parfumées samedi 19 décembre : encore 4 places. Inscriptions en "
        "boutique. #FabriquéÀLyon",
        "Noël 2026",
    ),
    (
        5,
        18,
        "Idée cadeau : la bougie « Soir d'hiver », cire végétale et mèche en coton, 40 h "
        "de lumière. #MaisonLumiere #Noël",
        "Noël 2026",
    ),
    (
        9,
        12,
        "Derniers jours pour commander avant Noël : livraison garantie jusqu'au 21 décembre. #Noël",
        "Noël 2026",
    ),
    (
        16,
        10,
        "Bonne année à toutes et à tous ! Merci d'éclairer nos journées depuis 2019. "
        "#MaisonLumiere",
        "",
    ),
]
AWAITING = (
    12,
    10,
    "Les soldes d'hiver commencent le 7 janvier : -30 % sur les bougies de la collection "
    "d'automne. #MaisonLumiere",
    "Soldes d'hiver",
)
DRAFT = "Brouillon : coulisses du shooting de la collection de printemps (photos à choisir)."


def demo_client() -> Any:
    """The client's contact who approves posts (by the link e-mailed to her; no password)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    user = users.filter(username=CLIENT_USERNAME).first()
    if user is None:
        user = users.create_user(CLIENT_USERNAME, email="claire.martin@maisonlumiere.example")
        user.first_name, user.last_name = "Claire", "Martin"
        user.set_unusable_password()
        user.save(update_fields=["first_name", "last_name", "password"])
    return user


def ensure_demo_plan(
    workspace: Workspace, user: Any, account: ConnectedAccount, now: dt.datetime | None = None
) -> int:
    """A month of the editorial plan around today, once: published posts behind (the demo
    network has them), approved and scheduled ones ahead, one awaiting the client's approval
    and a draft. Approvals go through the client's role (one step). Returns the posts made."""
    from parvis.publishing import approvals, services
    from parvis.publishing.models import Campaign, EventKind, Post, PostEvent, Status, Variant
    from parvis.workspaces.models import Membership
    from parvis.workspaces.roles import Role
    from parvis.workspaces.services import do_add_member

    if Post.objects.filter(workspace=workspace).exists():
        return 0
    now = now or timezone.now()
    client = demo_client()
    if not Membership.objects.filter(workspace=workspace, user=client).exists():
        do_add_member(workspace, client, Role.CLIENT)
    services.do_save_approval_settings(workspace, user, flow="one", step1_role=Role.CLIENT)
    campaigns: dict[str, Campaign] = {}

    def campaign(name: str) -> Campaign | None:
        if not name:
            return None
        if name not in campaigns:
            campaigns[name] = services.do_create_campaign(workspace, user, name)
        return campaigns[name]

    def at(days: int, hour: int) -> dt.datetime:
        day = (now.astimezone(PARIS) + dt.timedelta(days=days)).date()
        return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)

    made = 0
    for days, hour, text, name in PLAN:
        when = at(days, hour)
        post = services.do_create_post(
            workspace, user, text, variants={account.pk: ""}, campaign=campaign(name)
        )
        approvals.do_submit_for_approval(post, user)
        approvals.do_approve(post, client, "Parfait, merci !")
        made += 1
        if when > now:
            services.do_schedule(post, user, when)
            continue
        # The plan's history: published on the demo network at its time (the engine publishes
        # what is due now, not last month, so the record is written as the engine would).
        from parvis.demo.models import DemoSentPost

        variant = Variant.objects.get(post=post)
        sent = DemoSentPost.objects.create(
            workspace_id=workspace.pk,
            idempotency_key=str(variant.idempotency_key),
            network=account.network,
            text=text,
            external_id=f"pending-{variant.idempotency_key}",
            created_at=when,
        )
        sent.external_id = f"demo-post-{sent.pk}"
        sent.save(update_fields=["external_id"])
        Variant.objects.filter(pk=variant.pk).update(
            status=Status.PUBLISHED,
            external_id=sent.external_id,
            published_at=when,
            attempts=1,
            first_attempt_at=when,
            updated_at=when,
        )
        Post.objects.filter(pk=post.pk).update(
            status=Status.PUBLISHED, scheduled_at=when, updated_at=when
        )
        PostEvent.objects.create(
            workspace=workspace, post=post, variant=variant, kind=EventKind.PUBLISHED, at=when
        )
    days, hour, text, name = AWAITING
    post = services.do_create_post(
        workspace,
        user,
        text,
        variants={account.pk: ""},
        scheduled_at=at(days, hour),
        campaign=campaign(name),
    )
    approvals.do_submit_for_approval(post, user)
    services.do_create_post(workspace, user, DRAFT, variants={account.pk: ""})
    return made + 2


def ensure_demo_metrics(account: ConnectedAccount, now: dt.datetime | None = None) -> int:
    """The counts of the plan's published posts, read from the demo network as the hourly
    task reads them (publishing.metrics): only those due, so seeding again reads nothing new
    within the hour and never doubles anything. Returns the posts read."""
    from parvis.publishing import metrics

    return metrics.refresh_metrics(now or timezone.now(), account=account).read
