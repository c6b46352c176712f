from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parvis.core import health
from parvis.core.forms import ThrottledAuthenticationForm, TokenForm
from parvis.core.models import ApiToken
from parvis.core.tokens import do_create_token, do_revoke_token
from parvis.workspaces.access import user_workspaces


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health.report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    workspaces = user_workspaces(request.user)
    last = request.session.get("last_workspace")
    target = workspaces.filter(slug=last).first() if last else None
    # Otherwise the user's first workspace: for an agency member, their home brand.
    target = target or workspaces.order_by("memberships__created_at").first()
    if target is not None and not request.GET.get("all"):
        return redirect("workspaces:dashboard", slug=target.slug)
    return render(request, "core/home.html", {"workspaces": workspaces})


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        new_token = do_create_token(request.user, name=form.cleaned_data["name"]).raw
        form = TokenForm()
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True),
    }
    response = render(request, "core/tokens.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user, pk=pk, revoked_at__isnull=True).first()
    if token is not None:
        do_revoke_token(token, actor=request.user)
        messages.success(request, _("Token revoked."))
    return redirect("tokens")
