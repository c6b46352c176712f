"""Listening pages. Views parse, authorize (workspace_view) and delegate to explorer/services."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from parvis.connectors import base, ui
from parvis.listening import corrections, explorer, extensions, freshness, rendering, services
from parvis.listening import sources as source_ops
from parvis.listening.forms import (
    PERIODS,
    PeriodForm,
    PreviewForm,
    QueryForm,
    SavedViewForm,
    SourceForm,
)
from parvis.listening.models import (
    Adaptation,
    Correction,
    Mention,
    MentionMatch,
    MonitoredQuery,
    QuarantinedItem,
    SavedView,
    Sentiment,
    Source,
    SourceStatus,
)
from parvis.listening.own import own_author_ids
from parvis.listening.query import QuerySyntaxError
from parvis.workspaces.access import get_in_workspace, scoped, workspace_view
from parvis.workspaces.roles import Perm


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def can_manage(request: HttpRequest) -> bool:
    return request.membership.can(Perm.MANAGE_LISTENING)


# --- explorer -------------------------------------------------------------------------------


@workspace_view()
def explorer_view(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    filters, form = explorer.parse_filters(ws, request.GET)
    mentions = explorer.filtered_mentions(ws, filters)
    page = explorer.keyset_page(explorer.with_query_names(mentions), filters)
    (count, more), (total, total_more) = explorer.list_counts(ws, filters, mentions, page)
    semicolon = explorer.csv_separator("") == ";"
    own_ids = set(filters.own_ids) if filters.own else set()
    context = {
        "total": total,
        "total_more": total_more,
        "own_ids": own_ids,
        "cards": rendering.mention_cards(page.items, ws.slug, own_ids),
        "csv_semicolon": semicolon,
        "csv_other": filters.query_string(sep="comma" if semicolon else "semicolon"),
        "form": form,
        "filters": filters,
        "page": page,
        "count": count,
        "count_more": more,
        "next_query": filters.query_string(cursor=page.next_cursor) if page.next_cursor else "",
        "saved_views": scoped(SavedView, ws).filter(user=request.user),
        "view_form": SavedViewForm(initial={"params": filters.query_string()}),
        "tab": "mentions",
    }
    template = "listening/_results.html" if is_htmx(request) else "listening/explorer.html"
    response = render(request, template, context)
    # The same URL answers a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@workspace_view()
def export_csv(request: HttpRequest) -> HttpResponse:
    filters, _form = explorer.parse_filters(request.workspace, request.GET)
    return explorer.csv_response(request.workspace, filters, request.GET.get("sep", ""))


ANALYSIS_LABELS = {
    "sentiment": gettext_lazy("sentiment"),
    "toxicity": gettext_lazy("toxicity"),
    "spam": gettext_lazy("spam"),
    "insult": gettext_lazy("insult"),
    "obscene": gettext_lazy("obscene"),
    "hate": gettext_lazy("hate"),
    "threat": gettext_lazy("threat"),
}


def analysis_rows(scores: dict | None, minimum: float) -> list[tuple[str, float]]:
    """(label, score) of the categories at least `minimum`, highest first."""
    rows = [
        (str(ANALYSIS_LABELS.get(key, key)), value)
        for key, value in (scores or {}).items()
        if isinstance(value, int | float) and value >= minimum
    ]
    return sorted(rows, key=lambda row: -row[1])


@workspace_view()
def mention_detail(request: HttpRequest, mention_id: int) -> HttpResponse:
    ws = request.workspace
    mention = scoped(Mention, ws).select_related("author", "source").filter(pk=mention_id).first()
    if mention is None:
        raise Http404
    ancestors, replies = explorer.thread(mention)
    author = mention.author
    context = {
        "mention": mention,
        "author": author,
        "ancestors": ancestors,
        "replies": replies,
        "copies": explorer.copies(mention),
        "queries": [m.query for m in mention.matches.select_related("query")],
        "author_recent": scoped(Mention, ws)
        .filter(author=author)
        .exclude(pk=mention.pk)
        .defer(*explorer.LIST_DEFER)
        .order_by("-published_at")[:5],
        "toxicity_categories": analysis_rows(mention.toxicity_categories, minimum=0.1),
        "why": [
            (ANALYSIS_LABELS.get(key, key), words)
            for key, words in (mention.analysis_why or {}).items()
            if words and isinstance(words, list)
        ],
        "tab": "mentions",
        "actions": extensions.mention_actions(request, mention),
        **correction_context(request, mention),
    }
    return render(request, "listening/mention.html", context)


def correction_context(request: HttpRequest, mention: Mention) -> dict:
    return {
        "can_correct": request.membership.can(Perm.MODERATE),
        "sentiment_choices": Sentiment.choices,
        "mention_corrections": mention.corrections.select_related("member").order_by(
            "-created_at", "-id"
        )[:10],
    }


@workspace_view(Perm.MODERATE)
@require_POST
def mention_correct(request: HttpRequest, mention_id: int) -> HttpResponse:
    """One click: the label a member gives replaces the model's, at once."""
    ws = request.workspace
    mention = get_in_workspace(Mention, ws, pk=mention_id)
    try:
        done = corrections.do_correct(
            ws, mention, request.POST.get("field", ""), request.POST.get("label", ""), request.user
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    mention.refresh_from_db()
    if not is_htmx(request):
        if done is not None:
            messages.success(request, _("Correction saved."))
        return redirect("listening:mention", slug=ws.slug, mention_id=mention.pk)
    context = {
        "mention": mention,
        "toxicity_categories": analysis_rows(mention.toxicity_categories, minimum=0.1),
        "why": [
            (ANALYSIS_LABELS.get(key, key), words)
            for key, words in (mention.analysis_why or {}).items()
            if words and isinstance(words, list)
        ],
        **correction_context(request, mention),
    }
    return render(request, "listening/_analysis.html", context)


@workspace_view()
def corrections_view(request: HttpRequest) -> HttpResponse:
    field = request.GET.get("field", "")
    rows = corrections.corrections(request.workspace, field)[:200]
    return render(
        request,
        "listening/corrections.html",
        {
            "rows": rows,
            "field": field if field in corrections.LABELS else "",
            "fields": Correction.Field.choices,
            "adaptations": scoped(Adaptation, request.workspace).order_by("task"),
            "tab": "corrections",
        },
    )


@workspace_view()
def corrections_export(request: HttpRequest) -> HttpResponse:
    field = request.GET.get("field", "")
    response = HttpResponse(
        corrections.export_csv(request.workspace, field), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="corrections.csv"'
    return response


# --- overview -------------------------------------------------------------------------------


def period_presets(since: dt.date, until: dt.date) -> list[dict]:
    """The overview's usual periods as links (today, 7 days, 30 days, this month)."""
    presets = []
    for code, label in PERIODS:
        if code:
            start, end = explorer.period_range(code)
            first, last = start.date(), (end - dt.timedelta(days=1)).date()
            current = (first, last) == (since, until)
            presets.append({"label": label, "since": first, "until": last, "current": current})
    return presets


@workspace_view()
def overview_view(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    else:
        until = timezone.localdate()
        since = until - dt.timedelta(days=29)
    ws = request.workspace
    # The brand's own accounts are part of the key: adding one changes the figures at once.
    own = tuple(own_author_ids(ws))
    data, _computed_at = freshness.cached(
        ws.pk, "overview", (since, until, own), lambda: explorer.overview(ws, since, until)
    )
    context = {
        "presets": period_presets(since, until),
        "form": form,
        "data": data,
        "chart": explorer.volume_chart(data.days),
        "tab": "overview",
        "sample_limit": explorer.TERM_SAMPLE,
        "positive": data.sentiment_share("positive"),
        "neutral": data.sentiment_share("neutral"),
        "negative": data.sentiment_share("negative"),
    }
    return render(request, "listening/overview.html", context)


# --- monitored queries ----------------------------------------------------------------------


@workspace_view()
def queries(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    since = timezone.now() - dt.timedelta(days=7)
    items = list(scoped(MonitoredQuery, ws))
    counts = dict(
        MentionMatch.objects.filter(query__in=items, published_at__gte=since)
        .values("query_id")
        .annotate(n=Count("id"))
        .values_list("query_id", "n")
    )
    rows = [(q, counts.get(q.pk, 0)) for q in items]
    context = {"rows": rows, "can_edit": can_manage(request), "tab": "queries"}
    return render(request, "listening/queries.html", context)


@workspace_view(Perm.MANAGE_LISTENING)
@require_http_methods(["GET", "POST"])
def query_edit(request: HttpRequest, query_id: int | None = None) -> HttpResponse:
    ws = request.workspace
    instance = get_in_workspace(MonitoredQuery, ws, pk=query_id) if query_id else None
    form = QueryForm(request.POST or None, instance=instance)
    preview = preview_error = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            # Without JavaScript, "Preview" posts the form here and nothing is saved.
            preview, preview_error = run_preview(ws, form.cleaned_data["expression"])
        else:
            try:
                services.do_save_query(ws, request.user, form.cleaned_data, instance=instance)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Monitored query saved."))
                return redirect("listening:queries", slug=ws.slug)
    context = {
        "form": form,
        "item": instance,
        "preview": preview,
        "preview_error": preview_error,
        "preview_scan": explorer.PREVIEW_SCAN,
        "tab": "queries",
    }
    return render(request, "listening/query_edit.html", context)


def run_preview(workspace, expression: str) -> tuple[explorer.Preview | None, str | None]:
    try:
        return explorer.preview_query(workspace, expression), None
    except QuerySyntaxError as exc:
        return None, services.syntax_message(exc)


@workspace_view(Perm.MANAGE_LISTENING)
@require_POST
def query_preview(request: HttpRequest) -> HttpResponse:
    form = PreviewForm(request.POST)
    expression = form.cleaned_data["expression"] if form.is_valid() else ""
    preview, error = (None, None)
    if expression.strip():
        preview, error = run_preview(request.workspace, expression)
    context = {
        "preview": preview,
        "preview_error": error,
        "preview_scan": explorer.PREVIEW_SCAN,
    }
    return render(request, "listening/_preview.html", context)


@workspace_view(Perm.MANAGE_LISTENING)
@require_POST
def query_delete(request: HttpRequest, query_id: int) -> HttpResponse:
    query = get_in_workspace(MonitoredQuery, request.workspace, pk=query_id)
    services.do_delete_query(request.workspace, request.user, query)
    messages.success(request, _("Monitored query deleted."))
    return redirect("listening:queries", slug=request.workspace.slug)


@workspace_view(Perm.MANAGE_LISTENING)
@require_POST
def queries_seed(request: HttpRequest) -> HttpResponse:
    created = services.seed_queries_from_strategy(request.workspace, request.user)
    if created:
        messages.success(
            request,
            ngettext(
                "%(count)d monitored query created from the strategy.",
                "%(count)d monitored queries created from the strategy.",
                len(created),
            )
            % {"count": len(created)},
        )
    else:
        messages.info(request, _("Nothing to add: the strategy's queries already exist."))
    return redirect("listening:queries", slug=request.workspace.slug)


# --- sources and quarantine -----------------------------------------------------------------

# Items in the last hour are counted from the newest mentions back (ids grow with time), up
# to this many: beyond, the page says "more than".
RECENT_SCAN = 20_000


def items_last_hour(workspace) -> tuple[Counter, bool]:
    cutoff = timezone.now() - dt.timedelta(hours=1)
    rows = (
        scoped(Mention, workspace)
        .order_by("-id")
        .values_list("source_id", "ingested_at")[: RECENT_SCAN + 1]
    )
    counts: Counter = Counter()
    scanned = 0
    for source_id, ingested_at in rows.iterator(chunk_size=2000):
        if ingested_at < cutoff:
            return counts, False
        scanned += 1
        counts[source_id] += 1
    return counts, scanned > RECENT_SCAN


def source_row(source: Source, now: dt.datetime, counts: Counter, editable: set[str]) -> dict:
    connector = base.REGISTRY.get(source.kind)
    return {
        "source": source,
        "lag": now - source.newest_item_at if source.newest_item_at else None,
        "last_hour": counts.get(source.pk, 0),
        # A connector uninstalled since: say so rather than show its internal kind name.
        "label": connector.label if connector else _("Connector not installed"),
        "editable": source.kind in editable,
        "error_paused": source.status == SourceStatus.PAUSED,
    }


def editable_kinds() -> set[str]:
    return {c.kind for c in ui.source_kinds()}


@workspace_view()
def sources(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    now = timezone.now()
    counts, capped = items_last_hour(ws)
    editable = editable_kinds()
    rows = [
        source_row(source, now, counts, editable)
        for source in scoped(Source, ws).select_related("account")
    ]
    context = {
        "rows": rows,
        "can_manage": can_manage(request),
        "capped": capped,
        "quarantined": explorer.count_capped(scoped(QuarantinedItem, ws).order_by()),
        "youtube_quotas": ui.youtube_quotas(ws),
        "tab": "sources",
    }
    return render(request, "listening/sources.html", context)


def source_form_page(
    request: HttpRequest, form: SourceForm, template: str, **extra
) -> HttpResponse:
    context = {
        "form": form,
        "connector": ui.kind_row(form.connector),
        "no_account": "account" in form.fields and not form.accounts.exists(),
        "can_connect": request.membership.can(Perm.MANAGE_ACCOUNTS),
        "tab": "sources",
        **extra,
    }
    return render(request, template, context)


def save_source(form: SourceForm, action: Callable[..., Source]) -> Source | None:
    """`action` (create or update) with the form's values; what the connector refuses
    (validate_config, account checks) becomes a form error."""
    try:
        return action(
            name=form.cleaned_data["name"],
            config=form.config(),
            interval_seconds=form.interval_seconds(),
            account=form.account(),
        )
    except ValueError as exc:
        form.add_error(None, str(exc))
    except ValidationError as exc:
        form.add_error(None, exc)
    return None


@workspace_view(Perm.MANAGE_LISTENING)
@require_http_methods(["GET", "POST"])
def source_new(request: HttpRequest) -> HttpResponse:
    """Step 1: pick a kind (GET without ?kind). Step 2: its settings, then create."""
    ws = request.workspace
    connector = ui.source_kind(request.POST.get("kind") or request.GET.get("kind"))
    if connector is None:
        kinds = [ui.kind_row(c) for c in ui.source_kinds()]
        return render(request, "listening/sources_new.html", {"kinds": kinds, "tab": "sources"})
    form = SourceForm(request.POST or None, workspace=ws, connector=connector)
    create = functools.partial(
        source_ops.do_create_source, ws, kind=connector.kind, actor=request.user
    )
    if request.method == "POST" and form.is_valid() and (source := save_source(form, create)):
        source_ops.do_run_now(source)
        messages.success(request, _("Source added. Its first run starts now."))
        return redirect("listening:sources", slug=ws.slug)
    return source_form_page(request, form, "listening/sources_form.html")


@workspace_view(Perm.MANAGE_LISTENING)
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, source_id: int) -> HttpResponse:
    ws = request.workspace
    source = get_in_workspace(Source, ws, pk=source_id)
    connector = ui.source_kind(source.kind)
    if connector is None:  # a server-only kind, or its connector is not installed anymore
        raise Http404
    form = SourceForm(request.POST or None, workspace=ws, connector=connector, source=source)
    update = functools.partial(source_ops.do_update_source, source, actor=request.user)
    if request.method == "POST" and form.is_valid() and save_source(form, update) is not None:
        messages.success(request, _("Source saved."))
        return redirect("listening:sources", slug=ws.slug)
    return source_form_page(request, form, "listening/sources_form.html", source=source)


def source_action(request: HttpRequest, source_id: int) -> Source:
    return get_in_workspace(Source, request.workspace, pk=source_id)


def after_action(request: HttpRequest, source: Source, note: str, *, error: bool = False):
    """htmx swaps the source's row, with what happened in it; without scripts, back to the
    page with a message."""
    if is_htmx(request):
        counts, capped = items_last_hour(request.workspace)
        row = source_row(source, timezone.now(), counts, editable_kinds())
        context = {"row": row, "note": note, "can_manage": True, "capped": capped}
        return render(request, "listening/_source_row.html", context)
    (messages.error if error else messages.success)(request, note)
    return redirect("listening:sources", slug=request.workspace.slug)


@workspace_view(Perm.MANAGE_LISTENING)
@require_POST
def source_pause(request: HttpRequest, source_id: int) -> HttpResponse:
    source = source_action(request, source_id)
    source_ops.do_pause_source(source)
    return after_action(request, source, _("Source paused. It will not run until you resume it."))


@workspace_view(Perm.MANAGE_LISTENING)
@require_POST
def source_resume(request: HttpRequest, source_id: int) -> HttpResponse:
    source = source_action(request, source_id)
    source_ops.do_resume_source(source)
    source_ops.do_run_now(source)
    return after_action(request, source, _("Source resumed. It runs now."))


@workspace_view(Perm.MANAGE_LISTENING)
@require_POST
def source_run(request: HttpRequest, source_id: int) -> HttpResponse:
    source = source_action(request, source_id)
    if not source.is_active or source.status == SourceStatus.PAUSED:
        note = _("This source is paused: resume it to run it.")
        return after_action(request, source, note, error=True)
    source_ops.do_run_now(source)
    return after_action(request, source, _("The source will run in a moment."))


@workspace_view(Perm.MANAGE_LISTENING)
@require_POST
def source_delete(request: HttpRequest, source_id: int) -> HttpResponse:
    source = source_action(request, source_id)
    source_ops.do_delete_source(source, actor=request.user)
    messages.success(request, _("Source deleted. The mentions it collected are kept."))
    return redirect("listening:sources", slug=request.workspace.slug)


QUARANTINE_PAGE = 50


@workspace_view()
def quarantine(request: HttpRequest) -> HttpResponse:
    items = scoped(QuarantinedItem, request.workspace).select_related("source").order_by("-id")
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) < 19:
        items = items.filter(id__lt=int(before))
    rows = list(items[: QUARANTINE_PAGE + 1])
    context = {
        "items": rows[:QUARANTINE_PAGE],
        "next_before": rows[QUARANTINE_PAGE - 1].pk if len(rows) > QUARANTINE_PAGE else None,
        "tab": "sources",
    }
    return render(request, "listening/quarantine.html", context)


# --- saved views ----------------------------------------------------------------------------


@workspace_view()
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    form = SavedViewForm(request.POST)
    params = QueryDict(request.POST.get("params", ""))
    target = reverse("listening:explorer", args=[ws.slug])
    if form.is_valid():
        filters, _form = explorer.parse_filters(ws, params)
        services.do_save_view(ws, request.user, form.cleaned_data["name"], filters.params)
        messages.success(request, _("View saved."))
        return redirect(f"{target}?{filters.query_string()}")
    messages.error(request, _("Give the view a name."))
    return redirect(f"{target}?{params.urlencode()}")


@workspace_view()
@require_POST
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = get_in_workspace(SavedView, request.workspace, pk=view_id, user=request.user)
    services.do_delete_view(request.workspace, request.user, view)
    messages.success(request, _("View deleted."))
    return redirect("listening:explorer", slug=request.workspace.slug)
