from django.urls import path

from parvis.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.episodes, name="list"),
    path("unread/", views.unread, name="unread"),
    path("read/", views.mark_read, name="read"),
    path("episodes/<int:episode_id>/", views.episode, name="episode"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("settings/", views.alert_settings, name="settings"),
]
