"""Running the default rules over the labelled comments (corpus.py) the way the pipeline does:
`analyze()` for the scores, an `engine.Item` per comment, `engine.evaluate` with the rules.

Used by tests/moderation/test_default_rules.py and benchmarks/moderation_rules.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from parvis.moderation import engine
from parvis.moderation.defaults import default_rules
from tests.moderation.corpus import EXPECTED, Case

HIDDEN = ("hide", "delete")


def item_of(text: str, analysis, network: str = "", kind: str = "comment") -> engine.Item:
    """The engine's item for a text, with the scores the ingestion pipeline stores
    (listening/enrichment.py) and services.items_for reads back."""
    scores = {
        "toxicity": float(analysis.toxicity.score),
        "spam": float(analysis.spam.score),
        **{k: float(v) for k, v in analysis.toxicity.categories.items()},
    }
    why = tuple(w for key in ("toxicity", "spam") for w in analysis.why.get(key) or [])
    return engine.Item(
        text=text, network=network, lang=analysis.lang, kind=kind, scores=scores, why=why
    )


@dataclass
class Result:
    case: Case
    decision: str  # keep | hide | delete | review | escalate (Decision.summary)
    reasons: list[str]  # the reasons of every rule that matched, in order
    escalated: bool  # an escalate action ran (not only in the review band)
    rules: list[str]

    @property
    def hidden(self) -> bool:
        return self.decision in HIDDEN

    @property
    def correct(self) -> bool:
        """The decision expected for its label, « review » accepted for abuse and escalations
        (a person sees it), never for criticism and ordinary comments."""
        expected, _ = EXPECTED[self.case.label]
        if expected == "keep":
            return self.decision == "keep" or (self.decision == "escalate" and not self.hidden)
        if expected == "escalate":
            return self.escalated or self.decision == "review"
        return self.decision in (*HIDDEN, "review")


def run(cases: Sequence[Case], rules: Sequence[engine.RuleSpec] | None = None) -> list[Result]:
    from parvis.intelligence import analyze

    rules = list(rules) if rules is not None else default_rules()
    analyses = analyze([c.text for c in cases])
    compiled = engine.Compiled()
    results = []
    for case, analysis in zip(cases, analyses, strict=True):
        item = item_of(case.text, analysis, case.network)
        decision = engine.evaluate(rules, item, engine.Context(), compiled)
        escalated = any(
            not o.review and any(a["kind"] == "escalate" for a in o.rule.actions)
            for o in decision.outcomes
        )
        results.append(
            Result(
                case,
                decision.summary,
                [str(o.rule.reason) for o in decision.outcomes],
                escalated,
                [o.rule.name for o in decision.outcomes],
            )
        )
    return results


def per_reason(results: Sequence[Result]) -> dict[str, dict[str, float]]:
    """Precision and recall per reason: a comment is flagged with a reason when a rule with
    that reason matched it (acting or in the review band)."""
    table = {}
    for label, (_, reason) in EXPECTED.items():
        if not reason:
            continue
        flagged = [r for r in results if reason in r.reasons]
        relevant = [r for r in results if r.case.label == label]
        hits = sum(1 for r in flagged if r.case.label == label)
        table[reason] = {
            "n": len(relevant),
            "flagged": len(flagged),
            "precision": hits / len(flagged) if flagged else 1.0,
            "recall": hits / len(relevant) if relevant else 1.0,
            "correct": sum(r.correct for r in relevant) / len(relevant) if relevant else 1.0,
        }
    return table


def confusion(results: Sequence[Result]) -> dict[str, Counter]:
    """label → Counter of decisions."""
    table: dict[str, Counter] = {}
    for r in results:
        table.setdefault(r.case.label, Counter())[r.decision] += 1
    return table


def visible(results: Sequence[Result], label: str) -> dict[str, float]:
    """For kept labels: the share hidden, reviewed, escalated, kept."""
    rows = [r for r in results if r.case.label == label]
    n = len(rows) or 1
    return {
        "n": len(rows),
        "hidden": sum(r.hidden for r in rows) / n,
        "review": sum(r.decision == "review" for r in rows) / n,
        "escalate": sum(r.decision == "escalate" for r in rows) / n,
        "keep": sum(r.decision == "keep" for r in rows) / n,
    }
