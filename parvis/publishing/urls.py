from django.urls import path

from parvis.publishing import views, views_besttime, views_contests

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
