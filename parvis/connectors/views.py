from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from parvis.connectors import services
from parvis.connectors.forms import ConnectAccountForm, UpdateCredentialsForm
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.networks import NETWORKS
from parvis.workspaces.access import get_in_workspace, scoped, workspace_view
from parvis.workspaces.roles import Perm


@workspace_view()
def accounts(request: HttpRequest) -> HttpResponse:
    context = {
        "accounts": scoped(ConnectedAccount, request.workspace),
        "can_manage": request.membership.can(Perm.MANAGE_ACCOUNTS),
        "networks": NETWORKS.values(),
    }
    return render(request, "connectors/accounts.html", context)


@workspace_view(Perm.MANAGE_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    network = request.POST.get("network") or request.GET.get("network")
    form = ConnectAccountForm(request.POST or None, network=network)
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
    form = UpdateCredentialsForm(request.POST or None, network=account.network)
    if request.method == "POST" and form.is_valid():
        services.do_update_credentials(account, request.user, form.credentials())
        messages.success(request, _("Credentials updated."))
        return redirect("connectors:accounts", slug=request.workspace.slug)
    return render(request, "connectors/edit.html", {"form": form, "account": account})


@workspace_view(Perm.MANAGE_ACCOUNTS)
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_in_workspace(ConnectedAccount, request.workspace, pk=pk)
    services.do_remove_account(account, request.user)
    messages.success(request, _("Account removed."))
    return redirect("connectors:accounts", slug=request.workspace.slug)
