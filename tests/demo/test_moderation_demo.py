"""The demo's moderation: the default rules switched on for Maison Lumière, applied once to
the backlog when the inbox is dressed. No complaint of the demo corpus is hidden; its insults
and spam are hidden or sent to review."""

from __future__ import annotations

from collections import Counter

import pytest

from parvis.demo import corpus
from parvis.demo.seed import DEMO_SLUG, ensure_demo
from parvis.inbox.models import Escalation, Message
from parvis.moderation import services
from parvis.moderation.models import Action, Evaluation, Rule, Setup
from parvis.workspaces.models import Workspace
from tests.demo.test_inbox_demo import WEDNESDAY, run_demo

pytestmark = pytest.mark.django_db


def test_default_rules_installed_and_switched_on_once():
    ensure_demo()
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    rules = Rule.objects.filter(workspace=workspace)
    assert rules.count() == len(services.default_rules()) and all(r.enabled for r in rules)
    assert Setup.objects.get(workspace=workspace).escalate_to == "manager"
    # Idempotent, and a rule the visitor switched off stays off.
    services.do_set_rule_enabled(rules.first(), False)
    ensure_demo()
    assert Rule.objects.filter(workspace=workspace).count() == len(services.default_rules())
    assert Rule.objects.filter(workspace=workspace, enabled=False).count() == 1


def test_the_demo_backlog_is_moderated_sensibly(django_capture_on_commit_callbacks):
    workspace = run_demo(WEDNESDAY, django_capture_on_commit_callbacks)
    truth = {i["external_id"]: i for i in corpus.backlog(WEDNESDAY, seed=7)}
    inbound = list(Message.objects.filter(workspace=workspace, direction="in"))
    decisions = dict(
        Evaluation.objects.filter(message__workspace=workspace).values_list("message", "decision")
    )
    # Every inbound message went through the rules once, when the inbox was dressed.
    assert set(decisions) == {m.pk for m in inbound}
    kinds = {m.pk: truth[m.external_id]["_kind"] for m in inbound if m.external_id in truth}
    assert len(kinds) >= 0.9 * len(inbound)
    by_kind: dict[str, Counter] = {}
    for pk, kind in kinds.items():
        by_kind.setdefault(kind, Counter())[decisions[pk]] += 1
    # Criticism and ordinary talk stay visible.
    for kind in ("complaint", "praise", "question", "mention", "competitor", "press"):
        assert not by_kind.get(kind, Counter())["hide"], (kind, by_kind.get(kind))
    # Insults and spam get hidden or reviewed, most of them.
    for kind in ("insult", "spam"):
        counts = by_kind[kind]
        acted = counts["hide"] + counts["review"] + counts["escalate"]
        assert acted >= 0.6 * sum(counts.values()), (kind, counts)
    hidden = Action.objects.filter(workspace=workspace, kind="hide")
    assert hidden.exists() and set(hidden.values_list("reason", flat=True)) <= {
        "insult",
        "obscene",
        "hate",
        "spam",
        "scam",
    }
    # The demo team's own escalation to the direction is still there, once.
    assert Escalation.objects.filter(workspace=workspace, to_role="direction").count() == 1


def test_moderation_decisions_by_kind_are_reported(django_capture_on_commit_callbacks, capsys):
    """Not an assertion: prints the demo's moderation counts (used in docs/moderation.md)."""
    workspace = run_demo(WEDNESDAY, django_capture_on_commit_callbacks)
    counts = Counter(
        Evaluation.objects.filter(message__workspace=workspace).values_list("decision", flat=True)
    )
    with capsys.disabled():
        print("\ndemo moderation:", dict(counts))
    assert sum(counts.values()) > 0
