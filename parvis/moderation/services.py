"""Moderation's actions: rules (save, order, preview, defaults), applying them to the inbox's
new messages, the review queue, restoring, the author lists and the charter. Every action on an
item is a line of the append-only log (`Action`); those done on a network are carried out by
network.py, exactly once."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.inbox import services as inbox
from parvis.inbox.models import Conversation, Kind, Message, Moderation, SavedReply
from parvis.listening.bulk import lock_workspace
from parvis.listening.models import Author, MentionMatch
from parvis.moderation import engine
from parvis.moderation.defaults import default_rules
from parvis.moderation.models import (
    Action,
    ActionKind,
    ActionState,
    AuthorList,
    Charter,
    Evaluation,
    ListedAuthor,
    ReviewItem,
    ReviewState,
    Rule,
    Setup,
)
from parvis.moderation.reasons import Reason
from parvis.workspaces.models import Strategy, Workspace

# --- rules ----------------------------------------------------------------------------------


def spec_of(rule: Rule) -> engine.RuleSpec:
    return engine.RuleSpec(
        name=rule.name,
        conditions=rule.conditions,
        actions=rule.actions,
        reason=rule.reason,
        continue_after=rule.continue_after,
        id=rule.pk,
    )


def active_rules(workspace: Workspace) -> list[Rule]:
    return list(Rule.objects.filter(workspace=workspace, enabled=True).order_by("position", "id"))


def do_save_rule(
    workspace: Workspace,
    actor: Any,
    *,
    name: str,
    conditions: Any,
    actions: Any,
    reason: str,
    enabled: bool = False,
    continue_after: bool = False,
    rule: Rule | None = None,
) -> Rule:
    """Create or change a rule; its conditions and actions are checked (engine.RuleError →
    ValidationError with the reason)."""
    try:
        clean_conditions = engine.validate_conditions(conditions)
        clean_actions = engine.validate_actions(actions)
    except engine.RuleError as error:
        raise ValidationError(str(error)) from error
    if reason not in Reason.values:
        raise ValidationError(_("Choose a reason from the list."))
    for action in clean_actions:
        check_action_target(workspace, action)
    name = " ".join(name.split())[:120]
    if not name:
        raise ValidationError(_("Give the rule a name."))
    fields = {
        "name": name,
        "conditions": clean_conditions,
        "actions": clean_actions,
        "reason": reason,
        "enabled": enabled,
        "continue_after": continue_after,
    }
    with transaction.atomic():
        # Two workers saving rules of one workspace at once (PostgreSQL): one after the
        # other, so that the name check and the next position see each other's rule.
        lock_workspace(workspace.pk)
        clash = Rule.objects.filter(workspace=workspace, name=name)
        if rule is not None:
            clash = clash.exclude(pk=rule.pk)
        if clash.exists():
            raise ValidationError(_("A rule already has this name."))
        if rule is None:
            last = Rule.objects.filter(workspace=workspace).aggregate(m=Max("position"))["m"]
            rule = Rule.objects.create(
                workspace=workspace,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                position=(last or 0) + 1,
                **fields,
            )
        else:
            for key, value in fields.items():
                setattr(rule, key, value)
            rule.save(update_fields=[*fields, "updated_at"])
    return rule


def check_action_target(workspace: Workspace, action: dict[str, Any]) -> None:
    from parvis.workspaces.models import Membership

    if (
        action["kind"] == "assign"
        and not Membership.objects.filter(
            workspace=workspace, user__username=action["username"]
        ).exists()
    ):
        raise ValidationError(_("Assign: %(name)s is not a member.") % {"name": action["username"]})
    if (
        action["kind"] == "reply"
        and not SavedReply.objects.filter(workspace=workspace, pk=action["saved_reply"]).exists()
    ):
        raise ValidationError(_("Reply: unknown saved reply."))


def do_move_rule(rule: Rule, offset: int) -> None:
    """Move a rule up (-1) or down (+1) in the order."""
    with transaction.atomic():
        lock_workspace(rule.workspace_id)  # a rule created meanwhile takes its place after
        rules = list(
            Rule.objects.select_for_update()
            .filter(workspace_id=rule.workspace_id)
            .order_by("position", "id")
        )
        index = next((i for i, r in enumerate(rules) if r.pk == rule.pk), None)
        if index is None:  # deleted meanwhile (another tab, another member)
            return
        target = max(0, min(len(rules) - 1, index + offset))
        rules.insert(target, rules.pop(index))
        for position, item in enumerate(rules, start=1):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])


def do_delete_rule(rule: Rule) -> None:
    rule.delete()  # the log keeps the rule's name (Action.rule_name)


def do_set_rule_enabled(rule: Rule, enabled: bool) -> None:
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])


def do_install_defaults(
    workspace: Workspace, actor: Any, *, enabled: bool, escalate_to: str = "manager"
) -> list[Rule]:
    """The shipped rules (defaults.py), those not there yet, switched on or not."""
    made = []
    with transaction.atomic():
        setup, _ = Setup.objects.get_or_create(workspace=workspace)
        setup.defaults_installed_at = timezone.now()
        setup.escalate_to = escalate_to
        setup.save(update_fields=["defaults_installed_at", "escalate_to"])
        existing = set(Rule.objects.filter(workspace=workspace).values_list("name", flat=True))
        for spec in default_rules(escalate_to):
            # Named in the language of whoever installs them (the names are translatable).
            if str(spec.name) in existing:
                continue
            made.append(
                do_save_rule(
                    workspace,
                    actor,
                    name=spec.name,
                    conditions=list(spec.conditions),
                    actions=list(spec.actions),
                    reason=spec.reason,
                    enabled=enabled,
                    continue_after=spec.continue_after,
                )
            )
    return made


# --- items ----------------------------------------------------------------------------------


def item_kind(message: Message, conversation: Conversation, own_parent: bool) -> str:
    if conversation.kind == Kind.PRIVATE:
        return "private"
    if message.parent_external_id:
        return "comment" if own_parent else "reply"
    return "mention"


def items_for(workspace: Workspace, messages: Sequence[Message]) -> dict[int, engine.Item]:
    """What the engine knows of each message: its text and scores (from the listening
    mention), its author (followers, first seen, lists), where it came, its queries."""
    mention_ids = [m.mention_id for m in messages if m.mention_id]
    queries: dict[int, set[int]] = {}
    for mention_id, query_id in MentionMatch.objects.filter(mention_id__in=mention_ids).values_list(
        "mention_id", "query_id"
    ):
        queries.setdefault(mention_id, set()).add(query_id)
    listed: dict[tuple[str, str], set[str]] = {}
    handles = {m.author_handle for m in messages}
    for network, handle, name in ListedAuthor.objects.filter(
        workspace=workspace, handle__in=handles
    ).values_list("network", "handle", "author_list__name"):
        listed.setdefault((network, handle), set()).add(name)
    parents = {m.parent_external_id for m in messages if m.parent_external_id}
    own_parents = set(
        Message.objects.filter(
            workspace=workspace, external_id__in=parents, direction="out"
        ).values_list("external_id", flat=True)
    )
    from parvis.listening.own import own_author_ids

    own_ids = own_author_ids(workspace)
    if own_ids and parents:
        from parvis.listening.models import Mention

        own_parents |= set(
            Mention.objects.filter(
                workspace=workspace, external_id__in=parents, author_id__in=own_ids
            ).values_list("external_id", flat=True)
        )
    items = {}
    for message in messages:
        mention = message.mention
        author: Author | None = mention.author if mention is not None else None
        scores: dict[str, float] = {}
        why: tuple[str, ...] = ()
        if mention is not None:
            categories = mention.toxicity_categories or {}
            scores = {
                "toxicity": float(mention.toxicity or 0),
                "spam": float(mention.spam or 0),
                **{k: float(v) for k, v in categories.items() if isinstance(v, int | float)},
            }
            why_data = mention.analysis_why or {}
            why = tuple(w for key in ("toxicity", "spam") for w in why_data.get(key) or [])
        conversation = message.conversation
        source = conversation.source
        items[message.pk] = engine.Item(
            text=message.text,
            network=message.network,
            lang=mention.lang if mention is not None else "",
            kind=item_kind(message, conversation, message.parent_external_id in own_parents),
            author_handle=message.author_handle,
            author_followers=author.followers if author is not None else None,
            author_first_seen=author.first_seen_at if author is not None else None,
            author_posts=author.mention_count if author is not None else None,
            author_lists=frozenset(listed.get((message.network, message.author_handle), ())),
            account_id=source.account_id if source is not None else None,
            query_ids=frozenset(queries.get(message.mention_id or 0, ())),
            scores=scores,
            why=why,
            at=message.sent_at,
        )
    return items


def context_for(workspace: Workspace) -> engine.Context:
    strategy = Strategy.objects.filter(workspace=workspace).first()
    avoid = tuple(strategy.words_to_avoid or []) if strategy is not None else ()
    return engine.Context(words_to_avoid=avoid)


def loaded(messages: Any) -> list[Message]:
    return list(
        messages.select_related(
            "mention__author", "conversation__source", "conversation__workspace"
        )
    )


# --- applying the rules ---------------------------------------------------------------------


def moderate_messages(workspace: Workspace, message_ids: Iterable[int]) -> dict[str, int]:
    """Apply the workspace's switched-on rules to new inbound messages, each once."""
    rules = active_rules(workspace)
    counts: dict[str, int] = {}
    if not rules:
        return counts
    specs = [spec_of(r) for r in rules]
    by_id = {r.pk: r for r in rules}
    messages = loaded(
        Message.objects.filter(workspace=workspace, pk__in=list(message_ids), direction="in")
    )
    items = items_for(workspace, messages)
    context = context_for(workspace)
    compiled = engine.Compiled()
    for message in messages:
        decision = engine.evaluate(specs, items[message.pk], context, compiled)
        # The claim and what it decides commit together: a crash in between leaves no
        # Evaluation, so the catch-up moderates the message again instead of never.
        with transaction.atomic():
            if not claim_evaluation(message, decision.summary):
                continue
            for outcome in decision.outcomes:
                apply(message, outcome, by_id.get(outcome.rule.id or 0), items[message.pk])
        counts[decision.summary] = counts.get(decision.summary, 0) + 1
    return counts


def claim_evaluation(message: Message, summary: str) -> bool:
    """Each message is moderated once, whichever worker gets to it first."""
    try:
        with transaction.atomic():
            Evaluation.objects.create(message=message, decision=summary, at=timezone.now())
    except IntegrityError:
        return False
    return True


def log(
    message: Message,
    kind: str,
    *,
    reason: str = "",
    rule: Rule | None = None,
    member: Any = None,
    note: str = "",
    scores: dict[str, float] | None = None,
    state: str = ActionState.DONE,
) -> Action:
    now = timezone.now()
    return Action.objects.create(
        workspace_id=message.workspace_id,
        message=message,
        kind=kind,
        reason=reason,
        rule=rule,
        rule_name=rule.name if rule else "",
        member=member if getattr(member, "is_authenticated", False) else None,
        note=note,
        scores=scores or {},
        state=state,
        created_at=now,
        done_at=now if state == ActionState.DONE else None,
    )


def reason_label(reason: str) -> str:
    return str(dict(Reason.choices).get(reason, reason))


def stored_reason(reason: str) -> str:
    """The reason as stored on the inbox message: the English label, which the inbox's pages
    translate when they show it (a worker's language is nobody's)."""
    from django.utils import translation

    with translation.override(None):
        return reason_label(reason)


def apply(message: Message, outcome: engine.Outcome, rule: Rule | None, item: engine.Item) -> None:
    spec = outcome.rule
    reason = spec.reason
    scores = dict(item.scores)
    if outcome.review:
        send_to_review(message, rule, reason, scores, outcome.words)
        return
    conversation = message.conversation
    for action in spec.actions:
        kind = action["kind"]
        if kind in ("hide", "delete"):
            queue_network_action(message, kind, reason=reason, rule=rule, scores=scores)
        elif kind == "review":
            send_to_review(message, rule, reason, scores, outcome.words)
        elif kind == "escalate":
            inbox.do_escalate(
                conversation,
                None,
                reason=_("Moderation: %(reason)s") % {"reason": reason_label(reason)},
                to_role=action.get("role") or escalation_role(message.workspace),
                note=message.text[:500],
            )
            log(message, ActionKind.ESCALATE, reason=reason, rule=rule, scores=scores)
        elif kind == "assign":
            user = get_user_model().objects.filter(username=action["username"]).first()
            if user is not None:
                try:
                    inbox.do_assign(conversation, None, assignee=user)
                except ValidationError:
                    continue
                log(message, ActionKind.ASSIGN, reason=reason, rule=rule, note=user.get_username())
        elif kind == "tag":
            inbox.do_tag(conversation, None, add=[action["name"]])
            log(message, ActionKind.TAG, reason=reason, rule=rule, note=action["name"])
        elif kind == "reply":
            auto_reply(message, action["saved_reply"], rule, reason)
        elif kind == "list_author":
            listed = add_to_list(
                message.workspace, action["list"], message.network, message.author_handle, None
            )
            log(message, ActionKind.LIST_AUTHOR, reason=reason, rule=rule, note=listed.name)


def escalation_role(workspace: Workspace) -> str:
    setup = Setup.objects.filter(workspace=workspace).first()
    return setup.escalate_to if setup else "manager"


def send_to_review(
    message: Message, rule: Rule | None, reason: str, scores: dict[str, float], words: list[str]
) -> ReviewItem | None:
    try:
        with transaction.atomic():
            review = ReviewItem.objects.create(
                workspace_id=message.workspace_id,
                message=message,
                rule=rule,
                reason=reason,
                scores=scores,
                why=words[:20],
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None  # already waiting in the queue
    if message.moderation == "":
        inbox.do_mark_moderated(message, Moderation.REVIEW, stored_reason(reason))
    log(message, ActionKind.REVIEW, reason=reason, rule=rule, scores=scores)
    return review


def auto_reply(message: Message, saved_id: int, rule: Rule | None, reason: str) -> None:
    from parvis.inbox import sending

    saved = SavedReply.objects.filter(workspace_id=message.workspace_id, pk=saved_id).first()
    if saved is None:
        return
    conversation = message.conversation
    text = inbox.fill_saved_reply(saved, conversation, None)
    queued = sending.do_queue_reply(conversation, None, text, in_reply_to=message)
    note = text if queued.reply else "; ".join(w["message"] for w in queued.warnings)
    log(message, ActionKind.REPLY, reason=reason, rule=rule, note=note[:1000])


def add_to_list(
    workspace: Workspace, name: str, network: str, handle: str, actor: Any
) -> AuthorList:
    author_list, _ = AuthorList.objects.get_or_create(workspace=workspace, name=name[:80])
    ListedAuthor.objects.get_or_create(
        workspace=workspace,
        author_list=author_list,
        network=network,
        handle=handle,
        defaults={"added_by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    return author_list


def queue_network_action(
    message: Message,
    kind: str,
    *,
    reason: str = "",
    rule: Rule | None = None,
    member: Any = None,
    note: str = "",
    scores: dict[str, float] | None = None,
) -> Action:
    """An action on the network (hide, delete, restore): logged as queued, carried out by
    the worker after commit (network.py)."""
    action = log(
        message,
        kind,
        reason=reason,
        rule=rule,
        member=member,
        note=note,
        scores=scores,
        state=ActionState.QUEUED,
    )
    from parvis.moderation.network import enqueue

    transaction.on_commit(lambda: enqueue(action.pk))
    return action


# --- people's decisions ---------------------------------------------------------------------


def do_hide(
    message: Message, member: Any, reason: str, note: str = "", delete: bool = False
) -> Action:
    if reason not in Reason.values:
        raise ValidationError(_("Choose a reason from the list."))
    kind = ActionKind.DELETE if delete else ActionKind.HIDE
    return queue_network_action(message, kind, reason=reason, member=member, note=note)


def do_restore(message: Message, member: Any, note: str) -> Action:
    """Put a hidden item back, on the network too where it allows, with who and why."""
    if not note.strip():
        raise ValidationError(_("Say why it is restored."))
    if message.moderation not in (Moderation.HIDDEN, Moderation.MANUAL, Moderation.DELETED):
        raise ValidationError(_("This item is not hidden."))
    if message.moderation == Moderation.DELETED:
        raise ValidationError(_("A deleted item cannot be put back on this network."))
    if message.moderation == Moderation.MANUAL:
        # Only hidden in Parvis: nothing to undo on the network.
        inbox.do_mark_moderated(message, "")
        return log(message, ActionKind.RESTORE, member=member, note=note.strip())
    return queue_network_action(message, ActionKind.RESTORE, member=member, note=note.strip())


def do_review(
    review: ReviewItem, member: Any, decision: str, *, reason: str = "", teach: bool = False
) -> ReviewItem:
    """keep | hide | escalate, from the review queue."""
    return decide(review, member, decision, reason=reason, teach=teach)[0]


def decide(
    review: ReviewItem, member: Any, decision: str, *, reason: str = "", teach: bool = False
) -> tuple[ReviewItem, bool]:
    """do_review's work: (the row, whether this call decided it). An item already decided
    (twice clicked, or by someone else) is left as it is."""
    if decision not in ("keep", "hide", "escalate"):
        raise ValidationError(_("Unknown decision."))
    with transaction.atomic():
        row = ReviewItem.objects.select_for_update().get(pk=review.pk)
        if row.state != ReviewState.PENDING:
            return row, False
        message = row.message
        reason = reason or row.reason
        if decision == "keep":
            row.state = ReviewState.KEPT
            if message.moderation == Moderation.REVIEW:
                inbox.do_mark_moderated(message, "")
            log(message, ActionKind.APPROVE, reason=reason, member=member, rule=row.rule)
        elif decision == "hide":
            row.state = ReviewState.HIDDEN
            queue_network_action(
                message, ActionKind.HIDE, reason=reason, member=member, rule=row.rule
            )
        else:
            row.state = ReviewState.ESCALATED
            inbox.do_escalate(
                message.conversation,
                member,
                reason=_("Moderation: %(reason)s") % {"reason": reason_label(reason)},
                to_role=escalation_role(message.workspace),
            )
            log(message, ActionKind.ESCALATE, reason=reason, member=member, rule=row.rule)
        row.decided_by = member if getattr(member, "is_authenticated", False) else None
        row.decided_at = timezone.now()
        row.teach = teach
        row.save(update_fields=["state", "decided_by", "decided_at", "teach"])
    return row, True


# How many waiting items one bulk decision may cover, and how many are read to find an
# item's twins: a campaign of copies is tens of items, not the whole queue at once.
MAX_BULK = 200
SAME_TEXT_SCAN = 2000


def text_key(text: str) -> str:
    """The text as copies share it: case, accents' composition, punctuation and spacing
    aside (« +1, colis bloqué à Corbas » and « +1 colis bloqué à corbas ! » are one)."""
    import re
    import unicodedata

    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.findall(r"\w+", folded))


def same_text(review: ReviewItem) -> list[ReviewItem]:
    """The waiting items of the review's workspace whose text is the review's (itself
    included), oldest first; none when the text has no words to compare."""
    key = text_key(review.message.text)
    if not key:
        return []
    rows = (
        ReviewItem.objects.filter(workspace_id=review.workspace_id, state=ReviewState.PENDING)
        .select_related("message")
        .order_by("created_at", "id")[:SAME_TEXT_SCAN]
    )
    return [r for r in rows if text_key(r.message.text) == key][:MAX_BULK]


def do_review_many(
    workspace: Workspace,
    member: Any,
    review_ids: Iterable[int],
    decision: str,
    *,
    reason: str = "",
) -> dict[str, int]:
    """Keep or hide several waiting items with one decision: each goes through do_review, so
    each is logged on its own (who, why) and its network action is queued once (an item
    already decided, by someone else in the meantime, is left as it is). Returns
    {"decided": n, "skipped": n}."""
    if decision not in ("keep", "hide"):
        raise ValidationError(_("Several items at once can be kept or hidden, not escalated."))
    if reason and reason not in Reason.values:
        raise ValidationError(_("Choose a reason from the list."))
    ids = list(dict.fromkeys(int(i) for i in review_ids))
    if not ids:
        raise ValidationError(_("Select at least one item."))
    if len(ids) > MAX_BULK:
        raise ValidationError(_("At most %(n)s items at once.") % {"n": MAX_BULK})
    rows = list(ReviewItem.objects.filter(workspace=workspace, pk__in=ids).order_by("id"))
    counts = {"decided": 0, "skipped": len(ids) - len(rows)}
    for row in rows:
        if row.state != ReviewState.PENDING:
            counts["skipped"] += 1
            continue
        _row, changed = decide(row, member, decision, reason=reason)
        counts["decided" if changed else "skipped"] += 1
    return counts


# --- preview --------------------------------------------------------------------------------


def preview(
    workspace: Workspace, conditions: Any, *, days: int = 30, limit: int = 5000
) -> tuple[list[tuple[Message, bool]], int]:
    """(the matching inbound messages of the last `days`, newest first, each with whether it
    would go to review; how many were looked at)."""
    try:
        clean = engine.validate_conditions(conditions)
    except engine.RuleError as error:
        raise ValidationError(str(error)) from error
    spec = engine.RuleSpec("preview", clean, [{"kind": "review"}], Reason.OTHER)
    since = timezone.now() - dt.timedelta(days=days)
    messages = loaded(
        Message.objects.filter(workspace=workspace, direction="in", sent_at__gte=since).order_by(
            "-sent_at", "-id"
        )[:limit]
    )
    items = items_for(workspace, messages)
    context = context_for(workspace)
    compiled = engine.Compiled()
    found = []
    for message in messages:
        decision = engine.evaluate([spec], items[message.pk], context, compiled)
        if decision.outcomes:
            found.append((message, decision.outcomes[0].review))
    return found, len(messages)


# --- the charter and the counts -------------------------------------------------------------


def get_charter(workspace: Workspace) -> Charter:
    charter, _ = Charter.objects.get_or_create(
        workspace=workspace, defaults={"token": secrets.token_urlsafe(18)}
    )
    return charter


def do_update_charter(
    workspace: Workspace, *, published: bool, introduction: str, appeal: str
) -> Charter:
    charter = get_charter(workspace)
    charter.published = published
    charter.introduction = introduction.strip()[:5000]
    charter.appeal = appeal.strip()[:2000]
    charter.save(update_fields=["published", "introduction", "appeal", "updated_at"])
    return charter


def counts_by_reason(workspace: Workspace, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Items hidden or deleted in [start, end), by reason (the reports' monthly counts)."""
    rows = (
        Action.objects.filter(
            workspace=workspace,
            kind__in=[ActionKind.HIDE, ActionKind.DELETE],
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(state=ActionState.FAILED)
        .values("reason")
        .annotate(n=Count("id"))
    )
    return {row["reason"]: row["n"] for row in rows}
