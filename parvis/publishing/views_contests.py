"""Contest pages (the list, a contest, its draw and exports) and the sponsored boost
suggestions. Views parse, authorize (workspace_view, get_in_workspace) and delegate to
contest_services.py and the pure contests.py / boost.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.publishing import boost, contest_services, contests
from parvis.publishing.forms import DateInput, TimeInput, check_date, clean_text, local_moment
from parvis.publishing.models import Contest, ContestEntry, Status, Variant
from parvis.publishing.views import error_text, show
from parvis.workspaces.access import WorkspaceRequest, get_in_workspace, scoped, workspace_view
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Perm
from parvis.workspaces.zones import zone_of

# How many entries a contest page lists (the exports hold them all).
SHOWN_ENTRIES = 300
CHOOSABLE_POSTS = 200


def published_variants(ws: Workspace) -> list[Variant]:
    return list(
        scoped(Variant, ws)
        .filter(status=Status.PUBLISHED)
        .exclude(external_id="")
        .select_related("post", "account")
        .order_by("-published_at", "-id")[:CHOOSABLE_POSTS]
    )


def variant_label(variant: Variant) -> str:
    text = variant.effective_text.replace("\n", " ")
    text = text[:60] + ("…" if len(text) > 60 else "")
    when = (
        timezone.localtime(variant.published_at).strftime("%Y-%m-%d")
        if variant.published_at
        else ""
    )
    return f"{variant.account.handle} · {when} · {text}"


class ContestForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    variant = forms.ChoiceField(label=gettext_lazy("Published post"))
    closes_day = forms.DateField(label=gettext_lazy("Entries close on"), widget=DateInput())
    closes_time = forms.TimeField(label=gettext_lazy("at"), widget=TimeInput())
    winners = forms.IntegerField(
        label=gettext_lazy("Winners"),
        min_value=1,
        max_value=contest_services.MAX_WINNERS,
        initial=1,
    )
    reserves = forms.IntegerField(
        label=gettext_lazy("Reserves"),
        min_value=0,
        max_value=contest_services.MAX_RESERVES,
        initial=1,
        help_text=gettext_lazy(
            "Drawn after the winners, in order, for a winner who cannot be reached."
        ),
    )
    one_entry_per_person = forms.BooleanField(
        label=gettext_lazy("One entry per person (their earliest valid reply counts)"),
        required=False,
        initial=True,
    )
    required_hashtag = forms.CharField(
        label=gettext_lazy("Required hashtag"), max_length=100, required=False
    )
    must_follow = forms.BooleanField(
        label=gettext_lazy("Entrants must follow the account"), required=False
    )
    excluded_handles = forms.CharField(
        label=gettext_lazy("Excluded accounts"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Handles, one per line or separated by commas (staff, partners)."),
    )

    def __init__(self, data: Any, *, variants: list[Variant], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["variant"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(v.pk), variant_label(v)) for v in variants]

    def clean_name(self) -> str:
        return clean_text(self.cleaned_data["name"], 200)

    def clean_required_hashtag(self) -> str:
        return clean_text(self.cleaned_data["required_hashtag"], 100)

    def clean_excluded_handles(self) -> str:
        return clean_text(self.cleaned_data["excluded_handles"], 50_000)

    def clean_closes_day(self) -> dt.date | None:
        return check_date(self.cleaned_data["closes_day"])

    def closes_at(self, ws: Workspace) -> dt.datetime:
        data = self.cleaned_data
        return local_moment(data["closes_day"], data["closes_time"], zone_of(ws))


def contest_url(contest: Contest) -> str:
    return reverse("publishing:contest", args=[contest.workspace.slug, contest.pk])


# --- the list and a new contest --------------------------------------------------------------


@workspace_view()
@require_GET
def contest_list(request: WorkspaceRequest) -> HttpResponse:
    ws = request.workspace
    rows = scoped(Contest, ws).select_related("variant__account", "variant__post")[:500]
    context = {
        "contests": list(rows),
        "now": timezone.now(),
        "can_publish": request.membership.can(Perm.PUBLISH),
    }
    return show(request, "publishing/contests.html", context, zone_of(ws))


@workspace_view(Perm.PUBLISH)
@require_http_methods(["GET", "POST"])
def contest_new(request: WorkspaceRequest) -> HttpResponse:
    ws = request.workspace
    zone = zone_of(ws)
    variants = published_variants(ws)
    initial: dict[str, Any] = {}
    chosen = request.GET.get("variant", "")
    if chosen.isdigit() and any(str(v.pk) == chosen for v in variants):
        initial["variant"] = chosen
    closes = (timezone.now() + dt.timedelta(days=7)).astimezone(zone)
    initial.update(closes_day=closes.date(), closes_time=dt.time(12, 0))
    form = ContestForm(
        request.POST if request.method == "POST" else None, variants=variants, initial=initial
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            variant = get_in_workspace(Variant, ws, pk=int(data["variant"]))
            try:
                contest = contest_services.do_create_contest(
                    variant,
                    request.user,
                    name=data["name"],
                    closes_at=form.closes_at(ws),
                    winners=data["winners"],
                    reserves=data["reserves"],
                    required_hashtag=data["required_hashtag"],
                    must_follow=data["must_follow"],
                    one_entry_per_person=data["one_entry_per_person"],
                    excluded_handles=contest_services.parse_handles(data["excluded_handles"]),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Contest created. Publish its commitment before the entries close."),
                )
                return redirect(contest_url(contest))
        status = 400
    context = {"form": form, "variants": variants}
    return show(request, "publishing/contest_new.html", context, zone, status=status)


FIELDS = {"closes_at": "closes_day"}


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            key = FIELDS.get(key, key)
            for item in errors:
                form.add_error(key if key in form.fields else None, item.messages)
    else:
        form.add_error(None, error.messages)


# --- a contest --------------------------------------------------------------------------------


@dataclass
class EntryRow:
    entry: contests.Entry
    reason: str  # translated; empty when eligible
    place: str  # translated; empty when not drawn
    url: str


def _places(result: contests.Draw | None) -> dict[str, str]:
    if result is None:
        return {}
    places = {e: _("Winner %(n)s") % {"n": n} for n, e in enumerate(result.winners, 1)}
    places.update({e: _("Reserve %(n)s") % {"n": n} for n, e in enumerate(result.reserves, 1)})
    return places


def _rows(
    verdict: contests.Eligibility, result: contests.Draw | None, urls: dict[str, str]
) -> list[EntryRow]:
    places = _places(result)
    rows = [
        EntryRow(e, "", places.get(e.entry_id, ""), urls.get(e.entry_id, "")) for e in verdict.kept
    ]
    rows += [
        EntryRow(
            r.entry,
            r.reason.text(_),
            places.get(r.entry.entry_id, ""),
            urls.get(r.entry.entry_id, ""),
        )
        for r in verdict.rejected
    ]
    rows.sort(key=lambda row: (row.entry.posted_at, row.entry.entry_id))
    return rows


@workspace_view()
@require_GET
def contest_detail(request: WorkspaceRequest, contest_id: int) -> HttpResponse:
    ws = request.workspace
    contest = get_in_workspace(Contest, ws, pk=contest_id)
    now = timezone.now()
    result: contests.Draw | None = None
    if contest.drawn_at is not None:
        verdict, result = contest_services.stored_verdict(contest)
        truncated = False
        urls = dict(ContestEntry.objects.filter(contest=contest).values_list("entry_id", "url"))
    else:
        found = contest_services.current_entries(contest)
        verdict = contests.eligible(found.entries, contest_services.effective_rules(contest))
        truncated, urls = found.truncated, found.urls
    rows = _rows(verdict, result, urls)
    handles = {
        e.entry_id: e.author_handle for e in [*verdict.kept, *(r.entry for r in verdict.rejected)]
    }
    context = {
        "contest": contest,
        "variant": contest.variant,
        "network": contest.variant.account.network,
        "rows": rows[:SHOWN_ENTRIES],
        "more_rows": max(0, len(rows) - SHOWN_ENTRIES),
        "total": len(rows),
        "eligible_count": len(verdict.kept),
        "truncated": truncated,
        "result": result,
        "winners": [(e, handles.get(e, "")) for e in (result.winners if result else ())],
        "reserves": [(e, handles.get(e, "")) for e in (result.reserves if result else ())],
        "open": now < contest.closes_at,
        "follow_checked": contest_services.follow_checked(contest),
        "can_publish": request.membership.can(Perm.PUBLISH),
        "excluded": ", ".join(contest.excluded_handles),
    }
    return show(request, "publishing/contest.html", context, zone_of(ws))


@workspace_view(Perm.PUBLISH)
@require_POST
def contest_draw(request: WorkspaceRequest, contest_id: int) -> HttpResponse:
    contest = get_in_workspace(Contest, request.workspace, pk=contest_id)
    try:
        contest_services.do_draw_contest(contest, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Drawn. The seed is revealed: anyone can check the draw."))
    return redirect(contest_url(contest))


def _download(contest: Contest, fmt: str) -> HttpResponse:
    body = contest_services.export(contest, fmt)
    kind = "text/csv" if fmt == "csv" else "application/json"
    name = f"contest-{contest.pk}-{'entries' if fmt == 'csv' else 'draw'}.{fmt}"
    response = HttpResponse(body.encode("utf-8"), content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@workspace_view()
@require_GET
def contest_csv(request: WorkspaceRequest, contest_id: int) -> HttpResponse:
    return _download(get_in_workspace(Contest, request.workspace, pk=contest_id), "csv")


@workspace_view()
@require_GET
def contest_json(request: WorkspaceRequest, contest_id: int) -> HttpResponse:
    return _download(get_in_workspace(Contest, request.workspace, pk=contest_id), "json")


# --- sponsored boost suggestions --------------------------------------------------------------


class BoostForm(forms.Form):
    budget = forms.CharField(label=gettext_lazy("Budget (EUR)"), max_length=40)
    max_posts = forms.IntegerField(
        label=gettext_lazy("Posts at most"), min_value=1, max_value=100, initial=3, required=False
    )
    max_age = forms.IntegerField(
        label=gettext_lazy("Published in the last (days)"),
        min_value=1,
        max_value=365,
        initial=14,
        required=False,
    )

    def clean_budget(self) -> Decimal:
        try:
            return boost.parse_budget(clean_text(self.cleaned_data["budget"], 40))
        except ValueError:
            raise ValidationError(
                _("Enter an amount in euros between 0 and 1,000,000,000, like 150 or 149.90.")
            ) from None


MAX_BOOST_POSTS = 2000


def boost_posts(ws: Workspace, since: dt.datetime) -> dict[str, tuple[Variant, boost.PostMetrics]]:
    """The workspace's published variants since `since`, with the counts the networks gave
    (keyed by the variant's id, as boost.py names the posts)."""
    variants = (
        scoped(Variant, ws)
        .filter(status=Status.PUBLISHED, published_at__gte=since)
        .select_related("post", "account")
        .order_by("-published_at", "-id")[:MAX_BOOST_POSTS]
    )
    found = {}
    for v in variants:
        counts = [c for c in (v.likes, v.reposts, v.replies, v.quotes) if c is not None]
        found[str(v.pk)] = (
            v,
            boost.PostMetrics(
                post_id=str(v.pk),
                network=v.account.network,
                published_at=v.published_at or since,
                # A negative count makes the sum implausible too: boost.py says so.
                engagements=sum(counts) if all(c >= 0 for c in counts) else -1,
                # Variant.views is « people reached or impressions »: counted as impressions.
                impressions=v.views,
                label=v.effective_text[:80],
            ),
        )
    return found


@workspace_view(Perm.VIEW_REPORTS)
@require_GET
def boost_view(request: WorkspaceRequest) -> HttpResponse:
    ws = request.workspace
    zone = zone_of(ws)
    asked = "budget" in request.GET
    query = request.GET.copy()
    for name, default in (("max_posts", "3"), ("max_age", "14")):
        if not query.get(name):
            query[name] = default
    form = BoostForm(query if asked else None, initial={"max_posts": 3, "max_age": 14})
    suggestions = None
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    if asked and form.is_valid():
        cleaned = form.cleaned_data
        now = timezone.now()
        age = dt.timedelta(days=cleaned["max_age"] or 14)
        found = boost_posts(ws, now - age)
        suggestions = boost.suggest(
            [m for _v, m in found.values()],
            cleaned["budget"],
            now=now,
            max_age=age,
            max_posts=cleaned["max_posts"] or 3,
        )
        rows = [
            {
                "variant": found[b.post.post_id][0],
                "amount": b.amount,
                "rate": 100 * b.rate,
                "score": 100 * b.score,
                "reasons": [r.text(_) for r in b.reasons],
            }
            for b in suggestions.boosts
        ]
        skipped = [
            {"variant": found[s.post.post_id][0], "reason": s.reason.text(_)}
            for s in suggestions.skipped
        ]
    context = {
        "form": form,
        "suggestions": suggestions,
        "rows": rows,
        "skipped": skipped,
        "notes": [n.text(_) for n in suggestions.notes] if suggestions else [],
    }
    return show(request, "publishing/boost.html", context, zone, status=400 if form.errors else 200)
