from django.urls import path

from parvis.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("strategy/", views.strategy, name="strategy"),
    path("strategy/editorial-line/", views.edit_editorial_line, name="editorial_line"),
    path("strategy/time-zone/", views.edit_time_zone, name="time_zone"),
    path("strategy/history/", views.strategy_history, name="strategy_history"),
    path("strategy/<str:kind>/new/", views.edit_item, name="item_new"),
    path("strategy/<str:kind>/<int:pk>/", views.edit_item, name="item_edit"),
    path("strategy/<str:kind>/<int:pk>/delete/", views.delete_item, name="item_delete"),
    path("members/", views.members, name="members"),
    path("members/add/", views.add_member, name="member_add"),
    path("members/<int:pk>/", views.change_member, name="member_change"),
    path("audit/", views.audit_log, name="audit"),
]
