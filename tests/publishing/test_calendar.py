import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from parvis.publishing import calendar as cal
from parvis.publishing.calendar import (
    AHEAD,
    BEHIND,
    ON_PLAN,
    OutOfRange,
    cadence,
    day_bounds,
    day_hours,
    month_grid,
    parse_day,
    parse_month,
    parse_week,
    place,
    week_grid,
)
from parvis.publishing.holidays import days_between

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
D = dt.date


def at(*args, zone=UTC):
    return dt.datetime(*args, tzinfo=zone)


def test_dst_days_have_23_and_25_hours_in_paris():
    assert day_hours(D(2026, 3, 29), PARIS) == 23
    assert day_hours(D(2026, 10, 25), PARIS) == 25
    assert day_hours(D(2026, 12, 7), PARIS) == 24
    start, end = day_bounds(D(2026, 3, 29), PARIS)
    assert start == at(2026, 3, 28, 23)
    assert end == at(2026, 3, 29, 22)


def test_a_zone_without_midnight_starts_its_day_at_one():
    # Santiago springs forward at midnight: 2026-09-06 00:00 does not exist there.
    santiago = ZoneInfo("America/Santiago")
    start, _end = day_bounds(D(2026, 9, 6), santiago)
    assert start.astimezone(santiago).date() == D(2026, 9, 6)
    assert start.astimezone(santiago).hour == 1
    assert day_hours(D(2026, 9, 6), santiago) == 23


def test_month_grid_starts_on_monday_and_covers_whole_weeks():
    weeks = month_grid(2026, 12, PARIS)
    assert len(weeks) == 5
    assert weeks[0].cells[0].date == D(2026, 11, 30)
    assert weeks[-1].cells[-1].date == D(2027, 1, 3)
    assert all(len(w.cells) == 7 and w.cells[0].date.weekday() == 0 for w in weeks)
    assert [c.in_month for c in weeks[0].cells] == [False] + [True] * 6
    assert len(month_grid(2027, 2, PARIS)) == 4  # starts on a Monday, 28 days
    assert len(month_grid(2026, 8, PARIS)) == 6  # Saturday the 1st to Monday the 31st
    start, end = cal.grid_range(weeks)
    assert start == at(2026, 11, 29, 23)
    assert end == at(2027, 1, 3, 23)


def test_month_grid_days_are_the_zones_days():
    weeks = month_grid(2026, 3, PARIS)
    cell = next(c for w in weeks for c in w.cells if c.date == D(2026, 3, 29))
    assert cell.hours == 23
    assert cell.is_weekend


def test_week_grid_is_the_iso_week():
    week = week_grid(D(2026, 12, 31), PARIS)
    assert week.monday == D(2026, 12, 28)
    assert week.iso == (2026, 53)
    assert [c.date.day for c in week.cells] == [28, 29, 30, 31, 1, 2, 3]
    assert all(c.in_month for c in week.cells)


def test_items_go_to_their_local_day():
    weeks = month_grid(2026, 3, PARIS)
    posts = [
        ("late saturday UTC", at(2026, 3, 28, 23, 30)),  # Sunday 00:30 in Paris
        ("sunday evening", at(2026, 3, 29, 21, 59)),  # 23:59 in Paris (summer time)
        ("monday", at(2026, 3, 29, 22, 0)),  # Monday 00:00 in Paris
        ("far", at(2026, 6, 1)),
    ]
    outside = place(weeks, posts, lambda p: p[1], PARIS)
    cells = {c.date: [p[0] for p in c.items] for w in weeks for c in w.cells}
    assert cells[D(2026, 3, 29)] == ["late saturday UTC", "sunday evening"]
    assert cells[D(2026, 3, 30)] == ["monday"]
    assert [p[0] for p in outside] == ["far"]
    with pytest.raises(ValueError):
        place(weeks, [dt.datetime(2026, 3, 3)], lambda p: p, PARIS)


def test_mark_days_puts_holidays_in_their_cells():
    weeks = month_grid(2026, 5, PARIS)
    cal.mark_days(weeks, days_between(weeks[0].cells[0].date, weeks[-1].cells[-1].date))
    cells = {c.date: [d.key for d in c.days] for w in weeks for c in w.cells}
    assert cells[D(2026, 5, 1)] == ["labour_day"]
    assert cells[D(2026, 5, 14)] == ["ascension"]
    assert cells[D(2026, 5, 31)] == ["mothers_day"]
    assert cells[D(2026, 5, 2)] == []


def test_list_range_counts_local_days():
    start, end = cal.list_range(D(2026, 10, 24), 2, PARIS)
    assert start == at(2026, 10, 23, 22)
    assert end == at(2026, 10, 25, 23)  # the 25th had 25 hours
    assert (end - start) == dt.timedelta(hours=49)


def test_cadence_per_iso_week_in_the_zone():
    plan = {"instagram": 3, "bluesky": 1, "mastodon": 0}
    posts = [
        ("instagram", at(2026, 12, 7, 9)),
        ("instagram", at(2026, 12, 9, 9)),
        # Sunday 13th at 23:30 in Paris is 22:30 UTC: still week 50.
        ("instagram", at(2026, 12, 13, 22, 30)),
        # Monday 14th at 00:30 in Paris is Sunday 23:30 UTC: week 51.
        ("bluesky", at(2026, 12, 13, 23, 30)),
        ("bluesky", at(2026, 12, 15, 8)),
        ("mastodon", at(2026, 12, 8, 8)),  # not planned: not shown
    ]
    result = cadence(plan, posts, [(2026, 50), (2026, 51)], PARIS)
    week50 = {c.network: c for c in result[(2026, 50)]}
    week51 = {c.network: c for c in result[(2026, 51)]}
    assert set(week50) == {"instagram", "bluesky"}
    assert (week50["instagram"].actual, week50["instagram"].state) == (3, ON_PLAN)
    assert (week50["bluesky"].actual, week50["bluesky"].state) == (0, BEHIND)
    assert week50["bluesky"].gap == 1
    assert (week51["instagram"].state, week51["instagram"].gap) == (BEHIND, 3)
    assert (week51["bluesky"].actual, week51["bluesky"].state) == (2, AHEAD)
    assert week51["bluesky"].delta == 1


def test_cadence_of_the_grids_weeks():
    weeks = month_grid(2026, 12, PARIS)
    result = cadence({"bluesky": 2}, [], [w.iso for w in weeks], PARIS)
    assert list(result) == [(2026, 49), (2026, 50), (2026, 51), (2026, 52), (2026, 53)]
    assert all(cells[0].gap == 2 for cells in result.values())


TODAY = D(2026, 12, 7)


def test_parse_month_week_day():
    assert parse_month("", TODAY) == (2026, 12)
    assert parse_month("2027-02", TODAY) == (2027, 2)
    assert parse_week(None, TODAY) == D(2026, 12, 7)
    assert parse_week("2026-W53", TODAY) == D(2026, 12, 28)
    assert parse_day("2026-03-29", TODAY) == D(2026, 3, 29)
    assert cal.shift_month(2026, 12, 1) == (2027, 1)
    assert cal.shift_month(2026, 1, -1) == (2025, 12)
    assert cal.week_key(D(2027, 1, 1)) == "2026-W53"
    assert cal.month_key(2026, 3) == "2026-03"


@pytest.mark.parametrize(
    "value", ["9999-01", "2026-13", "2026-00", "0000-01", "abc", "2026-1", "\ud800", "9" * 10_000]
)
def test_parse_month_refuses_bad_input(value):
    with pytest.raises(OutOfRange):
        parse_month(value, TODAY)


@pytest.mark.parametrize("value", ["2027-W53", "2026-W00", "9999-W01", "2026-W5", "x" * 5000])
def test_parse_week_refuses_bad_input(value):
    with pytest.raises(OutOfRange):
        parse_week(value, TODAY)


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30",
        "9999-12-31",
        "2026-3-1",
        "2026-03-01T00",
        "\u0662\u0660\u0662\u0666-\u0660\u0663-\u0660\u0661",
    ],
)
def test_parse_day_refuses_bad_input(value):
    with pytest.raises(OutOfRange):
        parse_day(value, TODAY)


def test_grids_refuse_years_out_of_range():
    with pytest.raises(OutOfRange):
        month_grid(9999, 12, PARIS)
    with pytest.raises(OutOfRange):
        week_grid(D(1, 1, 1), PARIS)
