"""The inbox's SLA clocks: business hours, exact to the microsecond, and the figures' statistics.

Pure code on purpose (no Django, no database, no clock of its own): the caller passes every
instant, so each rule can be tested on fixed dates, DST days included. docs/inbox.md ("SLA
clocks", "Figures") states the rules this module implements.

Instants are aware datetimes (any zone in, UTC out); a naive datetime raises ValueError, since
guessing its zone is how a clock goes silently wrong by an hour twice a year.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "BusinessCalendar",
    "SlaState",
    "clock_state",
    "median",
    "percentile",
    "remaining_seconds",
]

UTC = dt.UTC
MIDNIGHT = dt.time(0, 0)
# add_business_seconds and next_open give up after this many days in a row without an opening:
# a calendar closed that long is a mistake in the settings, not a target to wait for.
SEARCH_DAYS = 400

Span = tuple[dt.time, dt.time]
Interval = tuple[dt.datetime, dt.datetime]

_TIME_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?$")


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} is a naive datetime ({value.isoformat()}): give it a time zone")
    return value.astimezone(UTC)


def _to_instant(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The one UTC instant a local wall-clock time names (docs/inbox.md, "Summer time").

    An ambiguous time (the repeated hour in autumn) is its first occurrence (fold=0). A time
    that does not exist (the skipped hour in spring) is the instant the clock jumps over it:
    an office opening at 02:30 on that day opens when the clock shows 03:00.
    """
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == local:
        return first
    # In a gap: fold=0 reads the time with the offset before the jump (an instant after it),
    # fold=1 with the offset after (an instant before it). The jump lies between; zoneinfo does
    # not expose its transitions, so bisect to the microsecond (about 32 steps, on DST days only).
    before = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = first
    offset_after = after.astimezone(zone).utcoffset()
    tick = dt.timedelta(microseconds=1)
    while after - before > tick:
        middle = before + (after - before) // 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def _span_sort_key(span: Span) -> tuple[dt.time, bool]:
    return span[0], span[1] == MIDNIGHT


def _validate_spans(weekday: int, spans: Iterable[Span]) -> tuple[Span, ...]:
    checked: list[Span] = []
    for span in spans:
        if not (isinstance(span, tuple) and len(span) == 2):
            raise ValueError(f"weekday {weekday}: a span is a (start, end) pair, not {span!r}")
        start, end = span
        if not (isinstance(start, dt.time) and isinstance(end, dt.time)):
            raise ValueError(f"weekday {weekday}: span {span!r} must hold two datetime.time")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"weekday {weekday}: span times are local wall-clock, without tzinfo")
        # end == 00:00 means midnight at the end of the day, so 00:00-00:00 is the whole day.
        if end != MIDNIGHT and end <= start:
            raise ValueError(
                f"weekday {weekday}: span {start.isoformat()}-{end.isoformat()} ends before it "
                "starts (write a night across midnight as two spans, 22:00-00:00 and the next "
                "day's 00:00-02:00)"
            )
        checked.append((start.replace(fold=0), end.replace(fold=0)))
    checked.sort(key=_span_sort_key)
    for (_, previous_end), (start, end) in itertools.pairwise(checked):
        if previous_end == MIDNIGHT or start < previous_end:
            raise ValueError(
                f"weekday {weekday}: spans overlap at {start.isoformat()}-{end.isoformat()}"
            )
    return tuple(checked)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in a workspace's time zone, and the days it is closed.

    `hours` maps a weekday (0 = Monday) to its opening spans in local wall-clock time; a
    missing weekday is closed. A span ending at time(0, 0) ends at midnight, the end of that
    day. The calendar is normalized on creation (spans sorted, closed days dropped, read-only).
    """

    time_zone: str
    hours: Mapping[int, tuple[Span, ...]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None
        if not isinstance(self.hours, Mapping):
            raise ValueError("hours must map a weekday (0 = Monday) to its opening spans")
        hours: dict[int, tuple[Span, ...]] = {}
        for weekday, spans in self.hours.items():
            if not (isinstance(weekday, int) and 0 <= weekday <= 6):
                raise ValueError(f"weekday {weekday!r} must be 0 (Monday) to 6 (Sunday)")
            checked = _validate_spans(weekday, spans)
            if checked:
                hours[weekday] = checked
        holidays = frozenset(self.holidays)
        for day in holidays:
            if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
                raise ValueError(f"holiday {day!r} must be a datetime.date")
        # Frozen: normalize through object.__setattr__, once, here.
        object.__setattr__(self, "hours", MappingProxyType(dict(sorted(hours.items()))))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_zone", zone)

    def __hash__(self) -> int:
        return hash((self.time_zone, tuple(self.hours.items()), self.holidays))

    @property
    def zone(self) -> ZoneInfo:
        zone: ZoneInfo = self.__dict__["_zone"]
        return zone

    # --- construction --------------------------------------------------------------------

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """24/7 with no holidays: business time is then wall-clock (elapsed) time."""
        return cls(time_zone, {day: ((MIDNIGHT, MIDNIGHT),) for day in range(7)})

    @classmethod
    def from_settings(
        cls, time_zone: str, hours: Mapping[str, Sequence[Sequence[str]]], holidays: Sequence[str]
    ) -> BusinessCalendar:
        """Read the stored JSON form: {"0": [["09:00", "18:00"]], "5": [], ...} and
        ["2026-12-25", ...]. An end of "00:00" or "24:00" is midnight at the end of the day."""
        if not isinstance(hours, Mapping):
            raise ValueError("opening hours must be an object of weekday -> spans")
        parsed: dict[int, tuple[Span, ...]] = {}
        for key, spans in hours.items():
            if not (isinstance(key, str) and key in {"0", "1", "2", "3", "4", "5", "6"}):
                raise ValueError(f"weekday {key!r} must be '0' (Monday) to '6' (Sunday)")
            if isinstance(spans, str) or not isinstance(spans, Sequence):
                raise ValueError(f"weekday {key}: spans must be a list of [start, end]")
            day_spans: list[Span] = []
            for span in spans:
                if isinstance(span, str) or not isinstance(span, Sequence) or len(span) != 2:
                    raise ValueError(f"weekday {key}: span {span!r} must be [start, end]")
                day_spans.append(
                    (_parse_time(span[0], f"weekday {key}"), _parse_time(span[1], f"weekday {key}"))
                )
            parsed[int(key)] = tuple(day_spans)
        if isinstance(holidays, str) or not isinstance(holidays, Sequence):
            raise ValueError("holidays must be a list of dates (YYYY-MM-DD)")
        days = frozenset(_parse_date(value) for value in holidays)
        return cls(time_zone, parsed, days)

    def to_settings(self) -> dict[str, Any]:
        """The stored JSON form: `BusinessCalendar.from_settings(**cal.to_settings()) == cal`.
        Every weekday is written, a closed one as []; midnight as an end is "24:00"."""
        return {
            "time_zone": self.time_zone,
            "hours": {
                str(day): [
                    [_format_time(start), "24:00" if end == MIDNIGHT else _format_time(end)]
                    for start, end in self.hours.get(day, ())
                ]
                for day in range(7)
            },
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }

    # --- the clock -----------------------------------------------------------------------

    def _day_intervals(self, day: dt.date) -> Iterator[Interval]:
        """The UTC intervals of one local day's spans, empty ones (in the skipped hour) left out."""
        if day in self.holidays:
            return
        zone = self.zone
        for start, end in self.hours.get(day.weekday(), ()):
            opens = _to_instant(dt.datetime.combine(day, start), zone)
            end_day = day + dt.timedelta(days=1) if end == MIDNIGHT else day
            closes = _to_instant(dt.datetime.combine(end_day, end), zone)
            # Each end is its own instant, so a span lasts the real time between the two:
            # 01:00-04:00 is 2 h on the spring DST day, 4 h on the autumn one.
            if closes > opens:
                yield opens, closes

    def _intervals_between(self, first_day: dt.date, last_day: dt.date) -> Iterator[Interval]:
        """Merged UTC intervals of the local days first_day to last_day.

        Local wall-clock times map to instants monotonically, so the days' intervals come in
        order and never overlap; touching ones (22:00-00:00 then 00:00-02:00) are joined.
        """
        pending: Interval | None = None
        day = first_day
        while day <= last_day:
            for opens, closes in self._day_intervals(day):
                if pending is not None and opens <= pending[1]:
                    pending = (pending[0], max(pending[1], closes))
                    continue
                if pending is not None:
                    yield pending
                pending = (opens, closes)
            day += dt.timedelta(days=1)
        if pending is not None:
            yield pending

    def _local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()

    def open_intervals(self, start: dt.datetime, end: dt.datetime) -> Iterator[Interval]:
        """The opening intervals within [start, end), as aware UTC pairs, in order, merged."""
        # Checked now, not at the first next(): a naive datetime fails where it is passed.
        return self._clipped(_aware(start, "start"), _aware(end, "end"))

    def _clipped(self, start: dt.datetime, end: dt.datetime) -> Iterator[Interval]:
        if end <= start:
            return
        # A span of day D starts at or after D's local midnight, so the days before start's local
        # date end before it; one day past end's covers an ambiguous hour around midnight.
        last_day = self._local_date(end) + dt.timedelta(days=1)
        for opens, closes in self._intervals_between(self._local_date(start), last_day):
            if closes <= start:
                continue
            if opens >= end:
                break
            yield max(opens, start), min(closes, end)

    def business_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open time between two instants, in seconds (0 if end <= start)."""
        total = sum(
            (closes - opens for opens, closes in self.open_intervals(start, end)),
            dt.timedelta(0),
        )
        return total.total_seconds()

    def _open_from(self, start: dt.datetime) -> Iterator[Interval]:
        """Each day's intervals from start on, without end (not merged: a 24/7 calendar would
        be one endless interval); ValueError after SEARCH_DAYS days in a row without one."""
        day = self._local_date(start)
        closed_days = 0
        while closed_days <= SEARCH_DAYS:
            closed_days += 1
            for opens, closes in self._day_intervals(day):
                if closes > start:
                    closed_days = 0
                    yield max(opens, start), closes
            day += dt.timedelta(days=1)
        raise ValueError(
            f"the calendar has no opening hours within {SEARCH_DAYS} days after {start.isoformat()}"
        )

    def next_open(self, at: dt.datetime) -> dt.datetime:
        """`at` itself when open then, else the start of the next opening."""
        for opens, _ in self._open_from(_aware(at, "at")):
            return opens
        raise AssertionError("unreachable: _open_from raises when it runs out")

    def add_business_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The first instant at which `seconds` of open time have elapsed since start.

        From a closed instant the clock starts at the next opening. A target met exactly at a
        closing time is that closing time (Friday 17:00 + 1 h is Friday 18:00, not Monday).
        `seconds` is rounded to the microsecond, datetime's own precision.
        """
        start = _aware(start, "start")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        left = dt.timedelta(seconds=seconds)
        for opens, closes in self._open_from(start):
            if left <= closes - opens:
                return opens + left
            left -= closes - opens
        raise AssertionError("unreachable: _open_from raises when it runs out")


def _parse_time(value: object, where: str) -> dt.time:
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: {value!r} is not a time of day (HH:MM, e.g. 09:00)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour == 24:
        if minute or second:
            raise ValueError(f"{where}: {value!r} is past midnight (24:00 is the latest)")
        return MIDNIGHT  # as an end: midnight, the end of the day; as a start, 00:00 anyway
    return dt.time(hour, minute, second)


def _format_time(value: dt.time) -> str:
    if value.microsecond:
        return value.isoformat()
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _parse_date(value: object) -> dt.date:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"holiday {value!r} is not a date (YYYY-MM-DD, e.g. 2026-12-25)") from None


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    NONE = "none"  # no target applies (no SLA configured): clock_state never returns it


def remaining_seconds(calendar: BusinessCalendar, now: dt.datetime, due_at: dt.datetime) -> float:
    """Business seconds left until due_at; negative when overdue, counted in business time too
    (a target missed on Friday evening is no more overdue on Monday at 09:00)."""
    now, due_at = _aware(now, "now"), _aware(due_at, "due_at")
    if now <= due_at:
        return calendar.business_seconds(now, due_at)
    return -calendar.business_seconds(due_at, now)


def clock_state(
    *,
    started_at: dt.datetime,
    due_at: dt.datetime,
    now: dt.datetime,
    done_at: dt.datetime | None,
    calendar: BusinessCalendar,
    at_risk_ratio: float = 0.25,
) -> SlaState:
    """Where one clock stands at `now` (docs/inbox.md, "At risk and breached")."""
    started_at, due_at = _aware(started_at, "started_at"), _aware(due_at, "due_at")
    now = _aware(now, "now")
    if not 0 <= at_risk_ratio <= 1:
        raise ValueError(f"at_risk_ratio must be within [0, 1], not {at_risk_ratio!r}")
    if done_at is not None:
        return SlaState.MET if _aware(done_at, "done_at") <= due_at else SlaState.BREACHED
    if now > due_at:
        return SlaState.BREACHED
    target = calendar.business_seconds(started_at, due_at)
    if calendar.business_seconds(now, due_at) <= at_risk_ratio * target:
        return SlaState.AT_RISK
    return SlaState.OK


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (q in [0, 100]): the smallest value such that at least
    q % of the values are <= it, i.e. the ceil(q / 100 * n)-th smallest (the smallest for q = 0).
    Always one of the values; None for no values."""
    if not 0 <= q <= 100 or math.isnan(q):
        raise ValueError(f"q must be within [0, 100], not {q!r}")
    ordered = sorted(values)
    if any(math.isnan(value) for value in ordered):
        raise ValueError("values must not contain NaN")
    if not ordered:
        return None
    # Exact arithmetic: 90 % of 10 values is rank 9, never 9.000000000000002 rounded up to 10.
    rank = max(1, math.ceil(Fraction(q) * len(ordered) / 100))
    return float(ordered[rank - 1])


def median(values: Sequence[float]) -> float | None:
    """The nearest-rank 50th percentile: for an even count, the lower of the two middle values
    (not their mean), so the median is a time some conversation really took."""
    return percentile(values, 50)
