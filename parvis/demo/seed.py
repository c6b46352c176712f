"""The demo: Maison Lumière, a fictional French brand of candles and home fragrances,
and a second client workspace so the agency view (workspace switcher) has a use."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from parvis.listening.models import MonitoredQuery, Source
from parvis.listening.sources import do_create_source
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Role
from parvis.workspaces.services import do_add_member, do_create_workspace
from parvis.workspaces.strategy import ITEM_KINDS, do_save_item, do_update_strategy

DEMO_SLUG = "demo"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo"

STRATEGY = {
    "positioning": (
        "Bougies et parfums d'intérieur fabriqués à Lyon, cire végétale, "
        "pour des maisons chaleureuses et responsables."
    ),
    "brand_keywords": ["Maison Lumière", "maisonlumiere", "#MaisonLumiere", "bougies Lumière"],
    "address_form": "vous",
    "language_register": "neutral",
    "tone": "Chaleureux, précis, jamais condescendant. On signe chaque réponse d'un prénom.",
    "themes": ["savoir-faire lyonnais", "cire végétale", "rituels du soir", "cadeaux"],
    "words_to_use": ["artisanal", "cire de colza", "coulé à la main", "merci"],
    "words_to_avoid": ["pas cher", "chimique", "désolé pour la gêne occasionnée"],
    "signature_hashtags": ["#MaisonLumiere", "#FabriquéÀLyon"],
}


def demo_items(today: dt.date) -> list[tuple[str, dict]]:
    # The quarter began a month ago: its objectives already stand on the month of mentions,
    # conversations and follower counts the demo has (the analytics app's KPIs).
    quarter_start = today - dt.timedelta(days=30)
    quarter_end = quarter_start + dt.timedelta(days=90)
    return [
        (
            "objective",
            {
                "kind": "audience_growth",
                "title": "Passer à 12 000 abonnés sur Instagram",
                "kpi": "Abonnés",
                "target_value": 12000,
                "unit": "abonnés",
                "period_start": quarter_start,
                "period_end": quarter_end,
                "network": "instagram",
            },
        ),
        (
            "objective",
            {
                "kind": "customer_care",
                "title": "Répondre à chaque question en moins de 4 heures",
                "kpi": "Temps de première réponse (médiane)",
                "target_value": 4,
                "unit": "heures",
                "period_start": quarter_start,
                "period_end": quarter_end,
            },
        ),
        (
            "objective",
            {
                "kind": "image_change",
                "title": "Faire connaître la cire végétale",
                "kpi": "Part des mentions positives",
                "target_value": 70,
                "unit": "%",
                "period_start": quarter_start,
                "period_end": quarter_end,
            },
        ),
        (
            "persona",
            {
                "name": "Camille, 34 ans, Lyon",
                "description": "Cadre, aime recevoir, achète des cadeaux responsables.",
                "expectations": "Des réponses rapides sur les délais et la composition.",
                "networks": ["instagram", "facebook"],
            },
        ),
        (
            "persona",
            {
                "name": "Hugo, 27 ans, Paris",
                "description": "Curieux de fabrication artisanale, suit des créateurs.",
                "expectations": "Voir les coulisses de l'atelier.",
                "networks": ["bluesky", "youtube"],
            },
        ),
        (
            "network",
            {
                "network": "instagram",
                "reason": "Produit visuel ; cœur de cible 25-45 ans.",
                "posts_per_week": 4,
            },
        ),
        (
            "network",
            {
                "network": "bluesky",
                "handle": "maisonlumiere.bsky.social",
                "reason": "Communauté artisanale et presse.",
                "posts_per_week": 5,
            },
        ),
        (
            "network",
            {
                "network": "youtube",
                "handle": "@MaisonLumiereLyon",
                "reason": "Tutoriels et coulisses de l'atelier.",
                "posts_per_week": 1,
            },
        ),
        (
            "network",
            {
                "network": "mastodon",
                "handle": "@maisonlumiere@piaille.example",
                "reason": "Communauté du Fédivers, réponses au service client.",
                "posts_per_week": 2,
            },
        ),
        (
            "competitor",
            {
                "name": "Cire & Sens",
                "keywords": ["Cire et Sens", "cireetsens"],
                "handles": ["@cireetsens"],
                "website": "https://cire-et-sens.example",
            },
        ),
    ]


def demo_user():
    users = get_user_model().objects
    user = users.filter(username=DEMO_USER).first()
    if user is None:
        user = users.create_user(DEMO_USER, email="demo@parvis.example", password=DEMO_PASSWORD)
        user.first_name = "Léa"
        user.save(update_fields=["first_name"])
    return user


DEMO_QUERIES = [
    (
        "Maison Lumière",
        "brand",
        '"maison lumiere" OR maisonlumiere OR #maisonlumiere OR @maisonlumiere.bsky.social',
    ),
    ("Cire & Sens", "competitor", '"cire & sens" OR "cire et sens" OR cireetsens OR @cireetsens'),
    (
        "Bougies végétales",
        "topic",
        '(bougie* OR candle*) AND (vegetale OR colza OR soja OR "plant wax" OR "soy wax")',
    ),
]


def ensure_demo_listening(workspace: Workspace) -> Source:
    """The demo's monitored queries and its replay source (added once, also to older demos)."""
    for name, kind, expression in DEMO_QUERIES:
        MonitoredQuery.objects.get_or_create(
            workspace=workspace, name=name, defaults={"kind": kind, "expression": expression}
        )
    source = Source.objects.filter(workspace=workspace, kind="demo").first()
    if source is None:
        source = do_create_source(
            workspace,
            kind="demo",
            name="Démo : Maison Lumière",
            config={"seed": 7},
            interval_seconds=60,
        )
    return source


def ensure_demo() -> bool:
    """Create the demo data once; returns False when it was already there."""
    from parvis.demo.inbox import ensure_demo_inbox

    created = create_demo_workspaces()
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    ensure_demo_inbox(workspace, demo_user())
    ensure_demo_moderation(workspace)
    source = ensure_demo_listening(workspace)
    from parvis.demo.publishing import ensure_demo_plan, ensure_demo_publishing

    account = ensure_demo_publishing(workspace, demo_user(), source)
    ensure_demo_plan(workspace, demo_user(), account)
    from parvis.demo.publishing import ensure_demo_metrics

    ensure_demo_metrics(account)
    from parvis.demo.analytics import ensure_demo_snapshots

    ensure_demo_snapshots(account)
    from parvis.demo.crisis import ensure_demo_alerts

    ensure_demo_alerts(workspace, demo_user())
    return created


# Threats, legal threats, distress and personal data go to the manager; the direction keeps
# the commercial decisions (the demo team's own escalation, parvis/demo/inbox.py).
DEMO_ESCALATE_TO = "manager"


def ensure_demo_moderation(workspace: Workspace) -> None:
    """The shipped moderation rules, switched on: once (also in older demos). A rule the
    visitor deleted or switched off stays so."""
    from parvis.moderation.models import Setup
    from parvis.moderation.services import do_install_defaults

    setup = Setup.objects.filter(workspace=workspace).first()
    if setup is None or setup.defaults_installed_at is None:
        do_install_defaults(workspace, demo_user(), enabled=True, escalate_to=DEMO_ESCALATE_TO)


@transaction.atomic
def create_demo_workspaces() -> bool:
    if Workspace.objects.filter(slug=DEMO_SLUG).exists():
        return False
    user = demo_user()
    workspace = do_create_workspace(DEMO_SLUG, "Maison Lumière", owner=user)
    do_update_strategy(workspace, user, STRATEGY)
    for code, data in demo_items(timezone.localdate()):
        do_save_item(workspace, user, ITEM_KINDS[code], data)
    client = do_create_workspace("cafe-boheme", "Café Bohème")
    do_add_member(client, user, Role.COMMUNITY_MANAGER)
    do_update_strategy(
        client,
        user,
        {
            "positioning": "Torréfacteur de quartier à Bordeaux.",
            "address_form": "tu",
            "language_register": "casual",
            "brand_keywords": ["Café Bohème", "#CafeBoheme"],
        },
    )
    return True
