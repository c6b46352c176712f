"""The French days a community manager plans around: public holidays and marketing dates.

Pure functions of a year, no database. Public holidays are the eleven national « jours
fériés » (three of them moving with Easter), plus the two that only Alsace and Moselle keep
when asked. Marketing days are the dates brands post about (sales, Mother's Day, Black
Friday…); several move every year by a rule, written here once and tested.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PUBLIC = "public"
MARKETING = "marketing"

# The Gregorian computus below holds from 1583; date itself stops at 9999.
MIN_YEAR = 1583
MAX_YEAR = 9999

# Since 2020 (Code de commerce, art. D310-15-2) the sales last four weeks.
SALES_WEEKS = 4


@dataclass(frozen=True)
class Day:
    """One notable day (or, for the sales, the first day of a period that ends on ``last``)."""

    date: dt.date
    key: str
    name: StrOrPromise
    kind: str  # PUBLIC or MARKETING
    last: dt.date | None = None

    @property
    def is_public(self) -> bool:
        return self.kind == PUBLIC


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year out of range {MIN_YEAR}..{MAX_YEAR}: {year}")


def easter(year: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm of 1876)."""
    _check_year(year)
    golden = year % 19
    century, year_in_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_correction = (century + 8) // 25
    sun_correction = (century - moon_correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - sun_correction + 15) % 30
    quarter, year_rest = divmod(year_in_century, 4)
    weekday_offset = (32 + 2 * century_rest + 2 * quarter - epact - year_rest) % 7
    correction = (golden + 11 * epact + 22 * weekday_offset) // 451
    month, day = divmod(epact + weekday_offset - 7 * correction + 114, 31)
    return dt.date(year, month, day + 1)


def public_holidays(year: int, alsace_moselle: bool = False) -> list[Day]:
    """The eleven national public holidays of ``year``, in date order (thirteen in
    Alsace-Moselle: Good Friday and Saint Stephen's Day)."""
    sunday = easter(year)
    days = [
        Day(dt.date(year, 1, 1), "new_year", _("New Year's Day"), PUBLIC),
        Day(sunday + dt.timedelta(days=1), "easter_monday", _("Easter Monday"), PUBLIC),
        Day(dt.date(year, 5, 1), "labour_day", _("Labour Day"), PUBLIC),
        Day(dt.date(year, 5, 8), "victory_1945", _("Victory in Europe Day"), PUBLIC),
        Day(sunday + dt.timedelta(days=39), "ascension", _("Ascension Day"), PUBLIC),
        Day(sunday + dt.timedelta(days=50), "whit_monday", _("Whit Monday"), PUBLIC),
        Day(dt.date(year, 7, 14), "bastille_day", _("Bastille Day"), PUBLIC),
        Day(dt.date(year, 8, 15), "assumption", _("Assumption Day"), PUBLIC),
        Day(dt.date(year, 11, 1), "all_saints", _("All Saints' Day"), PUBLIC),
        Day(dt.date(year, 11, 11), "armistice", _("Armistice Day"), PUBLIC),
        Day(dt.date(year, 12, 25), "christmas", _("Christmas Day"), PUBLIC),
    ]
    if alsace_moselle:
        days += [
            Day(sunday - dt.timedelta(days=2), "good_friday", _("Good Friday"), PUBLIC),
            Day(dt.date(year, 12, 26), "saint_stephen", _("Saint Stephen's Day"), PUBLIC),
        ]
    return sorted(days, key=lambda day: day.date)


def _weekdays_of(year: int, month: int, weekday: int) -> list[dt.date]:
    """Every ``weekday`` (Monday 0) of a month, in order."""
    first = dt.date(year, month, 1)
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
    found = []
    while day.month == month:
        found.append(day)
        day += dt.timedelta(days=7)
    return found


WEDNESDAY, THURSDAY, SUNDAY = 2, 3, 6


def winter_sales_start(year: int) -> dt.date:
    """The second Wednesday of January, or the first when the second falls after the 12th."""
    _check_year(year)
    wednesdays = _weekdays_of(year, 1, WEDNESDAY)
    return wednesdays[1] if wednesdays[1].day <= 12 else wednesdays[0]


def summer_sales_start(year: int) -> dt.date:
    """The last Wednesday of June, or the one before when the last falls after the 28th."""
    _check_year(year)
    wednesdays = _weekdays_of(year, 6, WEDNESDAY)
    return wednesdays[-1] if wednesdays[-1].day <= 28 else wednesdays[-2]


def mothers_day(year: int) -> dt.date:
    """The last Sunday of May, moved to the first Sunday of June when it is Whit Sunday
    (Code de l'action sociale et des familles, art. D215-1)."""
    last_sunday = _weekdays_of(year, 5, SUNDAY)[-1]
    if last_sunday == easter(year) + dt.timedelta(days=49):
        return _weekdays_of(year, 6, SUNDAY)[0]
    return last_sunday


def black_friday(year: int) -> dt.date:
    """The day after the fourth Thursday of November (American Thanksgiving)."""
    _check_year(year)
    return _weekdays_of(year, 11, THURSDAY)[3] + dt.timedelta(days=1)


SALES_END: dict[str, StrOrPromise] = {
    "winter_sales": _("End of the winter sales"),
    "summer_sales": _("End of the summer sales"),
}


def marketing_days(year: int) -> list[Day]:
    """The commercial and cultural dates French brands commonly post about, in date order."""
    _check_year(year)
    winter = winter_sales_start(year)
    summer = summer_sales_start(year)
    sales = dt.timedelta(weeks=SALES_WEEKS, days=-1)
    friday = black_friday(year)
    days = [
        Day(winter, "winter_sales", _("Winter sales"), MARKETING, last=winter + sales),
        Day(dt.date(year, 2, 2), "candlemas", _("Candlemas (crêpes)"), MARKETING),
        Day(dt.date(year, 2, 14), "valentines_day", _("Valentine's Day"), MARKETING),
        Day(
            _weekdays_of(year, 3, SUNDAY)[0], "grandmothers_day", _("Grandmothers' Day"), MARKETING
        ),
        Day(dt.date(year, 4, 1), "april_fools", _("April Fools' Day"), MARKETING),
        Day(easter(year), "easter", _("Easter Sunday"), MARKETING),
        Day(mothers_day(year), "mothers_day", _("Mother's Day"), MARKETING),
        Day(_weekdays_of(year, 6, SUNDAY)[2], "fathers_day", _("Father's Day"), MARKETING),
        Day(dt.date(year, 6, 21), "music_day", _("Fête de la musique"), MARKETING),
        Day(summer, "summer_sales", _("Summer sales"), MARKETING, last=summer + sales),
        Day(dt.date(year, 10, 31), "halloween", _("Halloween"), MARKETING),
        Day(friday, "black_friday", _("Black Friday"), MARKETING),
        Day(friday + dt.timedelta(days=3), "cyber_monday", _("Cyber Monday"), MARKETING),
        Day(dt.date(year, 12, 24), "christmas_eve", _("Christmas Eve"), MARKETING),
        Day(dt.date(year, 12, 31), "new_years_eve", _("New Year's Eve"), MARKETING),
    ]
    return sorted(days, key=lambda day: day.date)


def days_between(
    first: dt.date,
    last: dt.date,
    *,
    alsace_moselle: bool = False,
    marketing: bool = True,
) -> dict[dt.date, list[Day]]:
    """The notable days from ``first`` to ``last`` inclusive, by date, public holidays first.

    A sales period is listed on its first day and on its last day (« fin des soldes »);
    years outside what the computus covers have none.
    """
    found: dict[dt.date, list[Day]] = {}

    def add(date: dt.date, day: Day) -> None:
        if first <= date <= last:
            found.setdefault(date, []).append(day)

    for year in _years(first, last):
        for day in public_holidays(year, alsace_moselle):
            add(day.date, day)
        if marketing:
            for day in marketing_days(year):
                add(day.date, day)
                if day.last is not None:
                    add(day.last, Day(day.last, f"{day.key}_end", SALES_END[day.key], MARKETING))
    for days in found.values():
        days.sort(key=lambda day: not day.is_public)
    return found


def _years(first: dt.date, last: dt.date) -> Iterable[int]:
    return range(max(first.year, MIN_YEAR), min(last.year, MAX_YEAR) + 1)
