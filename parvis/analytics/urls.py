from django.urls import path

from parvis.analytics import views

app_name = "reports"

urlpatterns = [
    path("", views.archive, name="archive"),
    path("rows/", views.rows, name="rows"),
    path("dashboard/", views.dashboard_panel, name="dashboard"),
    path("settings/", views.settings_page, name="settings"),
    path("presence/", views.presence_page, name="presence"),
    path("<int:report_id>/download/", views.download, name="download"),
]
