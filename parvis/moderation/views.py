"""Moderation pages. Views parse (forms.py), authorize (workspace_view: Perm.VIEW to read,
Perm.MODERATE to act, rules and charter included) and delegate to services.py / lists.py;
what they read comes from listing.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.moderation import listing, lists, services
from parvis.moderation.forms import (
    MAX_CONDITION_ROWS,
    ActionsForm,
    BulkReviewForm,
    CharterForm,
    ConditionForm,
    HideForm,
    ListEntryForm,
    LogFilterForm,
    OnboardingForm,
    RestoreForm,
    ReviewForm,
    RuleForm,
    actions_initial,
    condition_initial,
    workspace_choices,
)
from parvis.moderation.models import (
    Action,
    AuthorList,
    Charter,
    ListedAuthor,
    ReviewItem,
    ReviewState,
    Rule,
    Setup,
)
from parvis.workspaces.access import get_in_workspace, scoped, workspace_view
from parvis.workspaces.roles import Perm

PREVIEW_DAYS = 30


def is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    return max(int(text), 1) if text.isdigit() and len(text) < 6 else 1


def back(request: HttpRequest, name: str = "moderation:rules") -> HttpResponse:
    return redirect(name, slug=request.workspace.slug)


def message_of(request: HttpRequest, message_id: int) -> Any:
    from parvis.inbox.models import Message

    message = (
        scoped(Message, request.workspace)
        .select_related("conversation")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise Http404
    return message


# --- rules ----------------------------------------------------------------------------------


@workspace_view()
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    rows = listing.rules_of(ws)
    setup = Setup.objects.filter(workspace=ws).first()
    onboarding = not rows and (setup is None or setup.defaults_installed_at is None)
    context = {
        "rows": rows,
        "onboarding": onboarding,
        "onboarding_form": OnboardingForm(
            initial={"escalate_to": setup.escalate_to if setup else "manager"}
        ),
        "can_moderate": request.membership.can(Perm.MODERATE),
        "pending": listing.pending_count(ws),
        "tab": "rules",
    }
    return render(request, "moderation/rules.html", context)


@workspace_view(Perm.MODERATE)
@require_POST
def install(request: HttpRequest) -> HttpResponse:
    form = OnboardingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whom to escalate to."))
        return back(request)
    enabled = bool(form.cleaned_data["enable"])
    made = services.do_install_defaults(
        request.workspace,
        request.user,
        enabled=enabled,
        escalate_to=form.cleaned_data["escalate_to"],
    )
    if enabled:
        note = _("%(count)s rules installed and switched on.")
    else:
        note = _("%(count)s rules installed, switched off: switch on those you want.")
    messages.success(request, note % {"count": len(made)})
    return back(request)


def rule_of(request: HttpRequest, rule_id: int) -> Rule:
    return get_in_workspace(Rule, request.workspace, pk=rule_id)


def condition_forms(
    request: HttpRequest, choices: dict[str, Any], rule: Rule | None
) -> list[ConditionForm]:
    """The condition rows: posted ones (plus one more when asked), or the rule's and a
    blank one."""
    queries = choices["queries"]
    if request.method == "POST":
        count_text = request.POST.get("rows", "1")
        count = int(count_text) if count_text.isdigit() else 1
        count = max(1, min(count, MAX_CONDITION_ROWS))
        if "add_row" in request.POST:
            count = min(count + 1, MAX_CONDITION_ROWS)
        return [ConditionForm(request.POST, prefix=f"c{i}", queries=queries) for i in range(count)]
    stored = list(rule.conditions) if rule else []
    rows = [
        ConditionForm(initial=condition_initial(c), prefix=f"c{i}", queries=queries)
        for i, c in enumerate(stored)
    ]
    initial = {} if stored else {"kind": "words"}
    rows.append(ConditionForm(initial=initial, prefix=f"c{len(rows)}", queries=queries))
    return rows


def conditions_of(forms_: list[ConditionForm]) -> list[dict[str, Any]] | None:
    """The posted conditions, or None when a row has a field error."""
    found = []
    for form in forms_:
        if not form.is_valid():
            return None
        config = form.config()
        if config is not None:
            found.append(config)
    return found


def preview_context(request: HttpRequest, conditions: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        found, looked_at = services.preview(request.workspace, conditions, days=PREVIEW_DAYS)
    except ValidationError as error:
        return {"preview_error": error_text(error), "previewed": True}
    return {
        "previewed": True,
        "preview_items": [
            {"message": m, "review": review, "excerpt": listing.excerpt(m.text, 280)}
            for m, review in found[:50]
        ],
        "preview_count": len(found),
        "preview_total": looked_at,
        "preview_days": PREVIEW_DAYS,
    }


@workspace_view(Perm.MODERATE)
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    return rule_editor(request, None)


@workspace_view(Perm.MODERATE)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    return rule_editor(request, rule_of(request, rule_id))


def rule_editor(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    ws = request.workspace
    choices = workspace_choices(ws)
    rows = condition_forms(request, choices, rule)
    extra: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST)
        actions = ActionsForm(
            request.POST, members=choices["members"], saved_replies=choices["saved_replies"]
        )
        conditions = conditions_of(rows)
        if "preview" in request.POST:
            if conditions is not None:
                extra = preview_context(request, conditions)
        elif "add_row" not in request.POST:
            error = ""
            if conditions is None or not form.is_valid() or not actions.is_valid():
                error = _("Check the fields marked below.")
            else:
                try:
                    saved = services.do_save_rule(
                        ws,
                        request.user,
                        name=form.cleaned_data["name"],
                        reason=form.cleaned_data["reason"],
                        continue_after=form.cleaned_data["continue_after"],
                        conditions=conditions,
                        actions=actions.actions(),
                        enabled=rule.enabled if rule else False,
                        rule=rule,
                    )
                except ValidationError as exc:
                    error = error_text(exc)
                else:
                    messages.success(request, _("Rule « %(name)s » saved.") % {"name": saved.name})
                    return back(request)
            extra["error"] = error
            status = 422
    else:
        initial = (
            {"name": rule.name, "reason": rule.reason, "continue_after": rule.continue_after}
            if rule
            else {}
        )
        form = RuleForm(initial=initial)
        actions = ActionsForm(
            initial=actions_initial(list(rule.actions)) if rule else {"review": True},
            members=choices["members"],
            saved_replies=choices["saved_replies"],
        )
    context = {
        "rule": rule,
        "form": form,
        "rows": rows,
        "row_count": len(rows),
        "max_rows": MAX_CONDITION_ROWS,
        "actions_form": actions,
        "tab": "rules",
        **extra,
    }
    return render(request, "moderation/rule_edit.html", context, status=status)


@workspace_view(Perm.MODERATE)
@require_POST
def rule_preview(request: HttpRequest) -> HttpResponse:
    """The editor's preview button with htmx: the matching comments, nothing saved."""
    choices = workspace_choices(request.workspace)
    rows = condition_forms(request, choices, None)
    conditions = conditions_of(rows)
    if conditions is None:
        context: dict[str, Any] = {"previewed": True, "preview_error": _("Check the conditions.")}
    else:
        context = preview_context(request, conditions)
    return render(request, "moderation/_preview.html", context)


@workspace_view(Perm.MODERATE)
@require_GET
def condition_row(request: HttpRequest) -> HttpResponse:
    """One more blank condition row (the editor's « add a condition » with htmx)."""
    text = request.GET.get("n", "1")
    if not text.isdigit() or int(text) >= MAX_CONDITION_ROWS:
        raise Http404
    index = int(text)
    choices = workspace_choices(request.workspace)
    row = ConditionForm(prefix=f"c{index}", queries=choices["queries"])
    next_index = index + 1
    context = {"row": row, "next_index": next_index, "max_rows": MAX_CONDITION_ROWS}
    return render(request, "moderation/_condition_added.html", context)


@workspace_view(Perm.MODERATE)
@require_POST
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = rule_of(request, rule_id)
    enabled = request.POST.get("enabled") == "1"
    services.do_set_rule_enabled(rule, enabled)
    if enabled:
        messages.success(request, _("Rule « %(name)s » switched on.") % {"name": rule.name})
    else:
        messages.success(request, _("Rule « %(name)s » switched off.") % {"name": rule.name})
    return back(request)


@workspace_view(Perm.MODERATE)
@require_POST
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = rule_of(request, rule_id)
    services.do_move_rule(rule, -1 if request.POST.get("direction") == "up" else 1)
    return back(request)


@workspace_view(Perm.MODERATE)
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = rule_of(request, rule_id)
    name = rule.name
    services.do_delete_rule(rule)
    messages.success(request, _("Rule « %(name)s » deleted.") % {"name": name})
    return back(request)


# --- the review queue -----------------------------------------------------------------------


@workspace_view()
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    queue = list(listing.pending(ws)[:200])
    current = None
    chosen = request.GET.get("item", "")
    if chosen.isdigit():
        current = next((r for r in queue if r.pk == int(chosen)), None)
    if current is None and queue:
        current = queue[0]
    following = None
    if current is not None:
        index = queue.index(current)
        following = queue[(index + 1) % len(queue)] if len(queue) > 1 else None
    context = {
        "queue": queue,
        "total": listing.pending_count(ws),
        "current": current,
        "following": following,
        "highlighted": listing.highlight(current.message.text, current.why) if current else "",
        "scores": listing.score_rows(current.scores) if current else [],
        "form": ReviewForm(initial={"reason": current.reason} if current else {}),
        "bulk_form": BulkReviewForm(
            prefix="bulk", initial={"reason": current.reason} if current else {}
        ),
        "same_form": BulkReviewForm(
            prefix="same", initial={"reason": current.reason} if current else {}
        ),
        "twins": services.same_text(current) if current else [],
        "can_moderate": request.membership.can(Perm.MODERATE),
        "tab": "review",
    }
    return render(request, "moderation/review.html", context)


@workspace_view(Perm.MODERATE)
@require_POST
def review_decide(request: HttpRequest, review_id: int) -> HttpResponse:
    item = get_in_workspace(ReviewItem, request.workspace, pk=review_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return back(request, "moderation:review")
    data = form.cleaned_data
    try:
        row = services.do_review(
            item, request.user, data["decision"], reason=data["reason"], teach=data["teach"]
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return back(request, "moderation:review")
    if row.state == ReviewState.KEPT:
        messages.success(request, _("Kept."))
    elif row.state == ReviewState.HIDDEN:
        messages.success(request, _("Hidden."))
    elif row.state == ReviewState.ESCALATED:
        messages.success(request, _("Escalated."))
    return back(request, "moderation:review")


def posted_ids(request: HttpRequest) -> list[int]:
    """The review ids of a bulk decision: the copies of one item's text (`same`), or the
    ticked ones (`ids`); anything that is not a plain id is ignored."""
    same = request.POST.get("same", "")
    if same.isdigit() and len(same) < 19:
        anchor = get_in_workspace(ReviewItem, request.workspace, pk=int(same))
        return [r.pk for r in services.same_text(anchor)]
    return [
        int(x)
        for x in request.POST.getlist("ids")[: services.MAX_BULK + 1]
        if x.isdigit() and len(x) < 19
    ]


@workspace_view(Perm.MODERATE)
@require_POST
def review_bulk(request: HttpRequest) -> HttpResponse:
    # Two forms on the page (the copies of the shown text, the ticked items), one field set each.
    form = BulkReviewForm(request.POST, prefix="same" if "same" in request.POST else "bulk")
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return back(request, "moderation:review")
    decision = form.cleaned_data["decision"]
    try:
        counts = services.do_review_many(
            request.workspace,
            request.user,
            posted_ids(request),
            decision,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return back(request, "moderation:review")
    n = counts["decided"]
    if decision == "hide":
        text = ngettext("%(n)s item hidden.", "%(n)s items hidden.", n) % {"n": n}
    else:
        text = ngettext("%(n)s item kept.", "%(n)s items kept.", n) % {"n": n}
    if counts["skipped"]:
        text += " " + ngettext(
            "%(n)s was already decided.", "%(n)s were already decided.", counts["skipped"]
        ) % {"n": counts["skipped"]}
    messages.success(request, text)
    return back(request, "moderation:review")


# --- the log and one item -------------------------------------------------------------------


@workspace_view()
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    form = LogFilterForm(request.GET or None)
    page = page_number(request)
    rows, more = listing.page_of(listing.log_rows(ws, form.values()), page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "rows": [
            {
                "action": a,
                "excerpt": listing.excerpt(a.message.text),
                "state_label": listing.STATE_LABELS.get(a.state, a.state),
                "restorable": a.kind in ("hide", "delete")
                and a.message.moderation in ("hidden", "manual"),
            }
            for a in rows
        ],
        "page": page,
        "more": more,
        "base_query": query.urlencode(),
        "restore_form": RestoreForm(),
        "can_moderate": request.membership.can(Perm.MODERATE),
        "tab": "log",
    }
    response = render(request, "moderation/log.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def item_page(
    request: HttpRequest,
    message: Any,
    *,
    hide_form: HideForm | None = None,
    restore_form: RestoreForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actions = list(
        scoped(Action, request.workspace)
        .filter(message=message)
        .select_related("member")
        .order_by("-created_at", "-id")
    )
    context = {
        "message": message,
        "actions": [(a, listing.STATE_LABELS.get(a.state, a.state)) for a in actions],
        "hidden": message.moderation in ("hidden", "manual"),
        "hide_form": hide_form or HideForm(),
        "restore_form": restore_form or RestoreForm(),
        "can_moderate": request.membership.can(Perm.MODERATE),
        "tab": "log",
    }
    return render(request, "moderation/item.html", context, status=status)


@workspace_view()
@require_GET
def item(request: HttpRequest, message_id: int) -> HttpResponse:
    return item_page(request, message_of(request, message_id))


@workspace_view(Perm.MODERATE)
@require_POST
def item_hide(request: HttpRequest, message_id: int) -> HttpResponse:
    message = message_of(request, message_id)
    form = HideForm(request.POST)
    if not form.is_valid():
        return item_page(request, message, hide_form=form, status=422)
    try:
        services.do_hide(
            message, request.user, form.cleaned_data["reason"], form.cleaned_data["note"]
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Hiding asked: see its state in the log."))
    return redirect("moderation:item", slug=request.workspace.slug, message_id=message.pk)


@workspace_view(Perm.MODERATE)
@require_POST
def item_restore(request: HttpRequest, message_id: int) -> HttpResponse:
    message = message_of(request, message_id)
    form = RestoreForm(request.POST)
    if not form.is_valid():
        return item_page(request, message, restore_form=form, status=422)
    try:
        services.do_restore(message, request.user, form.cleaned_data["why"])
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Restoring asked: see its state in the log."))
    target = request.POST.get("next", "")
    log_url = reverse("moderation:log", args=[request.workspace.slug])
    if target.startswith(log_url) and "//" not in target:
        return redirect(target)
    return redirect("moderation:item", slug=request.workspace.slug, message_id=message.pk)


# --- the charter ----------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def charter(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    current = services.get_charter(ws)
    can_edit = request.membership.can(Perm.MODERATE)
    if request.method == "POST":
        if not can_edit:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = CharterForm(request.POST)
        if form.is_valid():
            services.do_update_charter(ws, **form.cleaned_data)
            messages.success(request, _("Charter saved."))
            return back(request, "moderation:charter")
    else:
        form = CharterForm(
            initial={
                "published": current.published,
                "introduction": current.introduction,
                "appeal": current.appeal,
            }
        )
    public_url = request.build_absolute_uri(reverse("moderation_charter", args=[current.token]))
    context = {
        "form": form,
        "charter": current,
        "public_url": public_url,
        "can_edit": can_edit,
        "tab": "charter",
    }
    return render(request, "moderation/charter.html", context)


@require_GET
def charter_public(request: HttpRequest, token: str) -> HttpResponse:
    """The public charter: no login, 404 unless published."""
    found = Charter.objects.select_related("workspace").filter(token=token, published=True).first()
    if found is None:
        raise Http404
    ws = found.workspace
    # The last 30 days: a month that has just begun would show zeros.
    end = timezone.now()
    start = end - dt.timedelta(days=30)
    counts = services.counts_by_reason(ws, start, end)
    context = {
        "charter": found,
        "workspace": ws,
        "rows": listing.charter_rows(ws, counts),
        "month_start": start,
        "total": sum(counts.values()),
    }
    return render(request, "moderation/charter_public.html", context)


# --- author lists ---------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def author_lists(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    can_edit = request.membership.can(Perm.MODERATE)
    form = ListEntryForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_edit:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            services.add_to_list(ws, data["name"], data["network"], data["handle"], request.user)
            messages.success(request, _("Author added to the list."))
            return back(request, "moderation:lists")
        status = 422
    found = list(scoped(AuthorList, ws).prefetch_related("entries").order_by("name"))
    context = {"lists": found, "form": form, "can_edit": can_edit, "tab": "lists"}
    return render(request, "moderation/lists.html", context, status=status)


@workspace_view(Perm.MODERATE)
@require_POST
def list_remove(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_in_workspace(ListedAuthor, request.workspace, pk=entry_id)
    lists.do_remove_from_list(entry)
    messages.success(request, _("Author taken off the list."))
    return back(request, "moderation:lists")


# --- the navigation's counter ---------------------------------------------------------------


@workspace_view()
@require_GET
def pending(request: HttpRequest) -> HttpResponse:
    return render(
        request, "moderation/_pending.html", {"count": listing.pending_count(request.workspace)}
    )
