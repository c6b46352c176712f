"""The editorial calendar's arithmetic: grids, ranges and the cadence, in the workspace's zone.

Pure functions on plain data (dates, aware datetimes, mappings), no database, so that the
awkward cases are tested directly: a day is not always 24 hours (the last Sunday of March has
23 in Paris, the last Sunday of October 25), a week starts on Monday (ISO 8601, as in France),
and a post belongs to the day and the ISO week of its time *in the workspace's zone*, not in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

# What the pages accept: far enough for any plan, near enough that every date computation
# (next month, the week after, the holidays) stays inside what ``datetime`` can hold.
MIN_YEAR = 1990
MAX_YEAR = 2100

UTC = dt.UTC
T = TypeVar("T")

BEHIND = "behind"
AHEAD = "ahead"
ON_PLAN = "on_plan"


class OutOfRange(ValueError):
    """A month, week or date the calendar does not show (bad input, year 9999…)."""


def _check(day: dt.date) -> dt.date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise OutOfRange(day.isoformat())
    return day


def start_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The first instant of ``day`` in ``zone``, in UTC.

    Where midnight does not exist (a zone that springs forward at 00:00), fold=0 takes the
    offset in force before the change, and that instant is the first of the day once converted.
    """
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of ``day`` in ``zone``, as UTC instants: 23 or 25 hours apart on DST days."""
    return start_of_day(day, zone), start_of_day(day + dt.timedelta(days=1), zone)


def day_hours(day: dt.date, zone: ZoneInfo) -> float:
    start, end = day_bounds(day, zone)
    return (end - start).total_seconds() / 3600


def local_date(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(zone).date()


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


IsoWeek = tuple[int, int]


def iso_week(day: dt.date) -> IsoWeek:
    calendar = day.isocalendar()
    return calendar.year, calendar.week


@dataclass
class Cell:
    """One day of a grid, with what the page puts in it."""

    date: dt.date
    in_month: bool
    start: dt.datetime
    end: dt.datetime
    items: list[Any] = field(default_factory=list)
    days: list[Any] = field(default_factory=list)  # holidays.Day

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5


@dataclass
class Week:
    monday: dt.date
    cells: list[Cell]
    cadence: list[CadenceCell] = field(default_factory=list)
    # Whether the week has not ended yet (in the workspace's zone): its missing posts are
    # still to plan, not late.
    running: bool = False

    @property
    def iso(self) -> IsoWeek:
        return iso_week(self.monday)


def _cells(first: dt.date, count: int, zone: ZoneInfo, month: int | None) -> list[Cell]:
    cells = []
    for offset in range(count):
        day = first + dt.timedelta(days=offset)
        start, end = day_bounds(day, zone)
        cells.append(Cell(day, month is None or day.month == month, start, end))
    return cells


def month_grid(year: int, month: int, zone: ZoneInfo) -> list[Week]:
    """The weeks (Monday to Sunday) that show ``month``: 4 to 6 rows of 7 days."""
    first = _check(dt.date(year, month, 1))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    monday = monday_of(first)
    weeks = []
    while monday <= last:
        weeks.append(Week(monday, _cells(monday, 7, zone, month)))
        monday += dt.timedelta(days=7)
    return weeks


def week_grid(day: dt.date, zone: ZoneInfo) -> Week:
    """The ISO week (Monday to Sunday) that holds ``day``."""
    monday = monday_of(_check(day))
    return Week(monday, _cells(monday, 7, zone, None))


def grid_range(weeks: Sequence[Week]) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC covering every cell of the grid, for one query."""
    return weeks[0].cells[0].start, weeks[-1].cells[-1].end


def list_range(first: dt.date, days: int, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of ``days`` local days from ``first`` (the list view)."""
    _check(first)
    last = _check(first + dt.timedelta(days=days))
    return start_of_day(first, zone), start_of_day(last, zone)


def place(
    weeks: Sequence[Week],
    items: Iterable[T],
    when: Any,
    zone: ZoneInfo,
) -> list[T]:
    """Put each item in the cell of its local day (``when(item)`` -> aware datetime); returns
    the items that fall outside the grid."""
    cells = {cell.date: cell for week in weeks for cell in week.cells}
    outside = []
    for item in items:
        cell = cells.get(local_date(when(item), zone))
        if cell is None:
            outside.append(item)
        else:
            cell.items.append(item)
    return outside


def mark_days(weeks: Sequence[Week], notable: Mapping[dt.date, list[Any]]) -> None:
    for week in weeks:
        for cell in week.cells:
            cell.days = list(notable.get(cell.date, ()))


# ---- month and week parameters (from the URL: anything may come) ------------------------

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})\Z")
_WEEK = re.compile(r"^([0-9]{4})-W([0-9]{2})\Z")


def parse_month(value: str | None, today: dt.date) -> tuple[int, int]:
    """``YYYY-MM`` -> (year, month); empty -> today's month; anything else: OutOfRange."""
    if not value:
        return today.year, today.month
    match = _MONTH.match(value)
    if not match:
        raise OutOfRange(value[:20])
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and MIN_YEAR <= year <= MAX_YEAR):
        raise OutOfRange(value)
    return year, month


def parse_week(value: str | None, today: dt.date) -> dt.date:
    """``YYYY-Www`` (ISO week) -> its Monday; empty -> this week's Monday."""
    if not value:
        return monday_of(today)
    match = _WEEK.match(value)
    if not match:
        raise OutOfRange(value[:20])
    year, week = int(match[1]), int(match[2])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise OutOfRange(value)
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError as exc:  # week 53 of a year that has 52
        raise OutOfRange(value) from exc


def parse_day(value: str | None, today: dt.date) -> dt.date:
    if not value:
        return today
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise OutOfRange(value[:20])
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise OutOfRange(value) from exc
    return _check(day)


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def week_key(monday: dt.date) -> str:
    year, week = iso_week(monday)
    return f"{year:04d}-W{week:02d}"


# ---- cadence: the plan (posts per week per network) against what is on the calendar ----


@dataclass(frozen=True)
class CadenceCell:
    network: str
    planned: int
    actual: int

    @property
    def delta(self) -> int:
        return self.actual - self.planned

    @property
    def state(self) -> str:
        if self.delta < 0:
            return BEHIND
        if self.delta > 0:
            return AHEAD
        return ON_PLAN

    @property
    def gap(self) -> int:
        """How many posts behind or ahead (always positive; 0 on plan)."""
        return abs(self.delta)


def cadence(
    plan: Mapping[str, int],
    posts: Iterable[tuple[str, dt.datetime]],
    weeks: Iterable[IsoWeek],
    zone: ZoneInfo,
) -> dict[IsoWeek, list[CadenceCell]]:
    """For each ISO week, each planned network: planned posts against scheduled or published.

    ``plan``: network -> posts per week (the strategy's NetworkChoice.posts_per_week; a network
    planned at 0 is left out). ``posts``: (network, time) of each post on that network, one
    per account variant, already filtered to scheduled or published. A post counts in the ISO
    week of its local date: Sunday 23:30 in Paris is still that week, even at 22:30 UTC.
    """
    counted: Counter[tuple[IsoWeek, str]] = Counter()
    for network, moment in posts:
        counted[(iso_week(local_date(moment, zone)), network)] += 1
    planned = sorted((network, per_week) for network, per_week in plan.items() if per_week > 0)
    return {
        week: [
            CadenceCell(network, per_week, counted[(week, network)])
            for network, per_week in planned
        ]
        for week in weeks
    }
