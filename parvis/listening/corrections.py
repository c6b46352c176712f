"""Corrections that teach: a member corrects a mention's sentiment, spam or toxicity label in
one click; the mention changes at once, the correction is kept (who, when, before → after),
and the workspace's adaptation layer (``parvis.intelligence.adaptation``) is refitted in the
worker on this workspace's corrections only, then applied to the mentions it stores next.

A correction keeps the scores the shared model gave the mention when first corrected: a
second correction of the same mention (another field, or a change of mind) learns from the
model's view, not from the first correction's. The last correction of a mention for a field
is its label; earlier ones stay in the history.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.intelligence import adaptation
from parvis.listening import adapting, freshness
from parvis.listening.models import Correction, Mention
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Workspace

LABELS = adapting.LABELS
# What a corrected mention's score becomes: a person's label is certain.
_SENTIMENT_SCORE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


def label_of(mention: Mention, field: str) -> str:
    """The label the mention shows now for ``field``."""
    if field == "sentiment":
        return mention.sentiment or "neutral"
    value = mention.spam if field == "spam" else mention.toxicity
    return "yes" if value >= 0.5 else "no"


def _model_scores(mention: Mention) -> list[float]:
    fields = {
        "sentiment_score": mention.sentiment_score,
        "toxicity": mention.toxicity,
        "toxicity_categories": mention.toxicity_categories,
        "spam": mention.spam,
    }
    return [round(float(v) + 0.5, 4) for v in adaptation.features(fields)]


def do_correct(
    workspace: Workspace, mention: Mention, field: str, after: str, member: Any
) -> Correction | None:
    """Correct one label of a mention of ``workspace``; None when it already says ``after``."""
    if mention.workspace_id != workspace.pk:
        raise ValidationError(_("This mention belongs to another workspace."))
    if field not in LABELS:
        raise ValidationError(_("Only sentiment, spam and toxicity can be corrected."))
    if after not in LABELS[field]:
        raise ValidationError(_("Unknown label."))
    with transaction.atomic():
        # Locked: two members correcting the same mention at once are recorded in turn.
        mention = Mention.objects.select_for_update().get(pk=mention.pk)
        before = label_of(mention, field)
        if before == after:
            return None
        first = (
            Correction.objects.filter(workspace=workspace, mention=mention)
            .order_by("created_at", "id")
            .values_list("scores", flat=True)
            .first()
        )
        scores = first if first else _model_scores(mention)
        if field == "sentiment":
            mention.sentiment = after
            mention.sentiment_score = _SENTIMENT_SCORE[after]
            mention.save(update_fields=["sentiment", "sentiment_score"])
        elif field == "spam":
            mention.spam = 1.0 if after == "yes" else 0.0
            mention.save(update_fields=["spam"])
        else:
            mention.toxicity = 1.0 if after == "yes" else 0.0
            mention.save(update_fields=["toxicity"])
        correction = Correction.objects.create(
            workspace=workspace,
            mention=mention,
            field=field,
            before=before,
            after=after,
            scores=scores,
            member=member if getattr(member, "pk", None) else None,
            created_at=timezone.now(),
        )
        # The overview's cached counts include this mention's label.
        freshness.bump(workspace.pk)
        transaction.on_commit(lambda: _schedule_refit(workspace.pk))
    return correction


def _schedule_refit(workspace_id: int) -> None:
    from parvis.listening.tasks import refit_adaptation_task

    refit_adaptation_task(workspace_id)


def corrections(workspace: Workspace, field: str = "") -> QuerySet[Correction]:
    qs = scoped(Correction, workspace).select_related("member", "mention")
    if field in LABELS:
        qs = qs.filter(field=field)
    return qs.order_by("-created_at", "-id")


CSV_HEADER = ["created_at", "member", "field", "before", "after", "mention_id", "network", "text"]


def _cell(value: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: quote it as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(workspace: Workspace, field: str = "") -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for c in corrections(workspace, field)[:50_000]:
        writer.writerow(
            [
                c.created_at.isoformat(),
                _cell(c.member.get_username() if c.member else ""),
                c.field,
                c.before,
                c.after,
                c.mention_id,
                c.mention.network,
                _cell(c.mention.text[:2000]),
            ]
        )
    return out.getvalue()
