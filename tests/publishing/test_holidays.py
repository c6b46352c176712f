import datetime as dt

import pytest

from parvis.publishing import holidays
from parvis.publishing.holidays import (
    black_friday,
    days_between,
    easter,
    marketing_days,
    mothers_day,
    public_holidays,
    summer_sales_start,
    winter_sales_start,
)

D = dt.date


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2008, D(2008, 3, 23)),
        (2011, D(2011, 4, 24)),
        (2019, D(2019, 4, 21)),
        (2024, D(2024, 3, 31)),
        (2025, D(2025, 4, 20)),
        (2026, D(2026, 4, 5)),
        (2038, D(2038, 4, 25)),  # the latest possible
        (2285, D(2285, 3, 22)),  # the earliest possible
    ],
)
def test_easter(year, expected):
    assert easter(year) == expected


def test_eleven_national_public_holidays_of_2026():
    days = public_holidays(2026)
    assert [(d.date, d.key) for d in days] == [
        (D(2026, 1, 1), "new_year"),
        (D(2026, 4, 6), "easter_monday"),
        (D(2026, 5, 1), "labour_day"),
        (D(2026, 5, 8), "victory_1945"),
        (D(2026, 5, 14), "ascension"),
        (D(2026, 5, 25), "whit_monday"),
        (D(2026, 7, 14), "bastille_day"),
        (D(2026, 8, 15), "assumption"),
        (D(2026, 11, 1), "all_saints"),
        (D(2026, 11, 11), "armistice"),
        (D(2026, 12, 25), "christmas"),
    ]
    assert all(d.is_public for d in days)


def test_moving_holidays_follow_easter_every_year():
    for year in range(1990, 2101):
        by_key = {d.key: d.date for d in public_holidays(year)}
        sunday = easter(year)
        assert sunday.weekday() == 6
        assert by_key["easter_monday"] == sunday + dt.timedelta(days=1)
        assert by_key["ascension"].weekday() == 3  # always a Thursday
        assert by_key["whit_monday"].weekday() == 0
        assert by_key["ascension"] - sunday == dt.timedelta(days=39)


def test_alsace_moselle_adds_good_friday_and_saint_stephen():
    days = public_holidays(2026, alsace_moselle=True)
    assert len(days) == 13
    keys = {d.key: d.date for d in days}
    assert keys["good_friday"] == D(2026, 4, 3)
    assert keys["saint_stephen"] == D(2026, 12, 26)
    assert "good_friday" not in {d.key for d in public_holidays(2026)}


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2020, D(2020, 1, 8)),
        (2024, D(2024, 1, 10)),
        (2025, D(2025, 1, 8)),
        # The second Wednesday is the 14th: the sales start on the first one.
        (2026, D(2026, 1, 7)),
    ],
)
def test_winter_sales(year, expected):
    assert winter_sales_start(year) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2023, D(2023, 6, 28)),  # the last Wednesday is the 28th: kept
        (2022, D(2022, 6, 22)),  # the last Wednesday is the 29th: the one before
        (2024, D(2024, 6, 26)),
        (2026, D(2026, 6, 24)),
    ],
)
def test_summer_sales(year, expected):
    assert summer_sales_start(year) == expected


def test_sales_last_four_weeks_and_their_end_is_marked():
    winter = next(d for d in marketing_days(2026) if d.key == "winter_sales")
    assert winter.last == D(2026, 2, 3)
    found = days_between(D(2026, 2, 1), D(2026, 2, 28))
    assert [d.key for d in found[D(2026, 2, 3)]] == ["winter_sales_end"]


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, D(2024, 5, 26)),
        (2025, D(2025, 5, 25)),
        (2026, D(2026, 5, 31)),
        # Whit Sunday is the last Sunday of May: Mother's Day moves to June.
        (2012, D(2012, 6, 3)),
        (2023, D(2023, 6, 4)),
    ],
)
def test_mothers_day(year, expected):
    assert mothers_day(year) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2024, D(2024, 11, 29)), (2025, D(2025, 11, 28)), (2026, D(2026, 11, 27))],
)
def test_black_friday(year, expected):
    assert black_friday(year) == expected
    cyber = next(d for d in marketing_days(year) if d.key == "cyber_monday")
    assert cyber.date == expected + dt.timedelta(days=3)


def test_marketing_days_of_2026():
    by_key = {d.key: d.date for d in marketing_days(2026)}
    assert by_key["valentines_day"] == D(2026, 2, 14)
    assert by_key["fathers_day"] == D(2026, 6, 21)
    assert by_key["grandmothers_day"] == D(2026, 3, 1)
    assert by_key["christmas_eve"] == D(2026, 12, 24)
    assert by_key["halloween"] == D(2026, 10, 31)
    assert not any(d.is_public for d in marketing_days(2026))


def test_days_between_spans_years_and_puts_public_holidays_first():
    found = days_between(D(2026, 12, 20), D(2027, 1, 10))
    assert [d.key for d in found[D(2026, 12, 25)]] == ["christmas"]
    assert [d.key for d in found[D(2027, 1, 1)]] == ["new_year"]
    assert found[D(2027, 1, 6)][0].key == "winter_sales"  # 2nd Wednesday of 2027 is the 13th
    # Easter Sunday 2026 is a marketing day, Easter Monday a public holiday.
    april = days_between(D(2026, 4, 1), D(2026, 4, 30))
    assert [d.key for d in april[D(2026, 4, 1)]] == ["april_fools"]
    assert [d.is_public for d in april[D(2026, 4, 6)]] == [True]
    assert [d.key for d in april[D(2026, 4, 5)]] == ["easter"]


def test_days_between_without_marketing_or_with_alsace():
    found = days_between(D(2026, 1, 1), D(2026, 12, 31), marketing=False)
    assert sum(len(v) for v in found.values()) == 11
    found = days_between(D(2026, 1, 1), D(2026, 12, 31), marketing=False, alsace_moselle=True)
    assert sum(len(v) for v in found.values()) == 13


def test_out_of_range_years_are_refused_or_skipped():
    with pytest.raises(ValueError):
        easter(1400)
    with pytest.raises(ValueError):
        marketing_days(10000)
    # the range helper skips what it cannot compute instead of failing
    assert days_between(D(1, 1, 1), D(1, 12, 31)) == {}
    assert D(9999, 12, 25) in days_between(D(9999, 12, 1), D(9999, 12, 31))
    assert holidays.MAX_YEAR == 9999
