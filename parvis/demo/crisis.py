"""The demo's alerts and crisis room.

- `ensure_demo_alerts` (from `ensure_demo`): an alert rule on the brand's negative mentions
  (severity « crise », the bell for the editors), the crisis playbook (contacts with
  « la direction », a checklist) and holding statements in French and English.
- `after_backlog` (connected to `mentions_stored`, like the demo inbox): once the 30-day
  backlog is stored, the corpus's bad buzz becomes an episode with its alert, drawn from the
  bad buzz's window (not detected: the backlog arrives at once and alerts no one; fed as if
  live, the hourly series catch it 47 minutes in — docs/alerts.md, « Demo »), and the crisis
  the team ran: started, contacts told, the checklist partly ticked, a statement used, notes,
  closed with its summary. Once: the demo rule's first episode is the marker.
- `replay_spike` (`parvis manage demo_spike`): a new bad buzz stored now through the
  pipeline, while the demo runs: the alerts' stream sees it like any batch and raises the
  alert live.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils import timezone

from parvis.alerts import raising
from parvis.alerts.crisis import services as crisis_services
from parvis.alerts.crisis.models import CrisisLog, HoldingStatement
from parvis.alerts.models import AlertRule, Episode, EpisodeKind, Severity
from parvis.alerts.services import do_save_rule
from parvis.demo import corpus
from parvis.demo.connector import incoming
from parvis.listening import pipeline
from parvis.listening.models import Mention, MonitoredQuery, Source
from parvis.workspaces.models import Workspace

logger = logging.getLogger(__name__)

DEMO_RULE = "Bad buzz : avis négatifs sur la marque"
BRAND_QUERY = "Maison Lumière"

CONTACTS = [
    {
        "name": "Claire Martin",
        "role": "Direction générale (la direction)",
        "phone": "+33 6 12 34 56 78",
        "email": "claire.martin@maison-lumiere.example",
        "direction": True,
    },
    {
        "name": "Hugo Bernard",
        "role": "Responsable service client",
        "phone": "+33 6 98 76 54 32",
        "email": "hugo.bernard@maison-lumiere.example",
    },
    {"name": "Agence RP Lumen", "role": "Relations presse", "phone": "+33 1 23 45 67 89"},
]
CHECKLIST = [
    "Briefer l'équipe du service client",
    "Préparer la FAQ (mèches, remboursements)",
    "Prévenir la direction",
    "Vérifier le lot en cause avec l'atelier",
]
STATEMENTS = [
    (
        "Attente — premier message",
        "fr",
        "Bonjour, merci de votre signalement. L'équipe {marque} examine la situation depuis "
        "le {date} à {heure} et reviendra vers vous très vite ici, sur {canal}. "
        "Écrivez-nous en message privé avec votre numéro de commande.",
    ),
    (
        "Holding — first answer",
        "en",
        "Hello, thank you for letting us know. The {brand} team has been looking into this "
        "since {date}, {time}, and will come back to you here on {channel} very soon. "
        "Please send us your order number by private message.",
    ),
]


def ensure_demo_alerts(workspace: Workspace, user: Any) -> None:
    """The demo's alert rule, playbook and statements (once; what the visitor changed stays)."""
    query = MonitoredQuery.objects.filter(workspace=workspace, name=BRAND_QUERY).first()
    if (
        query is not None
        and not AlertRule.objects.filter(workspace=workspace, name=DEMO_RULE).exists()
    ):
        do_save_rule(
            workspace,
            user,
            {
                "name": DEMO_RULE,
                "kind": "spike",
                "query_id": query.pk,
                "metric": "negative",
                "severity": Severity.CRISIS,
                "channels": ["app"],
                "roles": ["owner", "manager", "community_manager"],
            },
        )
    playbook = crisis_services.get_playbook(workspace)
    if playbook.updated_at is None:
        crisis_services.do_save_playbook(
            workspace, user, contacts=CONTACTS, checklist=CHECKLIST, auto_start_severity=""
        )
    if not HoldingStatement.objects.filter(workspace=workspace).exists():
        for title, language, text in STATEMENTS:
            crisis_services.do_save_statement(
                workspace, user, title=title, language=language, text=text
            )


def spike_window(workspace: Workspace, query: MonitoredQuery) -> tuple[Any, Any, int, Any]:
    """(opened, closed, peak per minute, peak minute) of the backlog's bad buzz, or Nones when
    it has no negative mention. The corpus's buzz lasts a day or two at a few negative
    mentions an hour: the hours with at least 3 of them around the busiest one."""
    minutes: Counter[dt.datetime] = Counter()
    rows = Mention.objects.filter(
        workspace=workspace, sentiment="negative", matches__query=query
    ).values_list("published_at", flat=True)
    for at in rows:
        minutes[at.replace(second=0, microsecond=0)] += 1
    if not minutes:
        return None, None, 0, None
    hours: Counter[dt.datetime] = Counter()
    for minute, n in minutes.items():
        hours[minute.replace(minute=0)] += n

    # The busiest stretch of six hours, and the busy hours within a day and a half of it.
    def six(h: dt.datetime) -> int:
        return sum(hours[h + dt.timedelta(hours=k)] for k in range(6))

    busiest = max(hours, key=lambda h: (six(h), h))
    reach = dt.timedelta(hours=36)
    busy = sorted(h for h, n in hours.items() if n >= 3 and abs(h - busiest) <= reach)
    busy = busy or [busiest]
    opened, closed = busy[0], busy[-1] + dt.timedelta(hours=1)
    inside = {m: n for m, n in minutes.items() if opened <= m < closed}
    peak_at = max(inside, key=lambda m: (inside[m], m)) if inside else opened
    first = min((m for m in inside), default=opened)
    return first, closed, inside.get(peak_at, 0), peak_at


def dress_crisis(workspace: Workspace, user: Any, second: Any = None) -> Episode | None:
    """The backlog's bad buzz as an episode with its alert and a crisis run by the team."""
    rule = AlertRule.objects.filter(workspace=workspace, name=DEMO_RULE).first()
    if rule is None or rule.query is None or Episode.objects.filter(rule=rule).exists():
        return None
    opened, closed, peak, peak_at = spike_window(workspace, rule.query)
    if opened is None:
        return None
    with transaction.atomic():
        episode = Episode.objects.create(
            workspace=workspace,
            kind=EpisodeKind.NEGATIVE,
            rule=rule,
            query=rule.query,
            query_name=rule.query.name,
            severity=Severity.CRISIS,
            opened_at=opened,
            fired_at=opened + dt.timedelta(minutes=1),
            closed_at=closed,
            last_event_at=closed,
            baseline=0.2,
            peak_value=peak,
            peak_at=peak_at,
            score=1.0,
        )
        raising.raise_alert(rule, episode, opened + dt.timedelta(minutes=1))
    # The team acted while it happened: each step at its moment (minutes after the start).
    start = opened + dt.timedelta(minutes=4)
    moments: list[dt.timedelta] = []

    def step(minutes: float) -> dt.datetime:
        moments.append(dt.timedelta(minutes=minutes))
        return start + moments[-1]

    crisis, _created = crisis_services.do_start_crisis(episode, user)
    step(0)
    crisis_services.do_notify_contacts(crisis, user)
    step(6)
    tasks = list(crisis.tasks.all())
    crisis_services.do_tick_task(crisis, user, tasks[0].pk)  # posts paused (two entries)
    step(9)
    step(9)
    crisis_services.do_tick_task(crisis, second or user, tasks[1].pk)
    step(17)
    crisis_services.do_add_note(
        crisis,
        user,
        "Les avis parlent tous du lot Fig & Cedar : mèches qui creusent et flammes trop hautes. "
        "Appel avec l'atelier à 15 h.",
    )
    step(42)
    statement = HoldingStatement.objects.filter(workspace=workspace, language="fr").first()
    if statement is not None:
        crisis_services.do_use_statement(crisis, second or user, statement, "Bluesky", at=step(55))
    crisis_services.do_add_note(
        crisis, second or user, "FAQ publiée, remboursement proposé aux clients du lot."
    )
    step(190)
    crisis = crisis_services.do_close_crisis(
        crisis,
        user,
        "Lot retiré de la vente, clients remboursés. Le calme est revenu en fin de soirée.",
    )
    end = max(closed, start + moments[-1] + dt.timedelta(minutes=1))
    entries = list(CrisisLog.objects.filter(crisis=crisis).order_by("id"))
    for entry, moment in zip(entries, moments, strict=False):
        CrisisLog.objects.filter(pk=entry.pk).update(at=start + moment)
    for entry in entries[len(moments) :]:  # closed, publishing resumed
        CrisisLog.objects.filter(pk=entry.pk).update(at=end)
    for task, minutes in zip(tasks[:2], (9, 17), strict=True):
        crisis.tasks.filter(pk=task.pk).update(done_at=start + dt.timedelta(minutes=minutes))
    type(crisis).objects.filter(pk=crisis.pk).update(started_at=start, closed_at=end)
    crisis.refresh_from_db()
    crisis_services.do_refresh_summary(crisis)
    return episode


def after_backlog(sender: Any, workspace: Any, source: Any = None, **kwargs: Any) -> None:
    """Receiver of `mentions_stored`: dress the crisis room once the backlog is stored."""
    if source is None or source.kind != "demo":
        return
    cursor = Source.objects.filter(pk=source.pk).values_list("cursor", flat=True).first() or {}
    if cursor.get("phase") != "live":
        return
    from parvis.demo.inbox import second_member
    from parvis.demo.seed import demo_user

    try:
        dress_crisis(workspace, demo_user(), second_member())
    except Exception:  # a nicety of the demo: never fail the source's run for it
        logger.exception("the demo crisis room could not be prepared")


def replay_spike(workspace: Workspace, count: int = 90, now: dt.datetime | None = None) -> int:
    """Store a new bad buzz now (through the pipeline, as the demo source would): the
    mentions stored."""
    source = Source.objects.filter(workspace=workspace, kind="demo").first()
    seed = int((source.config or {}).get("seed", 7)) if source else 7
    items = corpus.spike(now or timezone.now(), seed=seed, count=count)
    summary = pipeline.run(
        workspace,
        [incoming(i) for i in items],
        source=source,
        origin="demo-spike",
    )
    return int(getattr(summary, "stored", len(items)))
