# ruff: noqa: F811  (pub-core fixtures are imported by name: no shared conftest here)
"""Recurring series: the rule's dates, occurrences on the workspace's clock across a change of
summer time, made once whoever fills the horizon, edited and stopped."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from parvis.publishing import approvals, engine
from parvis.publishing import series as rules
from parvis.publishing.models import (
    Frequency,
    Post,
    Series,
    SeriesOccurrence,
    Status,
)
from tests.conftest import login
from tests.publishing.pubcore_fixtures import (  # noqa: F401 (fixtures)
    account,
    client_member,
    network,
    one_step,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Both changes of summer time of 2027 in Paris: 28 March (02:00 → 03:00), 31 October.
BEFORE_SPRING = dt.datetime(2027, 3, 15, 12, 0, tzinfo=PARIS)
BEFORE_AUTUMN = dt.datetime(2027, 10, 18, 12, 0, tzinfo=PARIS)


@pytest.fixture
def paris(workspace):
    workspace.time_zone = "Europe/Paris"
    workspace.save(update_fields=["time_zone"])
    return workspace


def weekly(workspace, owner, account, **extra):
    values = {
        "name": "Le conseil du dimanche",
        "text": "Notre conseil de la semaine",
        "weekdays": [6],
        "time": dt.time(9, 0),
        "starts_on": dt.date(2027, 3, 1),
        "horizon_weeks": 3,
        "now": BEFORE_SPRING,
        **extra,
    }
    return rules.do_create_series(workspace, owner, accounts=[account.pk], **values)


def posts_of(series: Series) -> list[Post]:
    return [o.post for o in SeriesOccurrence.objects.filter(series=series).order_by("date")]


# --- the rule ---------------------------------------------------------------------------------


def unsaved(**values) -> Series:
    base = {"time": dt.time(9, 0), "starts_on": dt.date(2027, 1, 1), "interval": 1}
    return Series(**{**base, **values})


def test_weekly_dates_every_other_week_from_the_first_day():
    rule = unsaved(frequency=Frequency.WEEKLY, weekdays=[0, 3], interval=2)
    # 1 January 2027 is a Friday: its week (from Monday 28 December) is week 0, whose
    # Monday and Thursday come before the start; week 1 is skipped.
    assert rules.occurrence_dates(rule, dt.date(2027, 1, 31)) == [
        dt.date(2027, 1, 11),
        dt.date(2027, 1, 14),
        dt.date(2027, 1, 25),
        dt.date(2027, 1, 28),
    ]


def test_monthly_on_the_31st_takes_the_last_day_of_short_months():
    rule = unsaved(frequency=Frequency.MONTHLY, month_day=31, starts_on=dt.date(2028, 1, 1))
    assert rules.occurrence_dates(rule, dt.date(2028, 4, 30)) == [
        dt.date(2028, 1, 31),
        dt.date(2028, 2, 29),
        dt.date(2028, 3, 31),
        dt.date(2028, 4, 30),
    ]


def test_until_and_count_end_the_series():
    rule = unsaved(frequency=Frequency.WEEKLY, weekdays=[4], count=3)
    assert len(rules.occurrence_dates(rule, dt.date(2027, 12, 31))) == 3
    rule = unsaved(frequency=Frequency.WEEKLY, weekdays=[4], until=dt.date(2027, 1, 15))
    assert rules.occurrence_dates(rule, dt.date(2027, 12, 31)) == [
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 8),
        dt.date(2027, 1, 15),
    ]


# --- filling the horizon ------------------------------------------------------------------


def test_occurrences_keep_their_local_time_across_a_change_of_summer_time(paris, owner, account):
    series = weekly(paris, owner, account)
    posts = posts_of(series)
    # 21 and 28 March, 4 April: the horizon is three weeks from 15 March.
    assert [p.scheduled_at.astimezone(PARIS).date() for p in posts] == [
        dt.date(2027, 3, 21),
        dt.date(2027, 3, 28),
        dt.date(2027, 4, 4),
    ]
    assert {p.scheduled_at.astimezone(PARIS).time() for p in posts} == {dt.time(9, 0)}
    assert [p.scheduled_at.astimezone(dt.UTC).hour for p in posts] == [8, 7, 7]
    autumn = weekly(paris, owner, account, name="Automne", now=BEFORE_AUTUMN)
    utc = [p.scheduled_at.astimezone(dt.UTC).hour for p in posts_of(autumn)]
    # 24 October in summer time; 31 October, 09:00 comes after the change (03:00); 7 Nov.
    assert utc == [7, 8, 8]


def test_a_time_that_does_not_exist_on_the_day_of_the_change_is_the_hour_after(
    paris, owner, account
):
    series = weekly(paris, owner, account, time=dt.time(2, 30), horizon_weeks=2)
    day = next(p for p in posts_of(series) if p.scheduled_at.date() == dt.date(2027, 3, 28))
    assert day.scheduled_at.astimezone(PARIS).time() == dt.time(3, 30)


def test_each_occurrence_goes_through_approval_like_any_post(
    paris, owner, account, one_step, client_member
):
    series = weekly(paris, owner, account)
    first = posts_of(series)[0]
    assert first.status == Status.AWAITING_APPROVAL
    approvals.do_approve(first, client_member)
    first.refresh_from_db()
    assert first.status == Status.SCHEDULED


def test_with_no_approval_flow_occurrences_are_scheduled(paris, owner, account):
    assert {p.status for p in posts_of(weekly(paris, owner, account))} == {Status.SCHEDULED}


def test_filling_twice_creates_nothing_more(paris, owner, account):
    series = weekly(paris, owner, account)
    assert rules.do_fill(series, now=BEFORE_SPRING) == []
    assert rules.fill_all(now=BEFORE_SPRING) == 0
    assert SeriesOccurrence.objects.filter(series=series).count() == 3
    assert Post.objects.filter(workspace=paris).count() == 3


def test_two_workers_filling_at_once_make_one_post_per_date(paris, owner, account, monkeypatch):
    series = weekly(paris, owner, account)
    # The second worker read « nothing yet » before the first one committed: only the
    # unique constraint stands between it and a duplicate.
    monkeypatch.setattr(rules, "known_dates", lambda series, dates: set())
    assert rules.do_fill(series, now=BEFORE_SPRING) == []
    assert SeriesOccurrence.objects.filter(series=series).count() == 3
    assert Post.objects.filter(workspace=paris).count() == 3  # its posts rolled back
    with pytest.raises(IntegrityError):
        SeriesOccurrence.objects.create(
            workspace=paris, series=series, date=dt.date(2027, 3, 21), post=Post.objects.first()
        )


def test_the_horizon_moves_with_time_and_past_dates_are_never_made(paris, owner, account):
    series = weekly(paris, owner, account, starts_on=dt.date(2027, 1, 3))
    assert posts_of(series)[0].scheduled_at.date() == dt.date(2027, 3, 21)
    made = rules.do_fill(series, now=BEFORE_SPRING + dt.timedelta(weeks=1))
    assert [p.scheduled_at.astimezone(PARIS).date() for p in made] == [dt.date(2027, 4, 11)]


def test_a_count_limits_the_occurrences_made(paris, owner, account):
    series = weekly(paris, owner, account, starts_on=dt.date(2027, 3, 15), count=2)
    assert len(posts_of(series)) == 2
    # Counted from the first date: of four Sundays from 1 March, 7 and 14 March are past.
    late = weekly(paris, owner, account, name="Tard", count=4, horizon_weeks=10)
    assert [p.scheduled_at.astimezone(PARIS).day for p in posts_of(late)] == [21, 28]


# --- editing and stopping -------------------------------------------------------------------


def test_an_edit_changes_the_future_unpublished_posts_never_the_published_one(
    paris, owner, account, network
):
    series = weekly(paris, owner, account)
    first, second, third = posts_of(series)
    engine.run_due(first.scheduled_at)
    first.refresh_from_db()
    assert first.status == Status.PUBLISHED
    rules.do_update_series(
        series,
        owner,
        text="Nouveau conseil",
        time=dt.time(10, 30),
        now=BEFORE_SPRING,
    )
    first.refresh_from_db()
    assert first.text == "Notre conseil de la semaine"
    assert first.scheduled_at.astimezone(PARIS).time() == dt.time(9, 0)
    for post in (second, third):
        post.refresh_from_db()
        assert post.text == "Nouveau conseil"
        assert post.scheduled_at.astimezone(PARIS).time() == dt.time(10, 30)
        assert post.status == Status.SCHEDULED


def test_a_date_the_new_rule_drops_is_cancelled_and_the_new_ones_made(paris, owner, account):
    series = weekly(paris, owner, account)
    old = posts_of(series)
    rules.do_update_series(series, owner, weekdays=[5], now=BEFORE_SPRING)  # Saturdays
    for post in old:
        post.refresh_from_db()
        assert post.status == Status.CANCELLED
    days = [p.scheduled_at.astimezone(PARIS).date() for p in posts_of(series)]
    assert days == [dt.date(2027, 3, 20), dt.date(2027, 3, 27), dt.date(2027, 4, 3)]


def test_an_edited_text_goes_back_to_approval(paris, owner, account, one_step, client_member):
    series = weekly(paris, owner, account)
    first = posts_of(series)[0]
    approvals.do_approve(first, client_member)
    rules.do_update_series(series, owner, text="Relu ?", now=BEFORE_SPRING)
    first.refresh_from_db()
    assert (first.text, first.status) == ("Relu ?", Status.AWAITING_APPROVAL)


def test_stopping_cancels_what_is_to_come_and_makes_no_more(paris, owner, account, network):
    series = weekly(paris, owner, account)
    first = posts_of(series)[0]
    engine.run_due(first.scheduled_at)
    assert rules.do_stop_series(series, owner, now=BEFORE_SPRING) == 2
    statuses = [p.status for p in posts_of(series)]
    assert statuses == [Status.PUBLISHED, Status.CANCELLED, Status.CANCELLED]
    # The caller's copy still says « running »: the fill reads the row.
    assert series.stopped_at is None
    assert rules.do_fill(series, now=BEFORE_SPRING + dt.timedelta(weeks=4)) == []
    assert rules.do_stop_series(series, owner) == 0


def test_new_accounts_reach_the_posts_to_come(paris, owner, account):
    from tests.publishing.pubcore_helpers import threads_account

    other = threads_account(paris, owner, "lumiere.other")
    series = weekly(paris, owner, account)
    rules.do_update_series(series, owner, accounts=[other.pk], now=BEFORE_SPRING)
    for post in posts_of(series):
        assert list(post.variants.values_list("account_id", flat=True)) == [other.pk]


def test_one_broken_series_does_not_stop_the_others(paris, owner, account, monkeypatch):
    broken = weekly(paris, owner, account, name="Cassée", horizon_weeks=1)
    fine = weekly(paris, owner, account, name="Saine", horizon_weeks=1)
    Series.objects.filter(pk__in=[broken.pk, fine.pk]).update(horizon_weeks=4)
    real = rules.occurrence_dates

    def failing(series, last):
        if series.pk == broken.pk:
            raise RuntimeError("boom")
        return real(series, last)

    monkeypatch.setattr(rules, "occurrence_dates", failing)
    assert rules.fill_all(now=BEFORE_SPRING) == 3  # the fine one's next three weeks
    assert SeriesOccurrence.objects.filter(series=fine).count() == 4


# --- pages ----------------------------------------------------------------------------------


def form_data(account, **extra) -> dict:
    return {
        "name": "Vendredi",
        "text": "Bon week-end !",
        "accounts": [str(account.pk)],
        "frequency": "weekly",
        "interval": "1",
        "weekdays": ["4"],
        "time": "17:00",
        "starts_on": "2027-01-01",
        "horizon_weeks": "2",
        **extra,
    }


def test_a_series_is_started_edited_and_stopped_from_its_pages(workspace, owner, account):
    client = login(owner)
    response = client.post(f"/w/{workspace.slug}/publishing/series/", form_data(account))
    assert response.status_code == 302
    series = Series.objects.get(workspace=workspace)
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Vendredi" in page.content.decode()
    edited = client.post(
        f"/w/{workspace.slug}/publishing/series/{series.pk}/",
        form_data(account, text="Bon week-end à tous !"),
    )
    assert edited.status_code == 302
    series.refresh_from_db()
    assert series.text == "Bon week-end à tous !" and series.version == 2
    client.post(f"/w/{workspace.slug}/publishing/series/{series.pk}/stop/")
    series.refresh_from_db()
    assert series.stopped_at is not None


@pytest.mark.parametrize(
    "bad",
    [
        {"starts_on": "9999-01-01"},
        {"until": "9999-12-31"},
        {"interval": "0"},
        {"interval": str(2**64)},
        {"count": str(2**64)},
        {"horizon_weeks": "0"},
        {"weekdays": []},
        {"weekdays": ["9"]},
        {"frequency": "monthly"},  # without its day
        {"frequency": "monthly", "month_day": "32"},
        {"accounts": ["999999"]},
        {"time": "25:00"},
        {"until": "2026-12-01"},  # before the start
    ],
)
def test_bad_input_is_a_clear_error_never_a_500(workspace, owner, account, bad):
    response = login(owner).post(
        f"/w/{workspace.slug}/publishing/series/", form_data(account, **bad)
    )
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not Series.objects.exists()


def test_unstorable_text_is_refused(workspace, owner, account):
    with pytest.raises(ValidationError):
        weekly(workspace, owner, account, text="lone \ud800 surrogate")
    assert not Series.objects.exists()


def test_the_series_pages_in_french_and_in_english(workspace, owner, account):
    series = weekly(workspace, owner, account)
    client = login(owner)
    french = client.get(f"/w/{workspace.slug}/publishing/series/").content.decode()
    assert 'lang="fr"' in french and "Calendrier" in french and "Publier sur" in french
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"/w/{workspace.slug}/publishing/series/{series.pk}/").content.decode()
    assert 'lang="en"' in english and "Stop the series" in english


def test_another_workspaces_series_is_a_404(workspace, other_workspace, owner, account, outsider):
    series = weekly(workspace, owner, account)
    client = login(outsider)
    assert (
        client.get(f"/w/{other_workspace.slug}/publishing/series/{series.pk}/").status_code == 404
    )
    for path in (f"series/{series.pk}/", f"series/{series.pk}/stop/"):
        # Under the outsider's own workspace as under ours: not found either way.
        assert client.post(f"/w/{other_workspace.slug}/publishing/{path}").status_code == 404
        assert client.post(f"/w/{workspace.slug}/publishing/{path}").status_code == 404
    series.refresh_from_db()
    assert series.stopped_at is None


# --- two workers at once (PostgreSQL, where they really run in parallel) -----------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_filling_in_parallel_make_each_date_once(paris, owner, account):
    from django.db import connection

    from tests.publishing.test_engine_postgres import in_parallel

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    series = weekly(paris, owner, account, horizon_weeks=1)
    Series.objects.filter(pk=series.pk).update(horizon_weeks=6)
    results = in_parallel(
        lambda: rules.do_fill(series, now=BEFORE_SPRING),
        lambda: rules.do_fill(series, now=BEFORE_SPRING),
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(len(r) for r in results) == [0, 5]
    assert SeriesOccurrence.objects.filter(series=series).count() == 6
    assert Post.objects.filter(workspace=paris).count() == 6
