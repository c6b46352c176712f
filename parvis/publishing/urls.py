from django.urls import path

from parvis.publishing import (
    views,
    views_besttime,
    views_contests,
    views_live,
    views_series,
    views_thread,
)

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
    # Threads in the composer, recurring series, live events (views_thread/series/live.py).
    path("thread/parts/", views_thread.thread_parts, name="thread_parts"),
    path("thread/checks/", views_thread.thread_checks, name="thread_checks"),
    path("series/", views_series.series_list, name="series_list"),
    path("series/<int:series_id>/", views_series.series_edit, name="series_edit"),
    path("series/<int:series_id>/stop/", views_series.series_stop, name="series_stop"),
    path("live/", views_live.live_list, name="live_list"),
    path("live/<int:event_id>/", views_live.live_session, name="live_session"),
    path("live/<int:event_id>/edit/", views_live.live_edit, name="live_edit"),
    path("live/<int:event_id>/queue/", views_live.live_queue, name="live_queue"),
    path("live/<int:event_id>/prepare/", views_live.live_prepare, name="live_prepare"),
    path(
        "live/<int:event_id>/release/<int:post_id>/", views_live.live_release, name="live_release"
    ),
]

# Best time to post (views_besttime.py).
urlpatterns += [
    path("besttime/", views_besttime.besttime, name="besttime"),
    path("besttime/next/", views_besttime.next_slot, name="next_slot"),
    path("besttime/<int:account_id>/", views_besttime.besttime, name="besttime_account"),
]

# Contests and sponsored boost suggestions (views_contests.py).
urlpatterns += [
    path("contests/", views_contests.contest_list, name="contests"),
    path("contests/new/", views_contests.contest_new, name="contest_new"),
    path("contests/<int:contest_id>/", views_contests.contest_detail, name="contest"),
    path("contests/<int:contest_id>/draw/", views_contests.contest_draw, name="contest_draw"),
    path("contests/<int:contest_id>/entries.csv", views_contests.contest_csv, name="contest_csv"),
    path("contests/<int:contest_id>/draw.json", views_contests.contest_json, name="contest_json"),
    path("boost/", views_contests.boost_view, name="boost"),
]
