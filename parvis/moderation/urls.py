from django.urls import path

from parvis.moderation import views

app_name = "moderation"

urlpatterns = [
    path("", views.rules, name="rules"),
    path("install/", views.install, name="install"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/preview/", views.rule_preview, name="rule_preview"),
    path("rules/condition/", views.condition_row, name="condition_row"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/switch/", views.rule_toggle, name="rule_toggle"),
    path("rules/<int:rule_id>/move/", views.rule_move, name="rule_move"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("review/", views.review, name="review"),
    path("review/bulk/", views.review_bulk, name="review_bulk"),
    path("review/<int:review_id>/", views.review_decide, name="review_decide"),
    path("log/", views.log, name="log"),
    path("items/<int:message_id>/", views.item, name="item"),
    path("items/<int:message_id>/hide/", views.item_hide, name="item_hide"),
    path("items/<int:message_id>/restore/", views.item_restore, name="item_restore"),
    path("charter/", views.charter, name="charter"),
    path("lists/", views.author_lists, name="lists"),
    path("lists/<int:entry_id>/remove/", views.list_remove, name="list_remove"),
    path("pending/", views.pending, name="pending"),
]
