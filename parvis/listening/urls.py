from django.urls import path

from parvis.listening import views

app_name = "listening"

urlpatterns = [
    path("", views.explorer_view, name="explorer"),
    path("export.csv", views.export_csv, name="export"),
    path("mentions/<int:mention_id>/", views.mention_detail, name="mention"),
    path("mentions/<int:mention_id>/correct/", views.mention_correct, name="mention_correct"),
    path("corrections/", views.corrections_view, name="corrections"),
    path("corrections.csv", views.corrections_export, name="corrections_export"),
    path("overview/", views.overview_view, name="overview"),
    path("queries/", views.queries, name="queries"),
    path("queries/new/", views.query_edit, name="query_new"),
    path("queries/seed/", views.queries_seed, name="queries_seed"),
    path("queries/preview/", views.query_preview, name="query_preview"),
    path("queries/<int:query_id>/", views.query_edit, name="query_edit"),
    path("queries/<int:query_id>/delete/", views.query_delete, name="query_delete"),
    path("sources/", views.sources, name="sources"),
    path("sources/new/", views.source_new, name="source_new"),
    path("sources/<int:source_id>/", views.source_edit, name="source_edit"),
    path("sources/<int:source_id>/pause/", views.source_pause, name="source_pause"),
    path("sources/<int:source_id>/resume/", views.source_resume, name="source_resume"),
    path("sources/<int:source_id>/run/", views.source_run, name="source_run"),
    path("sources/<int:source_id>/delete/", views.source_delete, name="source_delete"),
    path("quarantine/", views.quarantine, name="quarantine"),
    path("views/save/", views.view_save, name="view_save"),
    path("views/<int:view_id>/delete/", views.view_delete, name="view_delete"),
]
