from django.contrib.auth import views as auth_views
from django.urls import include, path

from parvis.analytics import views as analytics_views
from parvis.api.api import api
from parvis.connectors import urls as connector_urls
from parvis.core import views
from parvis.moderation import views as moderation_views
from parvis.ops.metrics import metrics_view
from parvis.publishing import views as publishing_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Prometheus text format, only with PARVIS_METRICS_TOKEN as a bearer token (parvis/ops).
    path("metrics", metrics_view, name="metrics"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.revoke_token, name="token_revoke"),
    path("api/v1/", api.urls),
    path("w/<slug:slug>/", include("parvis.workspaces.urls")),
    path("w/<slug:slug>/accounts/", include("parvis.connectors.urls")),
    path("", include(connector_urls.oauth_urlpatterns)),
    path("w/<slug:slug>/listening/", include("parvis.listening.urls")),
    path("w/<slug:slug>/inbox/", include("parvis.inbox.urls")),
    path("w/<slug:slug>/moderation/", include("parvis.moderation.urls")),
    path("w/<slug:slug>/alerts/", include("parvis.alerts.urls")),
    path("w/<slug:slug>/publishing/", include("parvis.publishing.urls")),
    path("w/<slug:slug>/reports/", include("parvis.analytics.urls")),
    # Every client's calendar in one view, for a member of several workspaces.
    path("publishing/", publishing_views.agency_calendar, name="publishing_agency"),
    # Every client's objectives, late answers and open crises in one table.
    path("agency/", analytics_views.agency, name="agency"),
    # The signed link an approver gets by e-mail: no login, one post, used once.
    path("approve/<str:token>/", publishing_views.approval_link, name="publishing_approval_link"),
    path(
        "approve/<str:token>/media/<int:media_id>/",
        publishing_views.approval_link_media,
        name="publishing_approval_media",
    ),
    # The public moderation charter: no login, outside the workspace URLs.
    path("charte/<str:token>/", moderation_views.charter_public, name="moderation_charter"),
]
