"""The SLA clock (parvis/inbox/sla.py) on fixed instants: no sleeping, no now()."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from parvis.inbox.sla import (
    BusinessCalendar,
    SlaState,
    clock_state,
    median,
    percentile,
    remaining_seconds,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
HOUR = 3600.0
SPRING = dt.date(2026, 3, 29)  # 02:00 -> 03:00 in Paris
AUTUMN = dt.date(2026, 10, 25)  # 03:00 -> 02:00 in Paris


def t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


def paris(*args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS, fold=fold)  # type: ignore[misc]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def every_day(*spans: tuple[dt.time, dt.time], zone: str = "Europe/Paris") -> BusinessCalendar:
    return BusinessCalendar(zone, {day: spans for day in range(7)})


def office(holidays: frozenset[dt.date] = frozenset()) -> BusinessCalendar:
    """Monday to Friday, 09:00-18:00 in Paris."""
    return BusinessCalendar("Europe/Paris", {day: ((t(9), t(18)),) for day in range(5)}, holidays)


def whole_day(cal: BusinessCalendar, day: dt.date) -> float:
    start = dt.datetime.combine(day, t(0), tzinfo=PARIS)
    return cal.business_seconds(start, start + dt.timedelta(days=1))


# --- summer time ---------------------------------------------------------------------------


def test_a_night_span_lasts_the_real_time_on_both_dst_days():
    cal = every_day((t(1), t(4)))
    assert whole_day(cal, SPRING) == 2 * HOUR
    assert whole_day(cal, AUTUMN) == 4 * HOUR
    assert whole_day(cal, dt.date(2026, 6, 1)) == 3 * HOUR
    assert list(cal.open_intervals(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))) == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    ]
    assert list(cal.open_intervals(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))) == [
        (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    ]


def test_a_day_span_is_nine_hours_on_both_dst_days():
    cal = every_day((t(9), t(18)))
    assert whole_day(cal, SPRING) == 9 * HOUR
    assert whole_day(cal, AUTUMN) == 9 * HOUR


def test_a_span_containing_the_skipped_hour():
    cal = every_day((t(1, 30), t(3, 30)))
    assert whole_day(cal, SPRING) == 1 * HOUR  # 01:30 CET to 03:30 CEST
    assert whole_day(cal, AUTUMN) == 3 * HOUR  # the 02:xx hour counts twice
    assert whole_day(cal, dt.date(2026, 3, 30)) == 2 * HOUR


def test_a_time_in_the_skipped_hour_is_the_instant_of_the_jump():
    # 02:30 does not exist on the spring day: it is 03:00 CEST (01:00 UTC), the instant the
    # clock jumps over it.
    cal = every_day((t(2, 30), t(5)))
    assert list(cal.open_intervals(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 3))
    ]
    # A span wholly inside the skipped hour is closed that day, open the next.
    gap = every_day((t(2), t(2, 30)))
    assert whole_day(gap, SPRING) == 0
    assert whole_day(gap, dt.date(2026, 3, 30)) == 30 * 60
    ends_in_gap = every_day((t(1), t(2, 30)))
    assert whole_day(ends_in_gap, SPRING) == 1 * HOUR  # 01:00 CET to the jump at 03:00 CEST


def test_an_ambiguous_time_is_its_first_occurrence():
    # 02:30 happens twice on the autumn day: the span opens at the first, 00:30 UTC (CEST).
    cal = every_day((t(2, 30), t(5)))
    assert list(cal.open_intervals(utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 4))
    ]
    assert whole_day(every_day((t(2), t(2, 30))), AUTUMN) == 30 * 60  # the first 02:00-02:30
    early = every_day((t(0), t(2, 30)))
    assert whole_day(early, AUTUMN) == 2.5 * HOUR  # closes at the first 02:30


def test_spans_meeting_in_the_dst_hour_stay_contiguous():
    cal = every_day((t(0), t(2, 30)), (t(2, 30), t(5)))
    for day, hours in ((SPRING, 4), (AUTUMN, 6), (dt.date(2026, 6, 1), 5)):
        start = dt.datetime.combine(day, t(0), tzinfo=PARIS)
        intervals = list(cal.open_intervals(start, start + dt.timedelta(days=1)))
        assert len(intervals) == 1
        assert intervals[0][1] - intervals[0][0] == dt.timedelta(hours=hours)


def test_dst_day_targets_are_counted_in_real_time():
    cal = every_day((t(1), t(4)))
    # Saturday 03:00 + 2 h: Saturday 04:00 is 1 h, the rest is Sunday 01:00 CET -> 02:00 CET.
    due = cal.add_business_seconds(paris(2026, 3, 28, 3), 2 * HOUR)
    assert due == utc(2026, 3, 29, 1)  # 03:00 CEST, the wall clock having jumped


# --- weekends, holidays, nights ------------------------------------------------------------


def test_friday_evening_message_is_due_on_monday_noon():
    cal = office()
    friday = paris(2026, 6, 5, 17)
    assert cal.add_business_seconds(friday, 4 * HOUR) == paris(2026, 6, 8, 12)
    assert cal.business_seconds(friday, paris(2026, 6, 8, 12)) == 4 * HOUR


def test_a_holiday_monday_moves_the_target_to_tuesday():
    cal = office(frozenset({dt.date(2026, 6, 8)}))
    assert cal.add_business_seconds(paris(2026, 6, 5, 17), 4 * HOUR) == paris(2026, 6, 9, 12)


def test_a_target_met_at_closing_time_is_that_closing_time():
    assert office().add_business_seconds(paris(2026, 6, 5, 17), HOUR) == paris(2026, 6, 5, 18)


def test_a_saturday_message_starts_counting_on_monday_morning():
    cal = office()
    saturday = paris(2026, 6, 6, 10)
    assert cal.next_open(saturday) == paris(2026, 6, 8, 9)
    assert cal.add_business_seconds(saturday, 0) == paris(2026, 6, 8, 9)
    assert cal.add_business_seconds(saturday, HOUR) == paris(2026, 6, 8, 10)
    assert cal.business_seconds(saturday, paris(2026, 6, 8, 9)) == 0


def test_next_open_of_an_open_instant_is_itself_and_results_are_utc():
    at = paris(2026, 6, 8, 10, 15)
    assert office().next_open(at) == at
    assert office().next_open(at).tzinfo is UTC
    assert office().next_open(paris(2026, 6, 8, 18)) == paris(2026, 6, 9, 9)  # end is exclusive


def test_a_night_across_midnight_as_two_spans():
    # Monday 22:00-00:00 and Tuesday 00:00-02:00, written both ways in the stored form.
    for end in ("00:00", "24:00"):
        cal = BusinessCalendar.from_settings(
            "Europe/Paris", {"0": [["22:00", end]], "1": [["00:00", "02:00"]]}, []
        )
        monday = paris(2026, 6, 8, 12)
        assert list(cal.open_intervals(monday, monday + dt.timedelta(days=2))) == [
            (paris(2026, 6, 8, 22), paris(2026, 6, 9, 2))
        ]
        assert cal.add_business_seconds(paris(2026, 6, 8, 23), 2 * HOUR) == paris(2026, 6, 9, 1)
        assert cal.add_business_seconds(monday, 4 * HOUR) == paris(2026, 6, 9, 2)
        assert cal.business_seconds(monday, monday + dt.timedelta(days=7)) == 4 * HOUR


def test_open_intervals_are_clipped_to_the_range():
    cal = office()
    got = list(cal.open_intervals(paris(2026, 6, 8, 10), paris(2026, 6, 9, 11)))
    assert got == [
        (paris(2026, 6, 8, 10), paris(2026, 6, 8, 18)),
        (paris(2026, 6, 9, 9), paris(2026, 6, 9, 11)),
    ]
    assert list(cal.open_intervals(paris(2026, 6, 9), paris(2026, 6, 8))) == []
    assert cal.business_seconds(paris(2026, 6, 9), paris(2026, 6, 8)) == 0


def test_several_spans_a_day():
    cal = BusinessCalendar.from_settings(
        "Europe/Paris", {"2": [["09:00", "12:30"], ["14:00", "18:00"]]}, []
    )
    wednesday = paris(2026, 6, 10, 11)
    assert cal.business_seconds(wednesday, paris(2026, 6, 10, 15)) == 2.5 * HOUR
    assert cal.add_business_seconds(wednesday, 2 * HOUR) == paris(2026, 6, 10, 14, 30)


# --- always open, and the round trip -------------------------------------------------------


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York"])
def test_always_open_is_wall_clock_arithmetic(zone):
    cal = BusinessCalendar.always_open(zone)
    rng = random.Random(20260329)
    base = utc(2025, 12, 1)
    for _ in range(200):
        start = base + dt.timedelta(seconds=rng.randrange(400 * 86400))
        span = dt.timedelta(seconds=rng.randrange(40 * 86400), microseconds=rng.randrange(10**6))
        assert cal.business_seconds(start, start + span) == span.total_seconds()
        assert cal.add_business_seconds(start, span.total_seconds()) == start + span
        assert cal.next_open(start) == start
    year = list(cal.open_intervals(base, base + dt.timedelta(days=365)))
    assert year == [(base, base + dt.timedelta(days=365))]


@pytest.mark.parametrize(
    "cal",
    [
        office(frozenset({dt.date(2026, 5, 1), dt.date(2026, 12, 25)})),
        every_day((t(1), t(4)), (t(22), t(0))),
        every_day((t(2, 30), t(3, 15)), zone="Europe/Paris"),
        BusinessCalendar("America/New_York", {0: ((t(8), t(20)),), 5: ((t(0), t(0)),)}),
    ],
    ids=["office", "nights", "dst-hour", "new-york"],
)
def test_business_seconds_inverts_add_business_seconds(cal):
    rng = random.Random(7)
    base = utc(2025, 12, 1)
    for _ in range(300):
        start = base + dt.timedelta(seconds=rng.randrange(400 * 86400))
        if rng.random() < 0.5:
            seconds: float = rng.randrange(5 * 86400)
        else:
            seconds = rng.randrange(5 * 86400 * 10**6) / 10**6  # to the microsecond
        due = cal.add_business_seconds(start, seconds)
        assert cal.business_seconds(start, due) == seconds
        assert due >= start
        # The earliest such instant: a microsecond less is short of the target.
        if seconds:
            assert cal.business_seconds(start, due - dt.timedelta(microseconds=1)) < seconds


def test_business_seconds_matches_a_minute_by_minute_count():
    # Spans clear of the 02:00-03:00 hour, so reading each minute's local wall clock is an
    # independent oracle, DST days included.
    cal = BusinessCalendar(
        "Europe/Paris",
        {0: ((t(9), t(12)), (t(13, 30), t(18))), 2: ((t(0), t(1, 45)),), 5: ((t(3, 15), t(0)),)},
        frozenset({dt.date(2026, 3, 30), dt.date(2026, 10, 26)}),
    )

    def open_at(instant: dt.datetime) -> bool:
        local = instant.astimezone(PARIS)
        if local.date() in cal.holidays:
            return False
        wall = local.time().replace(tzinfo=None)
        return any(
            start <= wall and (end == t(0) or wall < end)
            for start, end in cal.hours.get(local.weekday(), ())
        )

    rng = random.Random(11)
    for around in (utc(2026, 3, 28), utc(2026, 10, 24), utc(2026, 6, 5)):
        for _ in range(12):
            start = around + dt.timedelta(minutes=rng.randrange(4 * 1440))
            minutes = rng.randrange(4 * 1440)
            expected = sum(open_at(start + dt.timedelta(minutes=m)) for m in range(minutes))
            assert cal.business_seconds(start, start + dt.timedelta(minutes=minutes)) == (
                expected * 60
            )


def test_a_year_long_range_is_counted_day_by_day():
    cal = office(frozenset({dt.date(2026, 12, 25)}))
    # 2026 has 261 weekdays; Christmas is a Friday.
    assert cal.business_seconds(paris(2026, 1, 1), paris(2027, 1, 1)) == 260 * 9 * HOUR


# --- no opening ----------------------------------------------------------------------------


def test_a_calendar_without_opening_hours():
    closed = BusinessCalendar("Europe/Paris", {})
    assert closed.business_seconds(paris(2026, 1, 1), paris(2027, 1, 1)) == 0
    with pytest.raises(ValueError, match="400 days"):
        closed.add_business_seconds(paris(2026, 1, 1), 60)
    with pytest.raises(ValueError, match="400 days"):
        closed.next_open(paris(2026, 1, 1))


def test_the_search_gives_up_after_400_closed_days_only():
    mondays = {dt.date(2026, 1, 5) + dt.timedelta(weeks=w) for w in range(80)}
    cal = BusinessCalendar("UTC", {0: ((t(9), t(10)),)}, frozenset(mondays))
    with pytest.raises(ValueError, match="no opening hours"):
        cal.next_open(utc(2026, 1, 1))
    shorter = BusinessCalendar("UTC", {0: ((t(9), t(10)),)}, frozenset(sorted(mondays)[:50]))
    assert shorter.next_open(utc(2026, 1, 1)) == utc(2026, 12, 21, 9)
    # A long target is not a closed calendar: a year of weekly hours is found.
    weekly = BusinessCalendar("UTC", {0: ((t(9), t(10)),)})
    assert weekly.add_business_seconds(utc(2026, 1, 1), 100 * HOUR) == utc(2027, 11, 29, 10)


def test_the_search_bound_is_400_days():
    start = dt.date(2026, 1, 1)
    days = [start + dt.timedelta(days=n) for n in range(401)]
    found = BusinessCalendar(
        "UTC", {day: ((t(9), t(10)),) for day in range(7)}, frozenset(days[:400])
    )
    assert found.next_open(utc(2026, 1, 1)) == utc(2027, 2, 5, 9)  # 400 days later
    lost = BusinessCalendar("UTC", found.hours, frozenset(days))
    with pytest.raises(ValueError, match="400 days"):
        lost.next_open(utc(2026, 1, 1))


# --- clock states --------------------------------------------------------------------------


def test_clock_states():
    cal = office()
    started = paris(2026, 6, 5, 17)  # Friday; 4 h target
    due = paris(2026, 6, 8, 12)  # Monday noon

    def state(now: dt.datetime, done_at: dt.datetime | None = None) -> SlaState:
        return clock_state(started_at=started, due_at=due, now=now, done_at=done_at, calendar=cal)

    assert state(paris(2026, 6, 6, 15)) is SlaState.OK  # Saturday: 3 business hours left
    assert state(paris(2026, 6, 8, 10, 59)) is SlaState.OK
    assert state(paris(2026, 6, 8, 11)) is SlaState.AT_RISK  # 1 h left = 25 % of 4 h
    assert state(due) is SlaState.AT_RISK  # not yet past due
    assert state(due + dt.timedelta(microseconds=1)) is SlaState.BREACHED
    assert state(paris(2026, 6, 9, 9), done_at=due) is SlaState.MET
    assert state(paris(2026, 6, 9, 9), done_at=paris(2026, 6, 8, 12, 1)) is SlaState.BREACHED
    assert state(paris(2026, 6, 6, 9), done_at=paris(2026, 6, 5, 17, 30)) is SlaState.MET
    wary = clock_state(
        started_at=started,
        due_at=due,
        now=paris(2026, 6, 8, 9),
        done_at=None,
        calendar=cal,
        at_risk_ratio=0.8,
    )
    assert wary is SlaState.AT_RISK  # 3 h left <= 80 % of 4 h
    assert SlaState.NONE.value == "none"
    with pytest.raises(ValueError, match="at_risk_ratio"):
        clock_state(
            started_at=started, due_at=due, now=due, done_at=None, calendar=cal, at_risk_ratio=2
        )


def test_remaining_seconds_counts_overdue_time_in_business_hours():
    cal = office()
    due = paris(2026, 6, 5, 17)  # Friday
    assert remaining_seconds(cal, paris(2026, 6, 5, 15), due) == 2 * HOUR
    assert remaining_seconds(cal, due, due) == 0
    assert remaining_seconds(cal, paris(2026, 6, 7, 20), due) == -HOUR  # the weekend is free
    assert remaining_seconds(cal, paris(2026, 6, 8, 10), due) == -2 * HOUR


# --- input ---------------------------------------------------------------------------------


def test_naive_datetimes_are_refused_everywhere():
    cal = office()
    naive = dt.datetime(2026, 6, 8, 10)
    aware = paris(2026, 6, 8, 12)
    calls = [
        lambda: cal.open_intervals(naive, aware),
        lambda: cal.open_intervals(aware, naive),
        lambda: cal.business_seconds(naive, aware),
        lambda: cal.add_business_seconds(naive, 60),
        lambda: cal.next_open(naive),
        lambda: remaining_seconds(cal, naive, aware),
        lambda: clock_state(started_at=naive, due_at=aware, now=aware, done_at=None, calendar=cal),
        lambda: clock_state(started_at=aware, due_at=aware, now=aware, done_at=naive, calendar=cal),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="naive"):
            call()


def test_settings_round_trip():
    stored = {
        "time_zone": "Europe/Paris",
        "hours": {
            "0": [["09:00", "12:30"], ["14:00", "18:00"]],
            "1": [["09:00", "18:00"]],
            "2": [],
            "3": [["22:00", "24:00"]],
            "4": [["00:00", "02:00"], ["08:15:30", "17:00"]],
            "5": [],
            "6": [],
        },
        "holidays": ["2026-05-01", "2026-12-25"],
    }
    cal = BusinessCalendar.from_settings(**stored)
    assert cal.to_settings() == stored
    assert BusinessCalendar.from_settings(**cal.to_settings()) == cal
    assert cal.hours[4] == ((t(0), t(2)), (dt.time(8, 15, 30), t(17)))
    assert 2 not in cal.hours  # closed days are dropped
    assert cal.holidays == frozenset({dt.date(2026, 5, 1), dt.date(2026, 12, 25)})
    # Missing weekdays and unsorted spans read the same; the calendar is hashable and read-only.
    same = BusinessCalendar.from_settings(
        "Europe/Paris",
        {
            "4": [["08:15:30", "17:00"], ["00:00", "02:00"]],
            "3": [["22:00", "00:00"]],
            "1": [["09:00", "18:00"]],
            "0": [["14:00", "18:00"], ["09:00", "12:30"]],
        },
        ["2026-12-25", "2026-05-01"],
    )
    assert same == cal and hash(same) == hash(cal)
    with pytest.raises(TypeError):
        cal.hours[5] = ()  # type: ignore[index]
    assert BusinessCalendar.always_open().to_settings()["hours"]["6"] == [["00:00", "24:00"]]


@pytest.mark.parametrize(
    ("time_zone", "hours", "holidays", "message"),
    [
        ("Europe/Lutece", {}, [], "unknown time zone"),
        ("", {}, [], "unknown time zone"),
        ("../etc/passwd", {}, [], "unknown time zone"),
        ("UTC", {"7": []}, [], "weekday"),
        ("UTC", {"lundi": []}, [], "weekday"),
        ("UTC", {"0": [["9h", "18h"]]}, [], "not a time"),
        ("UTC", {"0": [["09:00", "25:00"]]}, [], "not a time"),
        ("UTC", {"0": [["09:00", "24:30"]]}, [], "past midnight"),
        ("UTC", {"0": [["09:00"]]}, [], r"\[start, end\]"),
        ("UTC", {"0": "09:00-18:00"}, [], "list"),
        ("UTC", {"0": [["18:00", "09:00"]]}, [], "ends before it starts"),
        ("UTC", {"0": [["09:00", "09:00"]]}, [], "ends before it starts"),
        ("UTC", {"0": [["09:00", "13:00"], ["12:00", "18:00"]]}, [], "overlap"),
        ("UTC", {"0": [["20:00", "00:00"], ["21:00", "22:00"]]}, [], "overlap"),
        ("UTC", {}, ["2026-13-01"], "not a date"),
        ("UTC", {}, ["25/12/2026"], "not a date"),
        ("UTC", {}, "2026-12-25", "list of dates"),
    ],
)
def test_bad_settings_are_explained(time_zone, hours, holidays, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_settings(time_zone, hours, holidays)


def test_touching_spans_are_not_an_overlap():
    cal = BusinessCalendar.from_settings("UTC", {"0": [["09:00", "12:00"], ["12:00", "18:00"]]}, [])
    monday = utc(2026, 6, 8)
    assert list(cal.open_intervals(monday, monday + dt.timedelta(days=1))) == [
        (utc(2026, 6, 8, 9), utc(2026, 6, 8, 18))
    ]


def test_negative_or_infinite_targets_are_refused():
    for seconds in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="seconds"):
            office().add_business_seconds(paris(2026, 6, 8, 9), seconds)


# --- statistics ----------------------------------------------------------------------------


def test_nearest_rank_percentile():
    values = [35.0, 20.0, 15.0, 50.0, 40.0]  # the textbook example, unsorted
    assert percentile(values, 0) == 15
    assert percentile(values, 5) == 15
    assert percentile(values, 30) == 20
    assert percentile(values, 40) == 20
    assert percentile(values, 50) == 35
    assert percentile(values, 100) == 50
    assert percentile(list(range(1, 11)), 90) == 9  # exact: rank 9, not 10
    assert percentile(list(range(1, 101)), 90) == 90
    assert percentile([3.5], 90) == 3.5
    assert percentile([], 90) is None
    for q in (-1, 101, float("nan")):
        with pytest.raises(ValueError, match="q must"):
            percentile(values, q)
    with pytest.raises(ValueError, match="NaN"):
        percentile([1.0, float("nan")], 50)


def test_median_is_the_nearest_rank_fiftieth_percentile():
    assert median([3.0, 1.0, 2.0]) == 2
    assert median([4.0, 1.0, 3.0, 2.0]) == 2  # the lower middle value, not 2.5
    assert median([7.0]) == 7
    assert median([]) is None
