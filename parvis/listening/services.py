"""Listening actions: monitored queries ("veilles") and saved views.

Every write goes through a `do_*` function that validates first. A query's expression is
parsed with parvis.listening.query: a syntax error becomes a ValidationError on the
"expression" field that says where (character N) and why, in the user's language.

A new or edited query applies to mentions collected from then on (the pipeline matches at
ingestion); the preview shows what it would have found among stored mentions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from parvis.core.audit import record_event
from parvis.core.models import AuditEvent
from parvis.listening import freshness
from parvis.listening.forms import FILTER_KEYS
from parvis.listening.models import MonitoredQuery, QueryKind, SavedView
from parvis.listening.query import MAX_EXPRESSION_CHARS, QuerySyntaxError, parse
from parvis.workspaces.access import scoped
from parvis.workspaces.models import Competitor, Workspace
from parvis.workspaces.strategy import get_strategy

QUERY_FIELDS = ("name", "kind", "expression", "is_active")


def syntax_message(error: QuerySyntaxError) -> str:
    """The parser's message in the current language ("… at character N …")."""
    try:
        return _(error.template) % error.params
    except (KeyError, TypeError, ValueError):
        return error.message


class ExpressionError(ValidationError):
    """A ValidationError on "expression" that keeps the parser's error (code, position)."""

    def __init__(self, error: QuerySyntaxError) -> None:
        super().__init__({"expression": [syntax_message(error)]})
        self.syntax = error


def check_expression(expression: str) -> None:
    try:
        parse(expression)
    except QuerySyntaxError as exc:
        raise ExpressionError(exc) from exc


def _check_name(workspace: Workspace, name: str, instance: MonitoredQuery | None) -> None:
    others = scoped(MonitoredQuery, workspace).filter(name=name)
    if instance is not None and instance.pk:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise ValidationError({"name": [_("A monitored query with this name already exists.")]})


def do_save_query(
    workspace: Workspace,
    actor: Any,
    data: Mapping[str, Any],
    *,
    instance: MonitoredQuery | None = None,
) -> MonitoredQuery:
    """Create a query, or update `instance` with the fields present in `data`."""
    query = instance or MonitoredQuery(workspace=workspace, created_by=actor)
    if query.workspace_id != workspace.pk:
        raise ValidationError(_("This query belongs to another workspace."))
    # "Before" from the database: a ModelForm may already have changed `instance`.
    before = scoped(MonitoredQuery, workspace).filter(pk=query.pk).values(*QUERY_FIELDS).first()
    for name in QUERY_FIELDS:
        if name in data:
            value = data[name]
            setattr(query, name, value.strip() if isinstance(value, str) else value)
    check_expression(query.expression)
    _check_name(workspace, query.name, instance)
    query.full_clean(exclude=["created_by"])
    if instance is None:
        query.save()
        audit(AuditEvent.Kind.QUERY_CREATED, query, actor)
    else:
        changed = [n for n in QUERY_FIELDS if before is None or getattr(query, n) != before[n]]
        query.save(update_fields=[*changed, "updated_at"])
        if changed:
            audit(AuditEvent.Kind.QUERY_CHANGED, query, actor, fields=changed)
    # Its name and kind are in the overview (share of voice, brand words) at once.
    freshness.bump(workspace.pk)
    schedule_rematch(query)
    return query


def audit(kind: str, query: MonitoredQuery, actor: Any, **details: Any) -> None:
    """Queries decide what is kept from keep-matches-only sources: who changed them matters."""
    record_event(
        kind, actor=actor, workspace=query.workspace, query_id=query.pk, name=query.name, **details
    )


def schedule_rematch(query: MonitoredQuery) -> None:
    """Match the stored mentions too, in the background, once this transaction commits."""
    from parvis.listening.tasks import rematch_query_task

    transaction.on_commit(lambda: rematch_query_task(query.pk))


def do_delete_query(workspace: Workspace, actor: Any, query: MonitoredQuery) -> None:
    if query.workspace_id != workspace.pk:
        raise ValidationError(_("This query belongs to another workspace."))
    audit(AuditEvent.Kind.QUERY_DELETED, query, actor)
    query.delete()  # its matches go with it (CASCADE)
    freshness.bump(workspace.pk)


# --- seeding from the strategy --------------------------------------------------------------


def term(keyword: str) -> str | None:
    """One keyword as a query term: #hashtags and @handles as typed, anything else quoted
    (so "Maison Lumière" is a phrase and "ET" a word, not an operator). None if unusable."""
    keyword = " ".join(keyword.split())
    if not keyword:
        return None
    candidates = []
    if keyword[0] in "#@" and " " not in keyword:
        candidates.append(keyword)
    cleaned = "".join(c for c in keyword if c not in '"“”„«»')
    if cleaned.strip():
        candidates.append(f'"{cleaned.strip()}"')
    for candidate in candidates:
        try:
            parse(candidate)
        except QuerySyntaxError:
            continue
        return candidate
    return None


def expression_for(keywords: Iterable[str], handles: Iterable[str] = ()) -> str:
    """An OR of the usable keywords and handles, without duplicates, within the size limit."""
    terms: list[str] = []
    for handle in handles:
        handle = handle.strip()
        if handle and handle[0] != "@" and " " not in handle:
            handle = "@" + handle
        terms.append(handle)
    usable = []
    for raw in [*keywords, *terms]:
        found = term(raw)
        if found and found not in usable:
            usable.append(found)
    expression = ""
    for found in usable:
        candidate = f"{expression} OR {found}" if expression else found
        if len(candidate) > MAX_EXPRESSION_CHARS:
            break
        expression = candidate
    return expression


@transaction.atomic
def seed_queries_from_strategy(workspace: Workspace, actor: Any) -> list[MonitoredQuery]:
    """A brand query from the strategy's brand keywords (or the workspace's name) and one
    competitor query per competitor. Names already taken are left alone; returns the new."""
    wanted: list[tuple[str, str, str]] = []
    brand_keywords = get_strategy(workspace).brand_keywords or [workspace.name]
    wanted.append((workspace.name, QueryKind.BRAND, expression_for(brand_keywords)))
    for competitor in scoped(Competitor, workspace):
        keywords = competitor.keywords or [competitor.name]
        wanted.append(
            (competitor.name, QueryKind.COMPETITOR, expression_for(keywords, competitor.handles))
        )
    taken = set(scoped(MonitoredQuery, workspace).values_list("name", flat=True))
    created = []
    for name, kind, expression in wanted:
        if name in taken or not expression:
            continue
        data = {"name": name, "kind": kind, "expression": expression, "is_active": True}
        created.append(do_save_query(workspace, actor, data))
        taken.add(name)
    return created


# --- saved views ----------------------------------------------------------------------------


def clean_view_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Only filter keys, as strings: a saved view is a query string, not arbitrary data."""
    return {
        key: str(params[key])[:400]
        for key in FILTER_KEYS
        if key in params and str(params[key]).strip()
    }


def do_save_view(
    workspace: Workspace, user: Any, name: str, params: Mapping[str, Any]
) -> SavedView:
    """Save the filters under `name` for `user`; the same name replaces the older view."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the view a name.")]})
    view, _created = SavedView.objects.update_or_create(
        workspace=workspace,
        user=user,
        name=name[:120],
        defaults={"params": clean_view_params(params)},
    )
    return view


def do_delete_view(workspace: Workspace, user: Any, view: SavedView) -> None:
    if view.workspace_id != workspace.pk or view.user_id != user.pk:
        raise ValidationError(_("This view belongs to someone else."))
    view.delete()
