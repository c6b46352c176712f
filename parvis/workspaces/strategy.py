"""The strategy: positioning, editorial line, objectives, personas, networks, competitors.

Every change goes through these actions, which validate, save and record who changed
what (field: [before, after]) in StrategyChange.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model

from parvis.workspaces.models import (
    Competitor,
    NetworkChoice,
    Objective,
    Persona,
    Strategy,
    StrategyChange,
    Workspace,
)

STRATEGY_FIELDS = [
    "positioning",
    "brand_keywords",
    "address_form",
    "language_register",
    "tone",
    "themes",
    "words_to_use",
    "words_to_avoid",
    "signature_hashtags",
]


@dataclass(frozen=True)
class ItemKind:
    """A kind of strategy item that members add, edit and delete."""

    code: str
    model: type[Model]
    fields: tuple[str, ...]


ITEM_KINDS: dict[str, ItemKind] = {
    k.code: k
    for k in [
        ItemKind(
            "objective",
            Objective,
            (
                "kind",
                "title",
                "kpi",
                "target_value",
                "unit",
                "period_start",
                "period_end",
                "network",
                "notes",
            ),
        ),
        ItemKind("persona", Persona, ("name", "description", "expectations", "networks")),
        ItemKind("network", NetworkChoice, ("network", "handle", "reason", "posts_per_week")),
        ItemKind("competitor", Competitor, ("name", "keywords", "handles", "website")),
    ]
}


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def snapshot(instance: Model, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: jsonable(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def clean_list(values: Any) -> list[str]:
    """Lists typed by people: trimmed, no empties, no duplicates, order kept."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.replace("\n", ",").split(",")
    seen: dict[str, None] = {}
    for value in values:
        text = str(value).strip()
        if text and text.casefold() not in {s.casefold() for s in seen}:
            seen[text] = None
    return list(seen)


def normalise(instance: Model) -> None:
    for field in instance._meta.concrete_fields:
        if field.get_internal_type() == "JSONField" and field.default is list:
            setattr(instance, field.name, clean_list(getattr(instance, field.name)))


def auto_now(model: type[Model]) -> list[str]:
    """The model's "last changed" columns, which an update_fields save must name to move."""
    return [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]


def get_strategy(workspace: Workspace) -> Strategy:
    strategy, _ = Strategy.objects.get_or_create(workspace=workspace)
    return strategy


def record_change(workspace: Workspace, actor: Any, action: str, instance: Model, changes: dict):
    return StrategyChange.objects.create(
        workspace=workspace,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        item_type=instance._meta.model_name,
        item_id=instance.pk,
        item_label=str(instance)[:200],
        changes=changes,
    )


@transaction.atomic
def do_update_strategy(workspace: Workspace, actor: Any, data: dict[str, Any]) -> Strategy:
    strategy = get_strategy(workspace)
    fields = [name for name in STRATEGY_FIELDS if name in data]
    before = snapshot(strategy, fields)
    for name in fields:
        setattr(strategy, name, data[name])
    normalise(strategy)
    strategy.full_clean()
    changes = diff(before, snapshot(strategy, fields))
    if changes:
        strategy.save(update_fields=[*changes, "updated_at"])
        record_change(workspace, actor, StrategyChange.Action.UPDATED, strategy, changes)
    return strategy


@transaction.atomic
def do_save_item(
    workspace: Workspace,
    actor: Any,
    kind: ItemKind,
    data: dict[str, Any],
    instance: Model | None = None,
) -> Model:
    creating = instance is None
    if creating:
        instance = kind.model(workspace=workspace)
    elif instance.workspace_id != workspace.pk:
        raise ValueError("instance belongs to another workspace")
    fields = [name for name in kind.fields if name in data]
    # Read "before" from the database: a ModelForm may already have changed `instance`.
    stored = None if creating else kind.model._default_manager.get(pk=instance.pk)
    before = {} if stored is None else snapshot(stored, fields)
    for name in fields:
        setattr(instance, name, data[name])
    normalise(instance)
    instance.full_clean()
    changes = diff(before, snapshot(instance, kind.fields if creating else fields))
    if creating or changes:
        instance.save(update_fields=None if creating else [*fields, *auto_now(kind.model)])
        action = StrategyChange.Action.CREATED if creating else StrategyChange.Action.UPDATED
        record_change(workspace, actor, action, instance, changes)
    return instance


@transaction.atomic
def do_delete_item(workspace: Workspace, actor: Any, kind: ItemKind, instance: Model) -> None:
    if instance.workspace_id != workspace.pk:
        raise ValueError("instance belongs to another workspace")
    gone = snapshot(instance, kind.fields)
    record_change(workspace, actor, StrategyChange.Action.DELETED, instance, {"before": gone})
    instance.delete()


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: Any
    after: Any


def display_value(field: Any, value: Any) -> Any:
    """Choice codes shown with their labels, lists joined: what a person reads."""
    if value is None or value == "":
        return value
    if isinstance(value, list):
        return ", ".join(str(display_value(field, v)) for v in value)
    choices = dict(field.choices or []) if field is not None else {}
    if field is not None and field.name == "networks":
        from parvis.core.networks import NETWORK_CHOICES

        choices = dict(NETWORK_CHOICES)
    return choices.get(value, value)


def describe_change(change: StrategyChange) -> tuple[str, list[FieldChange]]:
    """The kind of item (translated) and each changed field with labels, for the history."""
    model = next(
        (
            m
            for m in [Strategy, *[k.model for k in ITEM_KINDS.values()]]
            if m._meta.model_name == change.item_type
        ),
        None,
    )
    if model is None:
        return change.item_type, []
    values = change.changes.get("before", {}) if change.action == "deleted" else change.changes
    rows = []
    for name, value in values.items():
        field = next((f for f in model._meta.fields if f.name == name), None)
        label = str(field.verbose_name) if field is not None else name
        before, after = (value, None) if change.action == "deleted" else value
        rows.append(FieldChange(label, display_value(field, before), display_value(field, after)))
    return str(model._meta.verbose_name), rows


def change_sentence(change: StrategyChange, type_label: str) -> str:
    """One line a person reads: « Modification · objectif « 12 000 abonnés » »."""
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    actions = {
        StrategyChange.Action.CREATED: pgettext("history", "Addition"),
        StrategyChange.Action.UPDATED: pgettext("history", "Change"),
        StrategyChange.Action.DELETED: pgettext("history", "Deletion"),
    }
    action = actions[change.action]
    if change.item_type == Strategy._meta.model_name:
        return _("%(action)s · %(type)s") % {"action": action, "type": type_label}
    return _("%(action)s · %(type)s “%(label)s”") % {
        "action": action,
        "type": type_label,
        "label": change.item_label,
    }


def history_rows(changes: Any) -> list[dict[str, Any]]:
    rows = []
    for change in changes:
        type_label, fields = describe_change(change)
        rows.append(
            {"change": change, "sentence": change_sentence(change, type_label), "fields": fields}
        )
    return rows
