"""Inbox pages. Views parse, authorize (workspace_view) and delegate to the services
(services.py, sending.py, saved.py); what they read comes from listing.py."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.inbox import clock, figures, listing, saved, sending, services
from parvis.inbox.forms import (
    AssignForm,
    BulkForm,
    ComposerForm,
    EscalateForm,
    FilterForm,
    NoteForm,
    PriorityForm,
    SavedReplyForm,
    SettingsForm,
    SnoozeForm,
    StatusForm,
    TagsForm,
    TeamForm,
)
from parvis.inbox.models import (
    Conversation,
    Notification,
    Reply,
    ReplyState,
    SavedReply,
    Team,
)
from parvis.workspaces.access import get_in_workspace, scoped, workspace_view
from parvis.workspaces.roles import Perm


def is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def zone_of(settings: Any) -> ZoneInfo:
    return ZoneInfo(settings.time_zone)


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- the list -------------------------------------------------------------------------------


@workspace_view()
def inbox_list(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    now = timezone.now()
    settings = services.get_settings(ws)
    calendar = clock.calendar(settings)
    view = request.GET.get("view", "mine")
    if view not in listing.VIEW_CODES:
        view = "mine"
    form = FilterForm(request.GET or None, workspace=ws)
    rows = listing.filtered(listing.in_view(ws, request.user, view, now), form.values())
    page_text = request.GET.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 6 else 1
    page = max(page, 1)
    conversations, more = listing.page_of(rows, page)
    base = request.GET.copy()
    base.pop("page", None)
    context = {
        "view": view,
        "views": listing.VIEWS,
        "form": form,
        "rows": [(c, listing.badge(c, now, calendar)) for c in conversations],
        "page": page,
        "more": more,
        "base_query": base.urlencode(),
        "can_reply": request.membership.can(Perm.REPLY),
        "bulk_form": BulkForm(workspace=ws),
        "ws_tz": zone_of(settings),
        "tab": "list",
    }
    template = "inbox/_rows.html" if is_htmx(request) else "inbox/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def back_to_list(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    list_url = reverse("inbox:list", args=[request.workspace.slug])
    if target.startswith(list_url) and url_has_allowed_host_and_scheme(target, None):
        return redirect(target)
    return redirect(list_url)


@workspace_view(Perm.REPLY)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    form = BulkForm(request.POST, workspace=ws)
    if not form.is_valid():
        messages.error(request, _("Choose conversations and an action."))
        return back_to_list(request)
    data = form.cleaned_data
    selection = scoped(Conversation, ws).filter(pk__in=data["ids"])
    try:
        count = services.do_bulk(
            ws,
            request.user,
            selection,
            data["action"],
            assignee=data.get("assignee"),
            tag=data.get("tag", ""),
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("%(count)s conversations updated.") % {"count": count})
    return back_to_list(request)


@workspace_view()
@require_GET
def unread(request: HttpRequest) -> HttpResponse:
    """The navigation's counters: conversations unread, the user's unread notifications."""
    context = {
        "count": listing.unread_count(request.workspace),
        "notifications": listing.unread_notifications(request.workspace, request.user),
    }
    return render(request, "inbox/_unread.html", context)


# --- a conversation -------------------------------------------------------------------------


def conversation_of(request: HttpRequest, conversation_id: int) -> Conversation:
    return get_in_workspace(Conversation, request.workspace, pk=conversation_id)


def author_card(conversation: Conversation) -> dict[str, Any]:
    author = conversation.author
    if author is None:
        return {}
    past = (
        scoped(Conversation, conversation.workspace)
        .filter(author=author)
        .exclude(pk=conversation.pk)
        .count()
    )
    return {"author": author, "past": past, "sentiment": author.average_sentiment}


def conversation_page(
    request: HttpRequest,
    conversation: Conversation,
    *,
    composer: ComposerForm | None = None,
    warnings: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    ws = request.workspace
    now = timezone.now()
    settings = services.get_settings(ws)
    zone = zone_of(settings)
    can_reply = request.membership.can(Perm.REPLY)
    saved_replies = list(scoped(SavedReply, ws)) if can_reply else []
    if composer is None:
        text = ""
        chosen = request.GET.get("saved", "")
        if can_reply and chosen.isdigit():
            pick = next((s for s in saved_replies if s.pk == int(chosen)), None)
            if pick is not None:
                text = services.fill_saved_reply(pick, conversation, request.user)
        composer = ComposerForm(initial={"seen_version": conversation.version, "text": text})
    blocking = any(w.get("code") in ("empty", "length") for w in warnings or [])
    context = {
        "conversation": conversation,
        "timeline": [
            (item, listing.event_text(item.obj) if item.kind == "event" else "")
            for item in listing.timeline(conversation)
        ],
        "card": author_card(conversation),
        "badge": listing.badge(conversation, now, clock.calendar(settings)),
        "tags": list(conversation.tags.all()),
        "can_reply": can_reply,
        "composer": composer,
        "warnings": warnings or [],
        "blocking": blocking,
        "saved_replies": saved_replies,
        "assign_form": AssignForm(
            workspace=ws,
            initial={"assignee": conversation.assignee_id, "team": conversation.team_id},
        ),
        "status_form": StatusForm(initial={"status": conversation.status}),
        "priority_form": PriorityForm(initial={"priority": conversation.priority}),
        "snooze_form": SnoozeForm(zone=zone),
        "tags_form": TagsForm(),
        "note_form": NoteForm(prefix="note"),
        "escalate_form": EscalateForm(workspace=ws),
        "escalations": list(conversation.escalations.select_related("to_user", "by")[:5]),
        "ws_tz": zone,
        "now": now,
        "tab": "list",
    }
    return render(request, "inbox/conversation.html", context, status=status)


@workspace_view()
@require_GET
def conversation_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = (
        scoped(Conversation, request.workspace)
        .select_related("author", "assignee", "source", "escalated_to")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404
    services.do_mark_read(conversation)
    return conversation_page(request, conversation)


def done(request: HttpRequest, conversation: Conversation, note: str = "") -> HttpResponse:
    if note:
        messages.success(request, note)
    return redirect(
        "inbox:conversation", slug=request.workspace.slug, conversation_id=conversation.pk
    )


def failed(request: HttpRequest, conversation: Conversation, error: Any) -> HttpResponse:
    if isinstance(error, ValidationError):
        error = error_text(error)
    messages.error(request, str(error))
    return done(request, conversation)


def first_error(form: Any) -> str:
    for errors in form.errors.values():
        return " ".join(errors)
    return _("The form has errors.")


@workspace_view(Perm.REPLY)
@require_POST
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    team = conversation.team
    if request.POST.get("me"):
        assignee = request.user
    else:
        form = AssignForm(request.POST, workspace=request.workspace)
        if not form.is_valid():
            return failed(request, conversation, first_error(form))
        assignee = form.cleaned_data["assignee"]
        team = form.cleaned_data.get("team")
    try:
        services.do_assign(conversation, request.user, assignee=assignee, team=team)
    except ValidationError as error:
        return failed(request, conversation, error)
    return done(request, conversation, _("Assignment saved."))


@workspace_view(Perm.REPLY)
@require_POST
def set_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return failed(request, conversation, first_error(form))
    services.do_set_status(conversation, request.user, form.cleaned_data["status"])
    return done(request, conversation, _("Status saved."))


@workspace_view(Perm.REPLY)
@require_POST
def set_priority(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return failed(request, conversation, first_error(form))
    services.do_set_priority(conversation, request.user, form.cleaned_data["priority"])
    return done(request, conversation, _("Priority saved."))


@workspace_view(Perm.REPLY)
@require_POST
def snooze(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    form = SnoozeForm(request.POST, zone=zone_of(services.get_settings(request.workspace)))
    if not form.is_valid():
        return failed(request, conversation, first_error(form))
    try:
        until = form.moment(timezone.now())
        services.do_snooze(conversation, request.user, until)
    except ValidationError as error:
        return failed(request, conversation, error)
    if until and conversation.due_at and until > conversation.due_at:
        # Snoozing does not stop the clock: say so when it will wake up too late.
        messages.warning(
            request,
            _("Snoozed past its response deadline: it will be late when it wakes up."),
        )
    return done(request, conversation, _("Snoozed.") if until else _("Woken up."))


@workspace_view(Perm.REPLY)
@require_POST
def tags(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    form = TagsForm(request.POST)
    if not form.is_valid():
        return failed(request, conversation, first_error(form))
    add = [t for t in form.cleaned_data["add"].split(",") if t.strip()]
    remove = [form.cleaned_data["remove"]] if form.cleaned_data["remove"] else []
    try:
        services.do_tag(conversation, request.user, add=add, remove=remove)
    except ValidationError as error:
        return failed(request, conversation, error)
    return done(request, conversation, _("Tags saved."))


@workspace_view(Perm.REPLY)
@require_POST
def note(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    form = NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        return failed(request, conversation, first_error(form))
    try:
        services.do_add_note(conversation, request.user, form.cleaned_data["text"])
    except ValidationError as error:
        return failed(request, conversation, error)
    return done(request, conversation, _("Note added."))


@workspace_view(Perm.REPLY)
@require_POST
def escalate(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    form = EscalateForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        return failed(request, conversation, first_error(form))
    data = form.cleaned_data
    try:
        services.do_escalate(
            conversation,
            request.user,
            reason=data["reason"],
            to_user=data.get("to_user"),
            to_role=data.get("to_role", ""),
            note=data.get("note", ""),
        )
    except ValidationError as error:
        return failed(request, conversation, error)
    return done(request, conversation, _("Escalated."))


@workspace_view(Perm.REPLY)
@require_POST
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    form = ComposerForm(request.POST)
    if not form.is_valid():
        return conversation_page(request, conversation, composer=form, status=400)
    data = form.cleaned_data
    expanded = saved.expand_shortcut(request.workspace, conversation, request.user, data["text"])
    if expanded is not None:
        # « /merci » typed alone: the saved reply, filled in, to read over before sending.
        kept = ComposerForm(initial={"text": expanded, "seen_version": data.get("seen_version")})
        return conversation_page(request, conversation, composer=kept)
    try:
        queued = sending.do_queue_reply(
            conversation,
            request.user,
            data["text"],
            force=bool(data.get("force")),
            seen_version=data.get("seen_version"),
        )
    except ValidationError as error:
        return failed(request, conversation, error)
    if queued.reply is None:
        # Warnings: the same text again, with the version now seen (sending anyway means
        # having seen what the other person did).
        kept = ComposerForm(
            initial={"text": data["text"], "seen_version": data.get("seen_version")}
        )
        conversation.refresh_from_db()
        return conversation_page(request, conversation, composer=kept, warnings=queued.warnings)
    return done(request, conversation, _("Reply queued: it is being sent."))


@workspace_view(Perm.REPLY)
@require_POST
def retry(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_of(request, conversation_id)
    reply_id = request.POST.get("reply", "")
    if not reply_id.isdigit():
        return failed(request, conversation, _("Unknown reply."))
    found = get_in_workspace(Reply, request.workspace, pk=int(reply_id), conversation=conversation)
    if found.state != ReplyState.FAILED:
        return failed(request, conversation, _("This reply has not failed."))
    sending.do_retry(found)
    return done(request, conversation, _("The reply will be sent again."))


@workspace_view(Perm.REPLY)
@require_GET
def fill(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The composer's textarea with a saved reply filled in, after what was already written."""
    conversation = conversation_of(request, conversation_id)
    chosen = request.GET.get("saved", "")
    text = request.GET.get("text", "")[:20_000]
    if chosen.isdigit():
        pick = get_in_workspace(SavedReply, request.workspace, pk=int(chosen))
        filled = services.fill_saved_reply(pick, conversation, request.user)
        text = f"{text.rstrip()}\n\n{filled}" if text.strip() else filled
    form = ComposerForm(initial={"text": text})
    return render(request, "inbox/_composer_text.html", {"composer": form})


# --- saved replies --------------------------------------------------------------------------


@workspace_view()
@require_http_methods(["GET", "POST"])
def saved_replies(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    can_edit = request.membership.can(Perm.REPLY)
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.do_save_reply(ws, request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved reply created."))
                return redirect("inbox:saved_replies", slug=ws.slug)
    context = {
        "saved_replies": scoped(SavedReply, ws),
        "form": form,
        "can_edit": can_edit,
        "tab": "saved",
    }
    return render(request, "inbox/saved_replies.html", context)


@workspace_view(Perm.REPLY)
@require_http_methods(["GET", "POST"])
def saved_reply_edit(request: HttpRequest, saved_id: int) -> HttpResponse:
    ws = request.workspace
    current = get_in_workspace(SavedReply, ws, pk=saved_id)
    form = SavedReplyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_reply(ws, request.user, saved=current, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved reply saved."))
            return redirect("inbox:saved_replies", slug=ws.slug)
    return render(
        request, "inbox/saved_reply_edit.html", {"form": form, "saved": current, "tab": "saved"}
    )


@workspace_view(Perm.REPLY)
@require_POST
def saved_reply_delete(request: HttpRequest, saved_id: int) -> HttpResponse:
    current = get_in_workspace(SavedReply, request.workspace, pk=saved_id)
    saved.do_delete_saved_reply(request.workspace, request.user, current)
    messages.success(request, _("Saved reply deleted."))
    return redirect("inbox:saved_replies", slug=request.workspace.slug)


# --- settings, figures, notifications -------------------------------------------------------


@workspace_view(Perm.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def inbox_settings(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    current = services.get_settings(ws)
    form = SettingsForm(request.POST or None, initial=SettingsForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_settings(ws, request.user, **form.changes())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Inbox settings saved."))
            return redirect("inbox:settings", slug=ws.slug)
    context = {
        "form": form,
        "tab": "settings",
        "teams": scoped(Team, ws).prefetch_related("members"),
        "team_form": TeamForm(workspace=ws),
    }
    return render(request, "inbox/settings.html", context)


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def team_save(request: HttpRequest) -> HttpResponse:
    """Create a team, or change one (`team` names it), from the settings page."""
    ws = request.workspace
    existing = None
    if request.POST.get("team", "").isdigit():
        existing = get_in_workspace(Team, ws, pk=int(request.POST["team"]))
    form = TeamForm(request.POST, workspace=ws)
    if not form.is_valid():
        messages.error(request, first_error(form))
    else:
        try:
            saved.do_save_team(
                ws,
                request.user,
                form.cleaned_data["name"],
                list(form.cleaned_data["members"]),
                team=existing,
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Team saved."))
    return redirect("inbox:settings", slug=ws.slug)


PERIODS = {"7": 7, "30": 30}


@workspace_view(Perm.VIEW_REPORTS)
@require_GET
def performance(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    days = PERIODS.get(request.GET.get("days", "7"), 7)
    end = timezone.now()
    start = end - dt.timedelta(days=days)
    found = figures.figures(ws, start, end)
    total = found["total"][""].as_dict()
    members = sorted((name, f.as_dict()) for name, f in found["members"].items())
    networks = sorted((name, f.as_dict()) for name, f in found["networks"].items())
    context = {
        "days": days,
        "periods": sorted(PERIODS.values()),
        "total": total,
        "members": members,
        "networks": networks,
        "tab": "performance",
    }
    return render(request, "inbox/performance.html", context)


@workspace_view()
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    ws = request.workspace
    settings = services.get_settings(ws)
    rows = scoped(Notification, ws).filter(user=request.user).select_related("conversation")
    # Unread first, then the newest (NULLs sort differently per database: sorted here).
    items = list(rows.order_by("-created_at", "-id")[:200])
    items.sort(key=lambda n: (n.read_at is not None, -n.created_at.timestamp(), -n.pk))
    context = {"items": items, "ws_tz": zone_of(settings), "tab": "notifications"}
    return render(request, "inbox/notifications.html", context)


@workspace_view()
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit() and len(i) < 19]
    saved.do_mark_notifications_read(request.workspace, request.user, ids or None)
    messages.success(request, _("Notifications marked as read."))
    return redirect("inbox:notifications", slug=request.workspace.slug)


# --- a listening mention, sent to the inbox by hand -----------------------------------------


@workspace_view(Perm.REPLY)
@require_POST
def take_mention(request: HttpRequest, mention_id: int) -> HttpResponse:
    from parvis.inbox import intake
    from parvis.listening.models import Mention

    mention = get_in_workspace(Mention, request.workspace, pk=mention_id)
    try:
        conversation = intake.do_take_mention(request.workspace, mention, request.user)
    except ValueError:
        messages.error(request, _("The brand's own posts do not go to the inbox."))
        return redirect("listening:mention", request.workspace.slug, mention.pk)
    messages.success(request, _("Sent to the inbox."))
    return redirect("inbox:conversation", request.workspace.slug, conversation.pk)


def mention_action(request: Any, mention: Any) -> Any:
    """On listening's mention page (listening.extensions): « Send to the inbox », or « Open in
    the inbox » once it is there."""
    from parvis.inbox.models import Message
    from parvis.listening.extensions import Action

    membership = getattr(request, "membership", None)
    if membership is None or not membership.can(Perm.REPLY):
        return None
    slug = request.workspace.slug
    message = Message.objects.filter(mention=mention).only("conversation_id").first()
    if message is not None:
        url = reverse("inbox:conversation", args=[slug, message.conversation_id])
        return Action(_("Open in the inbox"), url, method="get")
    return Action(_("Send to the inbox"), reverse("inbox:take", args=[slug, mention.pk]))
