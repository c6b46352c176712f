from django.urls import path

from parvis.alerts import views
from parvis.alerts.crisis import views as crisis

app_name = "alerts"

urlpatterns = [
    path("", views.episodes, name="list"),
    path("unread/", views.unread, name="unread"),
    path("read/", views.mark_read, name="read"),
    path("episodes/<int:episode_id>/", views.episode, name="episode"),
    path("notices/<int:notice_id>/", views.open_notice, name="notice"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("settings/", views.alert_settings, name="settings"),
    # The crisis room (parvis/alerts/crisis).
    path("episodes/<int:episode_id>/crisis/", crisis.room, name="crisis"),
    path("episodes/<int:episode_id>/crisis/start/", crisis.start, name="crisis_start"),
    path("episodes/<int:episode_id>/crisis/notify/", crisis.notify, name="crisis_notify"),
    path("episodes/<int:episode_id>/crisis/note/", crisis.note, name="crisis_note"),
    path("episodes/<int:episode_id>/crisis/close/", crisis.close, name="crisis_close"),
    path(
        "episodes/<int:episode_id>/crisis/summary/",
        crisis.refresh_summary,
        name="crisis_summary",
    ),
    path(
        "episodes/<int:episode_id>/crisis/tasks/<int:task_id>/",
        crisis.tick,
        name="crisis_task",
    ),
    path(
        "episodes/<int:episode_id>/crisis/statements/<int:statement_id>/",
        crisis.use_statement,
        name="crisis_statement",
    ),
    path("playbook/", crisis.playbook, name="playbook"),
    path("playbook/statements/new/", crisis.statement_edit, name="statement_new"),
    path("playbook/statements/<int:statement_id>/", crisis.statement_edit, name="statement_edit"),
    path(
        "playbook/statements/<int:statement_id>/delete/",
        crisis.statement_delete,
        name="statement_delete",
    ),
]
