from django.urls import path

from parvis.connectors import views
from parvis.connectors.facebook import views as facebook_views
from parvis.connectors.instagram import views as instagram_views
from parvis.connectors.x import views as x_views

app_name = "connectors"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path("connect/", views.connect, name="connect"),
    path("connect/token/", views.connect_token, name="connect_token"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/remove/", views.remove, name="remove"),
]

# Not under a workspace: networks register one fixed redirect address (see parvis/urls.py).
oauth_urlpatterns = [
    path("connect/oauth/callback/", views.oauth_callback, name="oauth_callback"),
    # Meta's webhook deliveries (signed with the app secret), see connectors/facebook/webhook.py.
    path("hooks/facebook/", facebook_views.facebook_webhook, name="facebook_webhook"),
    # Instagram's, and the media files Instagram fetches to publish them (signed addresses).
    path("hooks/instagram/", instagram_views.instagram_webhook, name="instagram_webhook"),
    path(
        "hooks/instagram/media/<str:token>/",
        instagram_views.instagram_media,
        name="instagram_media",
    ),
    # X's Account Activity deliveries (signed with the consumer secret): connectors/x/webhook.py.
    path("hooks/x/", x_views.x_webhook, name="x_webhook"),
]
