"""Connected accounts: the list, the guided connection through a connector (sign in with
fields, or the OAuth round trip with one fixed callback address), pasting a token for the
networks without a connector, changing credentials, removing."""

from __future__ import annotations

import re

import httpx
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.connectors import flow, http, services, ui
from parvis.connectors.base import AccountInfo, Auth, Connector, ConnectorError
from parvis.connectors.expiry import expiry_state
from parvis.connectors.forms import (
    AccountFieldsForm,
    ConnectAccountForm,
    UpdateCredentialsForm,
    manual_networks,
)
from parvis.connectors.models import ConnectedAccount
from parvis.workspaces.access import get_in_workspace, get_membership, scoped, workspace_view
from parvis.workspaces.roles import Perm

# What a connector's sign-in may raise that is the network's or the person's doing (a
# ValueError says what is wrong with the fields, as validate_config does).
SIGN_IN_ERRORS = (ConnectorError, ValueError, httpx.HTTPError, NotImplementedError, flow.FlowError)


def guided_networks() -> set[str]:
    return {ui.account_network(c) for c in ui.account_connectors()}


@workspace_view()
def accounts(request: HttpRequest) -> HttpResponse:
    guided = guided_networks()
    rows = [
        {"account": a, "guided": a.network in guided, "expiry": expiry_state(a)}
        for a in scoped(ConnectedAccount, request.workspace)
    ]
    context = {
        "rows": rows,
        "connectors": [ui.kind_row(c) for c in ui.account_connectors()],
        "can_manage": request.membership.can(Perm.MANAGE_ACCOUNTS),
    }
    return render(request, "connectors/accounts.html", context)


def callback_uri(request: HttpRequest) -> str:
    """The one redirect address every network is told (and where its app is registered)."""
    return request.build_absolute_uri(reverse("oauth_callback"))


def return_to(request: HttpRequest, slug: str) -> str:
    """Where to go once connected (?next=, e.g. the source form that asked for an account):
    only a page of the same workspace on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe and target.startswith(f"/w/{slug}/") else ""


def pick_connector(request: HttpRequest) -> type[Connector] | None:
    """The connector named by ?kind=, or the only one of ?network=."""
    connector = ui.account_connector(request.POST.get("kind") or request.GET.get("kind"))
    if connector is None and request.GET.get("network"):
        network = request.GET["network"]
        matches = [c for c in ui.account_connectors() if ui.account_network(c) == network]
        connector = matches[0] if len(matches) == 1 else None
    return connector


@workspace_view(Perm.MANAGE_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    """Step 1: pick the network. Step 2: the connector's account fields, then sign in (app
    password, API key) or go to the network to authorize (OAuth 2)."""
    connector = pick_connector(request)
    if connector is None:
        context = {
            "connectors": [ui.kind_row(c) for c in ui.account_connectors()],
            "manual": manual_networks(guided_networks()),
            "next": return_to(request, request.workspace.slug),
        }
        return render(request, "connectors/connect_pick.html", context)
    form = AccountFieldsForm(request.POST or None, connector=connector)
    if request.method == "POST" and form.is_valid():
        if connector.auth == Auth.OAUTH2:
            response = start_oauth(request, connector, form)
        else:
            response = sign_in(request, connector, form)
        if response is not None:
            return response
    context = {
        "form": form,
        "connector": ui.kind_row(connector),
        "oauth": connector.auth == Auth.OAUTH2,
        "redirect_uri": callback_uri(request),
        "next": return_to(request, request.workspace.slug),
    }
    return render(request, "connectors/connect_form.html", context)


def sign_in(
    request: HttpRequest, connector: type[Connector], form: AccountFieldsForm
) -> HttpResponse | None:
    """APP_PASSWORD / API_KEY: the connector checks the fields with the network."""
    try:
        with http.client() as client:
            info = connector.login(client, form.values())
    except SIGN_IN_ERRORS as exc:
        form.add_error(None, flow.error_text(exc, form.typed_secrets()))
        return None
    return saved(request, connector, info, return_to(request, request.workspace.slug))


def start_oauth(
    request: HttpRequest, connector: type[Connector], form: AccountFieldsForm
) -> HttpResponse | None:
    try:
        with http.client() as client:
            url = flow.start_oauth(
                connector,
                client,
                form.values(),
                session=request.session,
                slug=request.workspace.slug,
                redirect_uri=callback_uri(request),
                then=return_to(request, request.workspace.slug),
            )
    except SIGN_IN_ERRORS as exc:
        form.add_error(None, flow.error_text(exc, form.typed_secrets()))
        return None
    if request.headers.get("HX-Request") == "true":
        # htmx navigates with location.href: a redirect answering a form post would be
        # blocked by the CSP's form-action 'self' once it leaves for the network.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    # Without scripts: one click on a plain link, for the same reason.
    context = {"url": url, "connector": ui.kind_row(connector)}
    return render(request, "connectors/oauth_go.html", context)


def saved(
    request: HttpRequest, connector: type[Connector], info: AccountInfo, then: str = ""
) -> HttpResponse:
    try:
        account, created = flow.save_account(request.workspace, request.user, connector, info)
    except ValidationError:
        messages.error(request, _("The network's answer could not be stored as an account."))
        return redirect("connectors:accounts", slug=request.workspace.slug)
    if created:
        messages.success(
            request,
            _("Account %(handle)s connected. Its credentials are stored encrypted.")
            % {"handle": account.handle},
        )
    else:
        messages.success(
            request,
            _("Account %(handle)s was already connected: its credentials are renewed.")
            % {"handle": account.handle},
        )
    return redirect(then or reverse("connectors:accounts", args=[request.workspace.slug]))


# OAuth error codes (RFC 6749 §4.1.2.1) are short words; anything else is not shown.
ERROR_CODE = re.compile(r"[a-z_]{1,40}")


def callback_error(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    return render(request, "connectors/oauth_error.html", {"message": message}, status=status)


@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Where every network sends the browser back. Not under a workspace (networks register
    one fixed address): the workspace comes from the flow kept in the session, and the
    person must still be a member allowed to connect accounts there."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        pending = flow.take(request.session, request.GET.get("state", ""))
    except flow.FlowError as exc:
        return callback_error(request, str(exc))
    membership = get_membership(request.user, pending.slug, Perm.MANAGE_ACCOUNTS)
    request.workspace, request.membership = membership.workspace, membership
    connector = ui.account_connector(pending.kind)
    if connector is None:
        return callback_error(request, _("This connector is not installed anymore."))
    error = request.GET.get("error", "")
    if error == "access_denied":
        message = _("You declined on %(network)s: no account was connected.") % {
            "network": connector.label
        }
        return callback_error(request, message, status=200)
    if error or not request.GET.get("code"):
        code = error if ERROR_CODE.fullmatch(error) else "invalid_response"
        message = _("%(network)s refused the connection (%(code)s).") % {
            "network": connector.label,
            "code": code,
        }
        return callback_error(request, message)
    try:
        with http.client() as client:
            info = connector.oauth_finish(
                client, pending.pending, request.GET["code"], pending.redirect_uri
            )
    except SIGN_IN_ERRORS as exc:
        message = flow.error_text(exc, list(pending.pending.values()))
        return callback_error(request, message)
    return saved(request, connector, info, pending.then)


# --- pasting a token (networks without a connector) -----------------------------------------


@workspace_view(Perm.MANAGE_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def connect_token(request: HttpRequest) -> HttpResponse:
    network = request.POST.get("network") or request.GET.get("network")
    choices = manual_networks(guided_networks())
    form = ConnectAccountForm(request.POST or None, network=network, choices=choices)
    if request.method == "POST" and form.network_code and form.is_valid():
        try:
            services.do_connect_account(
                request.workspace,
                request.user,
                network=form.cleaned_data["network"],
                handle=form.cleaned_data["handle"],
                display_name=form.cleaned_data["display_name"],
                credentials=form.credentials(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Account connected. Its credentials are stored encrypted."))
            return redirect("connectors:accounts", slug=request.workspace.slug)
    return render(request, "connectors/connect.html", {"form": form})


@workspace_view(Perm.MANAGE_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_in_workspace(ConnectedAccount, request.workspace, pk=pk)
    if account.network in guided_networks():
        # Its credentials come from the network (tokens, sessions): connect it again.
        context = {"account": account, "connect_url": connect_again_url(request, account)}
        return render(request, "connectors/reconnect.html", context)
    form = UpdateCredentialsForm(request.POST or None, network=account.network)
    if request.method == "POST" and form.is_valid():
        services.do_update_credentials(account, request.user, form.credentials())
        messages.success(request, _("Credentials updated."))
        return redirect("connectors:accounts", slug=request.workspace.slug)
    return render(request, "connectors/edit.html", {"form": form, "account": account})


def connect_again_url(request: HttpRequest, account: ConnectedAccount) -> str:
    base = reverse("connectors:connect", args=[request.workspace.slug])
    return f"{base}?network={account.network}"


@workspace_view(Perm.MANAGE_ACCOUNTS)
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_in_workspace(ConnectedAccount, request.workspace, pk=pk)
    services.do_remove_account(account, request.user)
    messages.success(request, _("Account removed."))
    return redirect("connectors:accounts", slug=request.workspace.slug)
