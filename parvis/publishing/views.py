"""Publishing pages: the calendar, the composer, a post, the approval link.

Views parse (forms.py), authorize (workspace_view, get_in_workspace) and delegate to the
services (services.py, approvals.py); what they read comes from pages.py's queries and the
pure calendar (calendar.py, holidays.py).
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.connectors.models import ConnectedAccount
from parvis.publishing import alttext, approvals, pages, services, threads, views_thread
from parvis.publishing import calendar as cal
from parvis.publishing.forms import (
    ApprovalSettingsForm,
    CampaignForm,
    ComposerForm,
    DecisionForm,
    FilterForm,
    LinkForm,
    MoveForm,
    OverrideForm,
)
from parvis.publishing.models import Campaign, Flow, Media, Post, Status, Variant
from parvis.workspaces.access import (
    WorkspaceRequest,
    get_in_workspace,
    scoped,
    workspace_view,
)
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import PERMISSIONS, Perm, Role
from parvis.workspaces.zones import zone_of

MODES = ("month", "week", "list")


def show(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    zone: ZoneInfo,
    status: int = 200,
) -> HttpResponse:
    """Render with the workspace's zone active: every date on the page is on its clock."""
    with timezone.override(zone):
        return render(request, template, {**context, "zone": zone}, status=status)


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def post_url(post: Post) -> str:
    return reverse("publishing:post", args=[post.workspace.slug, post.pk])


# --- the calendar ---------------------------------------------------------------------------


def _filter_form(request: HttpRequest, ws: Workspace) -> FilterForm:
    return FilterForm(
        request.GET if any(k in request.GET for k in FilterForm.base_fields) else None,
        accounts=list(scoped(ConnectedAccount, ws)),
        statuses=list(Status.choices),
        campaigns=list(scoped(Campaign, ws)),
    )


@workspace_view()
@require_GET
def calendar_view(request: WorkspaceRequest) -> HttpResponse:
    ws = request.workspace
    zone = zone_of(ws)
    today = timezone.now().astimezone(zone).date()
    mode = request.GET.get("view", "month")
    mode = mode if mode in MODES else "month"
    form = _filter_form(request, ws)
    filters = form.values()
    try:
        grid = pages.Grid.build(mode, request.GET, today, zone)
    except cal.OutOfRange:
        context = {"form": form, "mode": mode, "out_of_range": True, "today": today}
        return show(request, "publishing/calendar.html", context, zone, status=400)
    posts = pages.calendar_posts([ws], grid.start, grid.end, filters, zone)
    grid.fill(posts, zone, alsace_moselle=bool(filters.get("alsace")))
    if mode != "list":
        grid.add_cadence(
            pages.cadence_plan(ws), pages.cadence_posts(ws, grid.start, grid.end), zone
        )
    context = {
        "form": form,
        "mode": mode,
        "grid": grid,
        "today": today,
        "zone": zone,
        "query": pages.query_without(request.GET, ("view", "month", "week", "from")),
        "undated": pages.undated_posts(ws, filters) if mode == "list" else [],
        "can_publish": request.membership.can(Perm.PUBLISH),
        "several": len(pages.workspaces_of(request.user)) > 1,
        "movable": pages.MOVABLE,
        "to_approve": (
            pages.awaiting_approval(ws, zone) if request.membership.can(Perm.APPROVE) else []
        ),
    }
    return show(request, "publishing/calendar.html", context, zone)


@login_required
@require_GET
def agency_calendar(request: HttpRequest) -> HttpResponse:
    """Every workspace the user belongs to, in one month or list: each post with its client."""
    workspaces = pages.workspaces_of(request.user)
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.now().astimezone(zone).date()
    mode = request.GET.get("view", "month")
    mode = mode if mode in ("month", "list") else "month"
    chosen = request.GET.get("workspace", "")
    shown = [w for w in workspaces if not chosen or w.slug == chosen] or workspaces
    try:
        grid = pages.Grid.build(mode, request.GET, today, zone)
    except cal.OutOfRange:
        context = {"mode": mode, "out_of_range": True, "workspaces": workspaces}
        return show(request, "publishing/agency.html", context, zone, status=400)
    posts = pages.calendar_posts(shown, grid.start, grid.end, {}, zone)
    grid.fill(posts, zone, alsace_moselle=False)
    context = {
        "grid": grid,
        "mode": mode,
        "today": today,
        "workspaces": workspaces,
        "chosen": chosen,
        "query": pages.query_without(request.GET, ("view", "month", "from")),
        "movable": [],
    }
    return show(request, "publishing/agency.html", context, zone)


@workspace_view(Perm.PUBLISH)
@require_POST
def move(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    """« Move to… »: the calendar's drag and drop posts here too (a plain form)."""
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    fallback = reverse("publishing:calendar", args=[ws.slug])
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid date to move the post to."))
        return redirect(safe_next(request, fallback))
    when = form.moment(zone_of(ws), post.scheduled_at)
    try:
        services.do_reschedule(post, request.user, when)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        local = timezone.localtime(when, zone_of(ws))
        messages.success(
            request,
            _("Moved to %(day)s at %(time)s.")
            % {"day": date_format(local, "DATE_FORMAT"), "time": date_format(local, "H:i")},
        )
    return redirect(safe_next(request, fallback))


# --- the composer ---------------------------------------------------------------------------


def _composer_form(
    request: HttpRequest, ws: Workspace, post: Post | None, data: bool = True
) -> ComposerForm:
    zone = zone_of(ws)
    initial: dict[str, Any] = {}
    if post is not None:
        initial = pages.composer_initial(post, zone)
    return ComposerForm(
        request.POST if data and request.method == "POST" else None,
        request.FILES if data and request.method == "POST" else None,
        accounts=list(scoped(ConnectedAccount, ws)),
        campaigns=list(scoped(Campaign, ws)),
        zone=zone,
        initial=initial,
    )


def _composer_context(
    request: HttpRequest, ws: Workspace, post: Post | None, form: ComposerForm
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "form": form,
        "post": post,
        "zone": zone_of(ws),
        "accounts": form.account_rows(),
        "override_form": OverrideForm(),
        "can_override": True,
        "approval": pages.approval_summary(ws),
    }
    # The thread's parts (views_thread.py): shown under the first post's text.
    context["thread_parts"] = views_thread.part_rows(request, post)
    context["max_parts"] = threads.MAX_PARTS
    if post is not None:
        context.update(pages.post_checks(post))
        context["media"] = services.post_media(post)
        context["editable"] = post.status in pages.EDITABLE
    else:
        context["editable"] = True
    return context


@workspace_view(Perm.PUBLISH)
@require_http_methods(["GET", "POST"])
def compose(request: WorkspaceRequest, post_id: int | None = None) -> HttpResponse:
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id) if post_id is not None else None
    if post is not None and post.thread_parent_id:
        post = post.thread_parent
    form = _composer_form(request, ws, post)
    if request.method == "GET" and post is None and request.GET.get("day"):
        # « New post » from a day of the calendar: that day, at the usual hour.
        with suppress(cal.OutOfRange):
            form.initial["day"] = cal.parse_day(request.GET["day"], timezone.now().date())
    if request.method == "POST":
        if form.is_valid():
            try:
                post = save_composer(ws, request.user, post, form)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                return _after_save(request, post, request.POST.get("action", "save"))
        status = 400
    else:
        status = 200
    context = _composer_context(request, ws, post, form)
    return show(request, "publishing/compose.html", context, zone_of(ws), status=status)


def save_composer(ws: Workspace, user: Any, post: Post | None, form: ComposerForm) -> Post:
    """The composer's one save, in one transaction: the post (or its edit), its accounts and
    texts, its time, then the uploaded file. Each step is a service's ``do_*``."""
    data = form.cleaned_data
    campaign_id = form.campaign_id()
    campaign = get_in_workspace(Campaign, ws, pk=campaign_id) if campaign_id else None
    when = form.scheduled_at()
    with transaction.atomic():
        if post is None:
            post = services.do_create_post(
                ws,
                user,
                data["text"],
                variants=form.variants(),
                scheduled_at=when,
                campaign=campaign,
            )
        else:
            services.do_update_post(post, user, text=data["text"], campaign=campaign)
            services.do_set_variants(post, user, form.variants())
            if when is not None and when != post.scheduled_at:
                services.do_reschedule(post, user, when)
        upload = data.get("upload")
        if upload is not None:
            if upload.size > services.MAX_UPLOAD:
                raise ValidationError({"upload": _("The file is too large (512 MB at most).")})
            media = services.do_upload_media(
                ws, user, upload.read(), filename=upload.name or "", alt_text=data["alt_text"]
            )
            services.do_attach_media(post, user, [media])
        parts = views_thread.thread_texts(form.data)
        if parts is not None:
            threads.do_save_thread(post, user, parts)
    post.refresh_from_db()
    return post


ERROR_FIELDS = {"file": "upload", "media": "upload", "scheduled_at": "day", "variants": "accounts"}


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            # The services name some fields their own way (the upload is their "file").
            key = ERROR_FIELDS.get(key, key)
            field = key if key in form.fields else None
            for item in errors:
                form.add_error(field, item.messages)
    else:
        form.add_error(None, error.messages)


def _after_save(request: HttpRequest, post: Post, action: str) -> HttpResponse:
    """Saved; then send for approval or schedule, as the button said."""
    edit_url = reverse("publishing:edit", args=[post.workspace.slug, post.pk])
    try:
        if action == "submit":
            approvals.do_submit_for_approval(post, request.user)
            messages.success(request, _("Sent for approval."))
            return redirect(post_url(post))
        if action == "schedule":
            services.do_schedule(post, request.user)
            messages.success(request, _("Scheduled."))
            return redirect(post_url(post))
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(edit_url)
    messages.success(request, _("Draft saved."))
    return redirect(edit_url)


@workspace_view(Perm.PUBLISH)
@require_POST
def live_checks(request: WorkspaceRequest) -> HttpResponse:
    """The composer's counters and warnings, per account, while the text is typed (htmx)."""
    ws = request.workspace
    form = _composer_form(request, ws, None)
    form.is_valid()  # the counters read what is there, valid or not
    rows = pages.live_rows(ws, form)
    findings = pages.live_findings(ws, form)
    context = {"rows": rows, "findings": findings}
    return render(request, "publishing/_live_checks.html", context)


@workspace_view(Perm.PUBLISH)
@require_POST
def override(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why this post should go out anyway."))
    else:
        try:
            services.do_override_safety(post, request.user, form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Warning overridden; the reason is in the post's log."))
    return redirect(safe_next(request, reverse("publishing:edit", args=[ws.slug, post.pk])))


# --- a post ---------------------------------------------------------------------------------


@workspace_view()
@require_GET
def post_detail(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    membership = request.membership
    context = {
        "post": post,
        "zone": zone_of(ws),
        "variants": pages.variant_rows(post),
        "events": pages.post_events(post),
        "approvals": pages.post_approvals(post),
        "thread": pages.thread_parts(post),
        "can_publish": membership.can(Perm.PUBLISH),
        "can_decide": pages.can_decide(request.user, post),
        "decision_form": DecisionForm(),
        "move_form": MoveForm(initial=pages.move_initial(post, zone_of(ws))),
        "link_form": LinkForm(),
        "editable": post.status in pages.EDITABLE,
        "media": services.post_media(post),
        "alt_limits": _alt_limits(post),
        **pages.post_checks(post),
    }
    return show(request, "publishing/post.html", context, zone_of(ws))


@workspace_view(Perm.APPROVE)
@require_POST
def decide(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(post_url(post))
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["decision"] == DecisionForm.APPROVE:
            approvals.do_approve(post, request.user, comment)
            messages.success(request, _("Approved."))
        else:
            approvals.do_request_changes(post, request.user, comment)
            messages.success(request, _("Changes requested: the author sees your comment."))
    except PermissionDenied:
        messages.error(request, _("This approval step is not yours to decide."))
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect(post_url(post))


@workspace_view(Perm.PUBLISH)
@require_POST
def act(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    """The post's buttons: send for approval, schedule, unschedule, cancel."""
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    action = request.POST.get("action", "")
    done = {
        "submit": (approvals.do_submit_for_approval, _("Sent for approval.")),
        "schedule": (services.do_schedule, _("Scheduled.")),
        "unschedule": (services.do_unschedule, _("Taken off the schedule.")),
        "cancel": (services.do_cancel, _("Cancelled.")),
    }
    if action not in done:
        messages.error(request, _("Unknown action."))
        return redirect(post_url(post))
    function, message = done[action]
    try:
        function(post, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, message)
    return redirect(post_url(post))


@workspace_view(Perm.PUBLISH)
@require_POST
def retry(request: WorkspaceRequest, post_id: int, variant_id: int) -> HttpResponse:
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    variant = get_in_workspace(Variant, ws, pk=variant_id, post__in=pages.thread_ids(post))
    try:
        services.do_retry(variant, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Trying again now."))
    return redirect(post_url(post))


@workspace_view(Perm.PUBLISH)
@require_POST
def send_link(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    """E-mail an approver a link that decides this post without a password."""
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address."))
        return redirect(post_url(post))
    try:
        link, token = approvals.do_create_link(post, request.user, form.cleaned_data["email"])
        url = request.build_absolute_uri(reverse("publishing_approval_link", args=[token]))
        approvals.send_link(link, url)
    except ValidationError as error:
        messages.error(request, error_text(error))
    except OSError:
        messages.error(request, _("The e-mail could not be sent: check the mail settings."))
    else:
        messages.success(request, _("Link sent to %(email)s.") % {"email": link.email})
    return redirect(post_url(post))


@workspace_view()
@require_GET
def media_file(request: WorkspaceRequest, media_id: int) -> HttpResponse:
    """An uploaded image or video, for the composer's and the post's previews."""
    # workspace_view's signature says HttpResponse; a streamed file answers the same way.
    return cast(HttpResponse, _serve(get_in_workspace(Media, request.workspace, pk=media_id)))


def _serve(media: Media) -> FileResponse:
    root = Path(settings.DATA_DIR).resolve()
    path = (root / media.path).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=media.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


# --- settings: the approval flow, campaigns ---------------------------------------------------


def _approver_roles() -> list[tuple[str, Any]]:
    return [(role.value, role.label) for role in Role if role in PERMISSIONS[Perm.APPROVE]]


@workspace_view()
@require_http_methods(["GET", "POST"])
def publishing_settings(request: WorkspaceRequest) -> HttpResponse:
    """The approval flow (leads only change it) and the campaigns (editors add them)."""
    ws = request.workspace
    can_manage = request.membership.can(Perm.MANAGE_MEMBERS)
    current = pages.approval_summary(ws)
    initial = {
        "flow": current.flow if current else Flow.NONE,
        "step1_role": current.step1_role if current else Role.MANAGER,
        "step2_role": current.step2_role if current else Role.CLIENT,
        "link_hours": current.link_hours if current else 72,
    }
    form = ApprovalSettingsForm(
        request.POST if request.method == "POST" else None,
        flows=list(Flow.choices),
        roles=_approver_roles(),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.do_save_approval_settings(ws, request.user, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Approval flow saved."))
                return redirect("publishing:settings", ws.slug)
        status = 400
    context = {
        "form": form,
        "can_manage": can_manage,
        "flow_label": dict(Flow.choices).get(str(initial["flow"]), ""),
        "can_publish": request.membership.can(Perm.PUBLISH),
        "campaign_form": CampaignForm(),
        "campaigns": list(scoped(Campaign, ws)),
    }
    return show(request, "publishing/settings.html", context, zone_of(ws), status=status)


@workspace_view(Perm.PUBLISH)
@require_POST
def campaign_add(request: WorkspaceRequest) -> HttpResponse:
    ws = request.workspace
    form = CampaignForm(request.POST)
    if form.is_valid():
        try:
            services.do_create_campaign(
                ws, request.user, form.cleaned_data["name"], form.cleaned_data["description"]
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Campaign added."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("publishing:settings", ws.slug)


# --- the signed approval link (no login) ------------------------------------------------------


@require_http_methods(["GET", "POST"])
def approval_link(request: HttpRequest, token: str) -> HttpResponse:
    """One post, for the approver the link was sent to: approve or ask for changes. A link
    expired, used or outdated gets a page that says so (never an error)."""
    if len(token) > 500:
        return _link_problem(request, _("This link is not valid."))
    try:
        info = approvals.resolve_link(token)
    except ValidationError as error:
        return _link_problem(request, error_text(error))
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == DecisionForm.APPROVE
        decision = "approved" if approve else "changes_requested"
        try:
            approvals.do_decide_by_link(token, decision, form.cleaned_data["comment"])
        except ValidationError as error:
            return _link_problem(request, error_text(error))
        context = {"approved": approve, "workspace": info.post.workspace}
        return render(request, "publishing/link_done.html", context)
    post = info.post
    zone = zone_of(post.workspace)
    context = {
        "post": post,
        "link": info.link,
        "form": form,
        "zone": zone,
        "variants": pages.variant_rows(post),
        "media": services.post_media(post),
        "token": token,
    }
    status = 400 if form.errors else 200
    return show(request, "publishing/link.html", context, zone, status=status)


@require_GET
def approval_link_media(request: HttpRequest, token: str, media_id: int) -> HttpResponseBase:
    """An image of the post the link decides (the approver has no session to see it)."""
    try:
        info = approvals.resolve_link(token[:500])
    except ValidationError as error:
        raise Http404 from error
    return _serve(get_in_workspace(Media, info.post.workspace, pk=media_id, post=info.post))


def _link_problem(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "publishing/link_problem.html", {"reason": reason}, status=410)


# --- a file's description (alt text), edited after the upload ---------------------------------


def _alt_limits(post: Post) -> str:
    networks = Variant.objects.filter(post=post).values_list("account__network", flat=True)
    return alttext.limits_sentence(networks)


@workspace_view(Perm.PUBLISH)
@require_POST
def media_alt(request: WorkspaceRequest, post_id: int, media_id: int) -> HttpResponse:
    """Change a file's description in place (htmx: the file's line comes back, with its
    errors), or by a plain form (back to the post's page)."""
    ws = request.workspace
    post = get_in_workspace(Post, ws, pk=post_id)
    media = get_in_workspace(Media, ws, pk=media_id)
    if services.media_post(media) != post:
        raise Http404
    value = request.POST.get("alt_text", "")
    errors: list[str] = []
    try:
        media = services.do_set_alt_text(media, request.user, value)
    except ValidationError as error:
        errors = error.messages
    htmx = request.headers.get("HX-Request") == "true"
    if not htmx:
        if errors:
            messages.error(request, " ".join(errors))
        else:
            messages.success(request, _("Description saved."))
        return redirect(post_url(post) + f"#media-{media.pk}")
    media.refresh_from_db()
    context = {
        "post": post,
        "m": media,
        "alt_editable": True,
        "editable": post.status in pages.EDITABLE,
        "alt_limits": _alt_limits(post),
        "alt_errors": errors,
        # What was typed stays in the box when it is refused (cut to what a page can hold).
        "alt_value": value[: alttext.MAX_STORED * 2] if errors else media.alt_text,
        "alt_saved": not errors,
    }
    return show(request, "publishing/_media_item.html", context, zone_of(ws))
