from django.urls import path

from parvis.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("new/", views.compose, name="compose"),
    path("checks/", views.live_checks, name="live_checks"),
    path("settings/", views.publishing_settings, name="settings"),
    path("settings/campaigns/", views.campaign_add, name="campaign_add"),
    path("media/<int:media_id>/", views.media_file, name="media"),
    path("<int:post_id>/", views.post_detail, name="post"),
    path("<int:post_id>/edit/", views.compose, name="edit"),
    path("<int:post_id>/move/", views.move, name="move"),
    path("<int:post_id>/decide/", views.decide, name="decide"),
    path("<int:post_id>/act/", views.act, name="act"),
    path("<int:post_id>/override/", views.override, name="override"),
    path("<int:post_id>/link/", views.send_link, name="send_link"),
    path("<int:post_id>/retry/<int:variant_id>/", views.retry, name="retry"),
    path("<int:post_id>/media/<int:media_id>/alt/", views.media_alt, name="media_alt"),
]
