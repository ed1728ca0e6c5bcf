"""The filter parser and the previous period, without a database.

Why here and not through the API: every endpoint builds its filters with
`parse_filters(...).resolve(domain)`, so what these functions accept or refuse is
what the API accepts or refuses (a FilterError is a 400 naming its parameter).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dashapp.filters import (
    DATE_MAX,
    DATE_MIN,
    FILTER_PARAMS,
    Domain,
    FilterError,
    Filters,
    parse_day,
    parse_filters,
)
from dashapp.metrics import period_start, reference_span

DOMAIN = Domain(min_day=date(2020, 3, 2), max_day=date(2020, 4, 10), states=("RJ", "SP"),
                categories=("health_beauty", "unknown"), payment_types=("boleto", "voucher"))


def _previous(start: date, end: date) -> dict:
    return Filters(start=start, end=end).previous_period_json()


# --- the previous period ---------------------------------------------------------------


@pytest.mark.parametrize("start,end,expected", [
    # a whole year: the year before
    (date(2020, 1, 1), date(2020, 12, 31), ("2019-01-01", "2019-12-31", "months", 12)),
    # one whole month: the month before, whatever its length
    (date(2021, 3, 1), date(2021, 3, 31), ("2021-02-01", "2021-02-28", "months", 1)),
    (date(2021, 5, 1), date(2021, 5, 31), ("2021-04-01", "2021-04-30", "months", 1)),
    # a quarter: the quarter before (Q2 -> Q1, 90 days for 91)
    (date(2021, 4, 1), date(2021, 6, 30), ("2021-01-01", "2021-03-31", "months", 3)),
    # a leap-year February (29 days): the whole of January (31)
    (date(2020, 2, 1), date(2020, 2, 29), ("2020-01-01", "2020-01-31", "months", 1)),
    # whole months starting in March of a leap year: February counts its 29 days
    (date(2020, 3, 1), date(2020, 3, 31), ("2020-02-01", "2020-02-29", "months", 1)),
    (date(2020, 3, 1), date(2020, 5, 31), ("2019-12-01", "2020-02-29", "months", 3)),
    # whole months crossing a year, backwards and forwards
    (date(2021, 1, 1), date(2021, 1, 31), ("2020-12-01", "2020-12-31", "months", 1)),
    (date(2020, 11, 1), date(2021, 2, 28), ("2020-07-01", "2020-10-31", "months", 4)),
    # a partial month: as many days before (30 days)
    (date(2020, 3, 2), date(2020, 3, 31), ("2020-02-01", "2020-03-01", "days", 30)),
    # starts on the 1st but ends mid-month: days
    (date(2020, 3, 1), date(2020, 3, 30), ("2020-01-31", "2020-02-29", "days", 30)),
    # ends on a month's last day but starts mid-month: days
    (date(2021, 2, 15), date(2021, 2, 28), ("2021-02-01", "2021-02-14", "days", 14)),
    # the last day of a non-leap February is a month end; 28 Feb of a leap year is not
    (date(2020, 2, 1), date(2020, 2, 28), ("2020-01-04", "2020-01-31", "days", 28)),
    # days crossing a year
    (date(2020, 12, 15), date(2021, 1, 14), ("2020-11-14", "2020-12-14", "days", 31)),
    # one day: the day before
    (date(2021, 1, 1), date(2021, 1, 1), ("2020-12-31", "2020-12-31", "days", 1)),
])
def test_previous_period(start, end, expected):
    got = _previous(start, end)
    assert (got["start"], got["end"], got["basis"], got["length"]) == expected
    prev = Filters(start=start, end=end, states=("SP",)).previous()
    assert (prev.start.isoformat(), prev.end.isoformat()) == expected[:2]
    assert prev.states == ("SP",)  # only the dates move
    assert prev.end == start - timedelta(days=1)  # always just before start


def test_previous_period_of_a_whole_month_range_is_whole_months():
    for year in (2019, 2020):
        for month in range(1, 13):
            for n in (1, 2, 3, 6, 12, 13):
                start = date(year, month, 1)
                index = year * 12 + month - 1 + n  # the month after the range
                end = date(index // 12, index % 12 + 1, 1) - timedelta(days=1)
                got = Filters(start=start, end=end).previous()
                assert got.start.day == 1 and got.end == start - timedelta(days=1)
                assert Filters(start=got.start, end=got.end).whole_months() == n


# --- dates inside the window -------------------------------------------------------------


@pytest.mark.parametrize("params,parameter", [
    ({"end": ["9426-07-12"]}, "end"),  # GET /api/v1/kpis?end=9426-07-12
    ({"start": ["0001-01-01"]}, "start"),  # GET /api/v1/kpis?start=0001-01-01
    ({"end": ["9999-12-31"]}, "end"),  # GET /api/v1/breakdown/state?end=9999-12-31
    ({"start": ["3000-01-01"]}, "start"),
    ({"end": ["1899-12-31"]}, "end"),
])
def test_hostile_dates_are_a_filter_error_naming_the_parameter(params, parameter):
    with pytest.raises(FilterError) as err:
        parse_filters(params, DOMAIN).resolve(DOMAIN)
    assert err.value.parameter == parameter
    assert f"between {DATE_MIN} and {DATE_MAX}" in err.value.message


def test_the_window_edges():
    assert parse_day("start", "1900-01-01") == DATE_MIN
    assert parse_day("end", "2999-12-31") == DATE_MAX
    for raw in ("1899-12-31", "3000-01-01", "0001-01-01", "9999-12-31"):
        with pytest.raises(FilterError) as err:
            parse_day("event", raw)
        assert err.value.parameter == "event" and "out of range" in err.value.message


@pytest.mark.parametrize("raw,message", [
    ("2020-02-30", "not a valid date"),
    ("2020-2-3", "must be a date as YYYY-MM-DD"),
    ("20200203", "must be a date as YYYY-MM-DD"),
    ("2020-02-03T00:00", "must be a date as YYYY-MM-DD"),
    ("２０２０-０１-０１", "must be a date as YYYY-MM-DD"),  # digits, but not ASCII ones
    ("2020-01-01\n", "must be a date as YYYY-MM-DD"),
    ("", "must be a date as YYYY-MM-DD"),
])
def test_parse_day_names_its_parameter(raw, message):
    with pytest.raises(FilterError) as err:
        parse_day("event", raw)
    assert err.value.parameter == "event" and message in err.value.message


def test_a_long_value_is_quoted_back_short():
    with pytest.raises(FilterError) as err:
        parse_day("start", "x" * 10_000)
    assert len(err.value.message) < 120


@pytest.mark.parametrize("params", [
    {"start": ["1900-01-01"], "end": ["1900-01-31"]},  # whole month: Dec 1899 before it
    {"start": ["1900-01-15"], "end": ["1900-02-14"]},  # 31 days: from 1899-12-15
    {"start": ["1900-01-02"]},  # end from the data: over a century of days before it
])
def test_a_previous_period_before_the_window_names_start(params):
    with pytest.raises(FilterError) as err:
        parse_filters(params, DOMAIN).resolve(DOMAIN)
    assert err.value.parameter == "start" and str(DATE_MIN) in err.value.message


def test_a_range_too_long_from_the_data_start_names_end():
    """`?end=2999-12-31` alone: the start is the data's, so the parameter the caller gave
    is the one named (it named `start`, which the caller never sent)."""
    with pytest.raises(FilterError) as err:
        parse_filters({"end": ["2999-12-31"]}, DOMAIN).resolve(DOMAIN)
    assert err.value.parameter == "end" and "end 2999-12-31 is too late" in err.value.message
    assert str(DOMAIN.min_day) in err.value.message and str(DATE_MIN) in err.value.message


def test_the_earliest_ranges_allowed():
    f = parse_filters({"start": ["1900-02-01"], "end": ["1900-02-28"]}, DOMAIN).resolve(DOMAIN)
    assert f.previous_period_json() == {"start": "1900-01-01", "end": "1900-01-31",
                                        "basis": "months", "length": 1}
    f = parse_filters({"start": ["1900-01-02"], "end": ["1900-01-02"]}, DOMAIN).resolve(DOMAIN)
    assert f.previous().start == DATE_MIN
    f = parse_filters({"start": ["2500-01-01"], "end": ["2999-12-31"]}, DOMAIN).resolve(DOMAIN)
    assert (f.previous().start, f.previous().end) == (date(2000, 1, 1), date(2499, 12, 31))


def test_the_window_floor_starts_every_grain():
    """Reference periods clamped to DATE_MIN stay whole weeks and months."""
    for grain in ("month", "week", "day"):
        assert period_start(DATE_MIN, grain) == DATE_MIN
        span = reference_span(date(1900, 2, 1), date(1900, 3, 31), grain, floor=DATE_MIN)
        assert span is not None and span[0] == DATE_MIN


# --- property: nothing but FilterError, whatever the strings -------------------------------

_DATES = st.one_of(
    st.dates().map(date.isoformat),  # year 1 to 9999
    st.dates(DATE_MIN, date(1901, 3, 1)).map(date.isoformat),  # near the lower edge
    st.dates(date(2998, 11, 1), DATE_MAX).map(date.isoformat),  # near the upper edge
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),  # digits, any values
    st.from_regex(r"[+-]?[0-9]{1,7}-[0-9]{1,3}-[0-9]{1,3}", fullmatch=True),
    st.sampled_from(["", " ", ",", "2020-01-01,2020-02-01", "0000-00-00", "9999-99-99",
                     "2020-02-29", "2021-02-29", "1900-01-01", "2999-12-31", "nan",
                     "２０２０-０１-０１", "2020-01-01\x00", "\u202e2020-01-01"]),
    st.text(),  # unicode, control characters, surrogates excluded by hypothesis
)
_VALUES = st.one_of(_DATES, st.sampled_from(["SP", "sp", "N", "SE", "health_beauty",
                                             "boleto", "XX", "unknown"]), st.text(max_size=30))
_PARAMS = st.one_of(
    # known names, dates where dates go (empty, repeated and comma-separated values too)
    st.fixed_dictionaries({}, optional={
        name: st.lists(_DATES if name in ("start", "end") else _VALUES, max_size=3)
        for name in FILTER_PARAMS}),
    # any names, any values
    st.dictionaries(st.one_of(st.sampled_from(FILTER_PARAMS), st.text(max_size=12)),
                    st.lists(st.one_of(_DATES, _VALUES), max_size=3), max_size=4),
)


@settings(max_examples=800, deadline=None, derandomize=True)
@given(_PARAMS)
def test_any_strings_give_filters_or_a_filter_error(params):
    """Hostile input is a 400 naming a parameter, never a 500 (no OverflowError,
    ValueError or AssertionError from date arithmetic later on)."""
    try:
        f = parse_filters(params, DOMAIN).resolve(DOMAIN)
    except FilterError as err:  # naming a parameter given, or a date bound from the data
        assert err.parameter in {*params, "start", "end"} and err.message
        event(f"FilterError naming {err.parameter if err.parameter in FILTER_PARAMS else '?'}")
        return
    event("parsed with dates" if set(params) & {"start", "end"} else "parsed")
    assert DATE_MIN <= f.start <= f.end <= DATE_MAX
    period = f.previous_period_json()
    assert DATE_MIN.isoformat() <= period["start"] <= period["end"] < f.start.isoformat()
    for grain in ("month", "week", "day"):
        span = reference_span(f.start, f.end, grain, floor=DATE_MIN)
        assert span is None or DATE_MIN <= span[0] <= span[1] < f.end
    f.cache_key()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.dates(DATE_MIN, DATE_MAX), st.dates(DATE_MIN, DATE_MAX))
def test_any_range_in_the_window_resolves_or_names_start(a, b):
    params = {"start": [min(a, b).isoformat()], "end": [max(a, b).isoformat()]}
    try:
        f = parse_filters(params, DOMAIN).resolve(DOMAIN)
    except FilterError as err:
        assert err.parameter == "start"
        return
    assert f.previous().start >= DATE_MIN
