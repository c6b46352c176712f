"""What the moderation pages read: rules and their conditions in words, the review queue,
the log and its filters, the charter's figures, highlighted words. Read-only: every change
goes through services.py (or lists.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parvis.core.networks import network_label
from parvis.moderation import engine
from parvis.moderation.models import (
    Action,
    ActionKind,
    ActionState,
    ReviewItem,
    ReviewState,
    Rule,
)
from parvis.moderation.reasons import ESCALATED, Reason
from parvis.workspaces.models import Workspace

PAGE_SIZE = 50

SCORE_LABELS = {
    "toxicity": gettext_lazy("toxicity"),
    "insult": gettext_lazy("insult"),
    "obscene": gettext_lazy("obscenity"),
    "hate": gettext_lazy("hate"),
    "threat": gettext_lazy("threat"),
    "spam": gettext_lazy("spam"),
}
CONTAINS_LABELS = {
    "link": gettext_lazy("contains a link"),
    "email": gettext_lazy("contains an e-mail address"),
    "phone": gettext_lazy("contains a phone number"),
    "only_emoji": gettext_lazy("only emoji"),
}
ITEM_TYPE_LABELS = {
    "comment": gettext_lazy("comment on the brand's post"),
    "reply": gettext_lazy("reply to someone else"),
    "mention": gettext_lazy("mention"),
    "private": gettext_lazy("private message"),
}
ACTION_LABELS = {
    "hide": gettext_lazy("hide"),
    "delete": gettext_lazy("delete"),
    "review": gettext_lazy("send to review"),
    "assign": gettext_lazy("assign"),
    "tag": gettext_lazy("tag"),
    "escalate": gettext_lazy("escalate"),
    "reply": gettext_lazy("reply"),
    "list_author": gettext_lazy("add the author to a list"),
}


def decimal(value: float) -> str:
    """0.75 → « 0,75 » in French."""
    return (
        formats.number_format(round(float(value), 2), use_l10n=True).rstrip("0").rstrip(",.") or "0"
    )


def words_excerpt(words: list[str], shown: int = 4) -> str:
    text = ", ".join(words[:shown])
    return text + (", …" if len(words) > shown else "")


def condition_text(config: dict[str, Any], queries: dict[int, str] | None = None) -> str:
    """One condition in words: « insulte ≥ 0,75 (revue dès 0,5) », « contient un lien »."""
    kind = config.get("kind")
    if kind == "score":
        text = f"{SCORE_LABELS.get(config['name'], config['name'])} ≥ {decimal(config['min'])}"
        if config.get("review_min") is not None:
            text += " " + _("(review from %(value)s)") % {"value": decimal(config["review_min"])}
    elif kind == "words":
        parts = []
        if config.get("words"):
            parts.append(_("words: %(words)s") % {"words": words_excerpt(config["words"])})
        if config.get("avoid_list"):
            parts.append(_("the strategy's words to avoid"))
        text = _(" or ").join(parts)
    elif kind == "contains":
        text = str(CONTAINS_LABELS.get(config["what"], config["what"]))
    elif kind == "author":
        what = config["what"]
        if what == "on_list":
            text = _("author on the list « %(name)s »") % {"name": config["list"]}
        elif what == "followers_below":
            text = _("author with fewer than %(n)s followers") % {"n": config["value"]}
        else:
            text = _("new author (first seen less than %(n)s days ago)") % {
                "n": config.get("days", 7)
            }
    elif kind == "network":
        names = ", ".join(network_label(n) for n in config["in"])
        text = _("network: %(names)s") % {"names": names}
    elif kind == "item_type":
        names = ", ".join(str(ITEM_TYPE_LABELS.get(n, n)) for n in config["in"])
        text = _("type: %(names)s") % {"names": names}
    elif kind == "lang":
        text = _("language: %(names)s") % {"names": ", ".join(config["in"])}
    elif kind == "account":
        text = _("addressed to account %(names)s") % {"names": ", ".join(config["in"])}
    elif kind == "query":
        name = (queries or {}).get(config["id"], f"#{config['id']}")
        text = _("matched by the query « %(name)s »") % {"name": name}
    else:
        text = str(kind)
    if config.get("not"):
        text = _("not: %(condition)s") % {"condition": text}
    return text


def action_text(config: dict[str, Any], saved: dict[int, str] | None = None) -> str:
    kind = config.get("kind", "")
    label = str(ACTION_LABELS.get(kind, kind))
    if kind == "assign":
        return f"{label} → {config['username']}"
    if kind == "tag":
        return f"{label} « {config['name']} »"
    if kind == "escalate" and config.get("role"):
        from parvis.inbox.models import EscalationRole

        role = dict(EscalationRole.choices).get(config["role"], config["role"])
        return f"{label} → {role}"
    if kind == "reply":
        return f"{label} « {(saved or {}).get(config['saved_reply'], '#')} »"
    if kind == "list_author":
        return f"{label} « {config['list']} »"
    return label


def rules_of(workspace: Workspace) -> list[dict[str, Any]]:
    """The ordered rules, each with its conditions and actions in words."""
    from parvis.inbox.models import SavedReply
    from parvis.listening.models import MonitoredQuery

    queries = dict(MonitoredQuery.objects.filter(workspace=workspace).values_list("id", "name"))
    saved = dict(SavedReply.objects.filter(workspace=workspace).values_list("id", "title"))
    rules = list(Rule.objects.filter(workspace=workspace).order_by("position", "id"))
    return [
        {
            "rule": rule,
            "conditions": [condition_text(c, queries) for c in rule.conditions],
            "actions": [action_text(a, saved) for a in rule.actions],
            "first": i == 0,
            "last": i == len(rules) - 1,
        }
        for i, rule in enumerate(rules)
    ]


# --- the review queue -----------------------------------------------------------------------


def pending(workspace: Workspace) -> QuerySet[ReviewItem]:
    return (
        ReviewItem.objects.filter(workspace=workspace, state=ReviewState.PENDING)
        .select_related("message__conversation", "rule")
        .order_by("created_at", "id")
    )


def pending_count(workspace: Workspace) -> int:
    return ReviewItem.objects.filter(workspace=workspace, state=ReviewState.PENDING).count()


def score_rows(scores: dict[str, float]) -> list[tuple[str, float]]:
    return [
        (str(SCORE_LABELS.get(name, name)), value)
        for name, value in sorted(scores.items(), key=lambda kv: -kv[1])
        if isinstance(value, int | float)
    ]


def folded_with_map(text: str) -> tuple[str, list[int]]:
    """The text folded as the engine folds it, and for each folded character the index of
    the original character it comes from."""
    pieces, where = [], []
    for index, char in enumerate(text):
        folded = engine.fold(char)
        pieces.append(folded)
        where.extend([index] * len(folded))
    return "".join(pieces), where


def highlight(text: str, words: list[str]) -> SafeString:
    """The text, escaped, with the occurrences of `words` (whole words, case and accents
    folded, as the rules match them) in <mark>. Each piece is escaped on its own; the marks
    are the only markup added."""
    pattern = engine.phrase_pattern(words)
    if pattern is None or not text:
        return escape(text)
    folded, where = folded_with_map(text)
    out, last = [], 0
    for match in pattern.finditer(folded):
        if match.end() <= match.start():
            continue
        start = where[match.start()]
        end = where[match.end() - 1] + 1
        if start < last:
            continue
        out.append(escape(text[last:start]))
        out.append("<mark>" + escape(text[start:end]) + "</mark>")
        last = end
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


# --- the log --------------------------------------------------------------------------------

STATE_LABELS = {
    ActionState.QUEUED: gettext_lazy("queued"),
    ActionState.SENDING: gettext_lazy("queued"),
    ActionState.DONE: gettext_lazy("done"),
    ActionState.MANUAL: gettext_lazy("to do by hand"),
    ActionState.FAILED: gettext_lazy("failed"),
}


def log_rows(workspace: Workspace, filters: dict[str, str]) -> QuerySet[Action]:
    rows = Action.objects.filter(workspace=workspace)
    if filters.get("action") in ActionKind.values:
        rows = rows.filter(kind=filters["action"])
    if filters.get("reason") in Reason.values:
        rows = rows.filter(reason=filters["reason"])
    state = filters.get("state")
    if state == ActionState.QUEUED:
        rows = rows.filter(state__in=[ActionState.QUEUED, ActionState.SENDING])
    elif state in ActionState.values:
        rows = rows.filter(state=state)
    return rows.select_related("message__conversation", "member").order_by("-created_at", "-id")


def page_of(rows: QuerySet[Action], page: int, size: int = PAGE_SIZE) -> tuple[list[Action], bool]:
    start = (page - 1) * size
    found = list(rows[start : start + size + 1])
    return found[:size], len(found) > size


def excerpt(text: str, length: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# --- the charter ----------------------------------------------------------------------------


def removal_reasons(workspace: Workspace) -> list[str]:
    """The reasons the workspace's switched-on rules hide or delete comments for."""
    found = []
    for rule in Rule.objects.filter(workspace=workspace, enabled=True).order_by("position"):
        kinds = {a.get("kind") for a in rule.actions}
        if kinds & {"hide", "delete"} and rule.reason not in found:
            found.append(rule.reason)
    return found


def charter_rows(workspace: Workspace, counts: dict[str, int]) -> list[dict[str, Any]]:
    reasons = removal_reasons(workspace)
    reasons += [r for r in counts if r not in reasons]
    labels = dict(Reason.choices)
    return [
        {
            "code": code,
            "label": labels.get(code, code),
            "count": counts.get(code, 0),
            "escalated": code in ESCALATED,
        }
        for code in reasons
        if code
    ]
