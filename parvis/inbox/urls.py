from django.urls import path

from parvis.inbox import views, views_event

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("bulk/", views.bulk, name="bulk"),
    path("unread/", views.unread, name="unread"),
    path("<int:conversation_id>/", views.conversation_view, name="conversation"),
    path("<int:conversation_id>/assign/", views.assign, name="assign"),
    path("<int:conversation_id>/status/", views.set_status, name="status"),
    path("<int:conversation_id>/priority/", views.set_priority, name="priority"),
    path("<int:conversation_id>/snooze/", views.snooze, name="snooze"),
    path("<int:conversation_id>/tags/", views.tags, name="tags"),
    path("<int:conversation_id>/note/", views.note, name="note"),
    path("<int:conversation_id>/escalate/", views.escalate, name="escalate"),
    path("<int:conversation_id>/reply/", views.reply, name="reply"),
    path("<int:conversation_id>/retry/", views.retry, name="retry"),
    path("<int:conversation_id>/fill/", views.fill, name="fill"),
    path("saved-replies/", views.saved_replies, name="saved_replies"),
    path("saved-replies/<int:saved_id>/", views.saved_reply_edit, name="saved_reply_edit"),
    path(
        "saved-replies/<int:saved_id>/delete/",
        views.saved_reply_delete,
        name="saved_reply_delete",
    ),
    path("take/<int:mention_id>/", views.take_mention, name="take"),
    path("settings/", views.inbox_settings, name="settings"),
    path("settings/teams/", views.team_save, name="team_save"),
    path("performance/", views.performance, name="performance"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    # What publishing's live-event page fetches beside its queue (views_event.py).
    path("event-panel/", views_event.event_panel, name="event_panel"),
]
