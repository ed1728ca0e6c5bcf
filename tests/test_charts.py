"""The page's pure parts: number formatting, URL <-> filters, figure and table builders.

Why without a browser: these functions decide every string and every bar the
page shows; checking them directly is exact (values, not "it rendered") and
fast. The browser tests then only need to prove the wiring.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langs import EN
from sqlalchemy import create_engine

from dashapp.filters import Domain, FilterError, Filters, parse_filters
from dashapp.jsonout import jsonable
from dashapp.page import charts, urlstate
from dashapp.page import formatting as fmt
from dashapp.page.callbacks import export_rows, map_patch, next_status, resolve_view
from dashapp.regions import BRAZIL

ROOT = Path(__file__).resolve().parents[1]
GEOJSON = json.loads((ROOT / "geo" / "brazil-states.geojson").read_text(encoding="utf-8"))
UFS = sorted(s for states in BRAZIL.values() for s in states)
CATEGORIES = ("bed_bath_table", "health_beauty", "pc_gamer", "sports_leisure", "toys", "unknown",
              "watches_gifts")
PAYMENTS = ("boleto", "credit_card", "debit_card", "not_defined", "voucher")
DOMAIN = Domain(min_day=date(2019, 1, 1), max_day=date(2021, 12, 31), states=tuple(UFS),
                categories=CATEGORIES, payment_types=PAYMENTS)
META = {"start": "2019-01-01", "end": "2021-12-31", "states": UFS,
        "categories": list(CATEGORIES), "payment_types": list(PAYMENTS)}
D = Decimal


# --- formatting -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (D("1234567.891"), "R$1,234,567.89"),
    (D("0.005"), "R$0.01"),             # half-up, as the API rounds
    (D("2.675"), "R$2.68"),
    (2.675, "R$2.68"),                  # a float from JSON: its decimal text, not its binary
    (0, "R$0.00"),
    (D("999.995"), "R$1,000.00"),
    (D("-12"), "-R$12.00"),
    (None, "—"),
])
def test_money(value: object, text: str) -> None:
    assert fmt.money(value, EN) == text  # type: ignore[arg-type]


@given(st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=4, allow_nan=False))
def test_money_on_page_equals_money_from_api(value: Decimal) -> None:
    """The card formats the service's Decimal; the test formats the API's JSON float."""
    assert fmt.money(value, EN) == fmt.money(jsonable(value), EN)


@pytest.mark.parametrize(("field", "value", "text"), [
    ("sales", D("159918.70"), "R$159,918.70"),
    ("aov", D("125.2299921691464369616288175"), "R$125.23"),
    ("orders", 12345, "12,345"),
    ("new_customers", 0, "0"),
    ("items_per_order", 1.1190289741581831, "1.12"),
    ("avg_review", 4.087912087912088, "4.09 / 5"),
    ("on_time_rate", 0.9110405083399523, "91.1%"),
    ("canceled_rate", 0.003861003861003861, "0.4%"),
    ("avg_delivery_days", 12.397705676536345, "12.4 days"),
    ("unavailable_rate", None, "—"),
])
def test_kpi_value(field: str, value: object, text: str) -> None:
    assert fmt.kpi_value(field, value, EN) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(("field", "growth", "tone", "text"), [
    ("sales", 0.123, "good", "▲ +12.3%"),
    ("sales", -0.05, "bad", "▼ −5.0%"),
    ("canceled_rate", 0.2, "bad", "▲ +20.0%"),       # more cancellations: bad news
    ("canceled_rate", -0.2, "good", "▼ −20.0%"),
    ("unavailable_rate", 1.5, "bad", "▲ +150.0%"),
    ("avg_review", -0.01, "bad", "▼ −1.0%"),
    ("freight", 0.3, "neutral", "▲ +30.0%"),          # neither good nor bad
    ("orders", 0.0001, "neutral", "▶ 0.0%"),          # unchanged
    ("orders", None, "none", "—"),                     # nothing to compare with
])
def test_change_colour_follows_meaning_not_sign(field: str, growth: float | None, tone: str,
                                                text: str) -> None:
    assert fmt.tone(field, growth) == tone
    assert fmt.change_text(growth, EN) == text


def test_every_card_metric_has_a_label_and_a_polarity() -> None:
    from dashapp.page.layout import KPI_ELEMENTS

    for field in KPI_ELEMENTS:
        assert field in fmt.KPI_LABELS and field in fmt.POLARITY


def test_dates_and_timestamps() -> None:
    assert fmt.date_range("2019-01-01", date(2021, 12, 31), EN) == "Jan 1, 2019 – Dec 31, 2021"
    assert fmt.timestamp("2026-11-27T16:08:15.313794+00:00", EN) == "Nov 27, 2026, 16:08 UTC"
    assert fmt.timestamp(None, EN) == "—"


# --- URL state ----------------------------------------------------------------------------


def test_parse_search_accepts_commas_and_repeats() -> None:
    assert urlstate.parse_search("?state=SP,RJ&state=MG&category=&x=1") == {
        "state": ["SP", "RJ", "MG"], "category": [], "x": ["1"]}
    assert urlstate.parse_search("") == {} and urlstate.parse_search(None) == {}


def test_build_search_is_one_normal_form_in_api_order() -> None:
    assert urlstate.build_search({"category": ["toys", "pc_gamer", "toys"], "state": ["SP"],
                                  "end": ["2020-12-31"], "start": ["2020-01-01"]}) == (
        "?start=2020-01-01&end=2020-12-31&state=SP&category=pc_gamer,toys")
    assert urlstate.build_search({"state": []}) == ""
    assert urlstate.build_search({"category": ["a b&c"]}) == "?category=a%20b%26c"
    assert urlstate.same_view("?state=SP&state=RJ", "?state=RJ,SP")
    assert not urlstate.same_view("?state=SP", "?state=SP&region=SE")


filters_strategy = st.builds(
    lambda days, states, regions, cats, pays: Filters(
        start=days[0], end=days[1], states=tuple(sorted(states)),
        regions=tuple(sorted(regions)), categories=tuple(sorted(cats)),
        payment_types=tuple(sorted(pays))),
    st.one_of(st.just((None, None)), st.tuples(
        st.dates(date(2018, 1, 1), date(2020, 6, 30)),
        st.dates(date(2020, 7, 1), date(2022, 12, 31)))),
    st.sets(st.sampled_from(UFS), max_size=4),
    st.sets(st.sampled_from(sorted(BRAZIL)), max_size=2),
    st.sets(st.sampled_from(CATEGORIES), max_size=3),
    st.sets(st.sampled_from(PAYMENTS), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(filters_strategy)
def test_url_round_trip(filters: Filters) -> None:
    """Filters -> URL -> the API's parser gives the same filters back."""
    search = urlstate.search_from_filters(filters)
    assert parse_filters(urlstate.parse_search(search), DOMAIN) == filters
    # and the view store's JSON form round-trips too
    assert Filters.from_json(filters.to_json()) == filters


def test_url_leaves_out_the_datas_own_bounds() -> None:
    # all dates keep their start: a link without dates means the default range
    f = Filters(start=date(2019, 1, 1), end=date(2021, 12, 31), states=("SP",))
    assert urlstate.search_from_filters(f, DOMAIN.min_day, DOMAIN.max_day) == (
        "?start=2019-01-01&state=SP")
    g = Filters(start=date(2020, 1, 1), end=date(2021, 12, 31))
    assert urlstate.search_from_filters(g, DOMAIN.min_day, DOMAIN.max_day) == "?start=2020-01-01"
    h = Filters(start=date(2019, 1, 1), end=date(2020, 6, 30))
    assert urlstate.search_from_filters(h, DOMAIN.min_day, DOMAIN.max_day) == "?end=2020-06-30"
    default = Filters(start=date(2021, 1, 1), end=date(2021, 12, 31), states=("SP",))
    assert urlstate.search_from_filters(default, DOMAIN.min_day, DOMAIN.max_day) == "?state=SP"


@pytest.mark.parametrize(("first", "last", "start", "end"), [
    (date(2019, 1, 1), date(2021, 12, 31), date(2021, 1, 1), date(2021, 12, 31)),
    # the real Olist range ends on 17 Oct: the last whole month is September
    (date(2016, 9, 4), date(2018, 10, 17), date(2017, 10, 1), date(2018, 9, 30)),
    (date(2020, 1, 1), date(2021, 1, 15), date(2020, 1, 1), date(2020, 12, 31)),
    (date(2020, 2, 29), date(2021, 2, 28), date(2020, 3, 1), date(2021, 2, 28)),
    (date(2021, 3, 1), date(2021, 12, 31), None, None),  # under 12 whole months: all
    (None, None, None, None),
])
def test_default_range_is_the_last_12_whole_months(first, last, start, end) -> None:
    assert urlstate.default_range(first, last) == (start, end)


def test_click_toggles_a_filter() -> None:
    once = urlstate.toggle({}, "state", "SP")
    assert once == {"state": ["SP"]}
    assert urlstate.toggle(once, "state", "SP") == {}                         # second click
    assert urlstate.toggle(once, "state", "RJ") == {"state": ["RJ"]}          # replaces
    assert urlstate.toggle({"state": ["RJ", "SP"]}, "state", "SP") == {"state": ["RJ"]}
    assert urlstate.toggle({"region": ["S"], "category": ["toys"]}, "state", "SP",
                           clear=("region",)) == {"category": ["toys"], "state": ["SP"]}


def test_quick_picks_are_relative_to_the_datas_last_day() -> None:
    first, last = date(2019, 1, 1), date(2021, 12, 31)
    assert urlstate.quick_range("30d", first, last) == (date(2021, 12, 2), last)
    assert urlstate.quick_range("90d", first, last) == (date(2021, 10, 3), last)
    assert urlstate.quick_range("ytd", first, last) == (date(2021, 1, 1), last)
    assert urlstate.quick_range("2020", first, last) == (date(2020, 1, 1), date(2020, 12, 31))
    assert urlstate.quick_range("all", first, last) == (first, last)
    assert urlstate.quick_range("12m", first, last) == (date(2021, 1, 1), last)
    keys = [k for k, _ in urlstate.quick_picks(first, last)]
    assert keys == ["12m", "30d", "90d", "ytd", "2019", "2020", "2021", "all"]
    # Olist's real years come from the data, not from a fixed list
    assert [k for k, _ in urlstate.quick_picks(date(2016, 9, 4), date(2018, 10, 17))][4:7] == [
        "2016", "2017", "2018"]
    assert urlstate.active_quick(date(2020, 1, 1), date(2020, 12, 31), first, last) == {"2020"}
    assert urlstate.active_quick(date(2021, 1, 1), last, first, last) == {"12m", "ytd", "2021"}
    assert urlstate.active_quick(first, last, first, last) == {"all"}
    assert urlstate.active_quick(None, None, first, last) == {"12m", "ytd", "2021"}
    assert urlstate.active_quick(date(2020, 2, 1), None, first, last) == set()
    # the quick picks write the URL: the default is no dates, "all" keeps its start
    assert urlstate.with_dates({"state": ["SP"]}, *urlstate.quick_range("12m", first, last),
                               first, last) == {"state": ["SP"]}
    assert urlstate.with_dates({}, *urlstate.quick_range("all", first, last),
                               first, last) == {"start": ["2019-01-01"]}


@pytest.mark.parametrize(("x0", "x1", "start", "end"), [
    ("2020-02-20", "2020-04-10", date(2020, 3, 1), date(2020, 3, 31)),
    ("2020-03-14 05:12:33.123", "2020-06-20", date(2020, 3, 1), date(2020, 6, 30)),
    ("2020-06-20", "2020-03-01", date(2020, 3, 1), date(2020, 6, 30)),      # right to left
    ("2020-05-02", "2020-05-09", date(2020, 5, 1), date(2020, 5, 31)),      # inside one bar
    ("2018-06-01", "2019-02-20", date(2019, 1, 1), date(2019, 2, 28)),      # clamped
])
def test_drag_selects_whole_months(x0: str, x1: str, start: date, end: date) -> None:
    assert urlstate.drag_range(x0, x1, DOMAIN.min_day, DOMAIN.max_day) == (start, end)


def test_filter_bar_shows_canonical_values_of_the_url() -> None:
    c = urlstate.controls_from_search("?state=sp&category=HEALTH_BEAUTY,nope&start=bad", META)
    assert c.state == ["SP"] and c.category == ["health_beauty"]
    assert (c.start, c.end) == ("2021-01-01", "2021-12-31")  # open/invalid: the default
    edited = urlstate.Controls("2019-01-01", "2020-06-30", ["SP"], [], ["toys"], ["boleto"])
    assert urlstate.search_from_controls(edited, META) == (
        "?end=2020-06-30&state=SP&category=toys&payment_type=boleto")


# --- figures ------------------------------------------------------------------------------


def _category_rows(sales: list[Decimal]) -> list[dict]:
    return [{"key": f"cat{i:02d}", "sales": s, "freight": s / 10, "revenue": s + s / 10,
             "items": i + 1, "orders": i + 1, "aov": s / (i + 1)} for i, s in enumerate(sales)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=D("99999.99"), places=2), min_size=0,
                max_size=40), st.integers(1, 15))
def test_top_n_plus_other_sums_exactly(sales: list[Decimal], top: int) -> None:
    rows = _category_rows(sales)
    table = charts.category_table(rows, top)
    assert sum(r["sales"] for r in table) == sum(sales, start=D(0))  # exact, not approximate
    assert sum(r["freight"] for r in table) == sum((r["freight"] for r in rows), start=D(0))
    assert sum(r["items"] for r in table) == sum(r["items"] for r in rows)
    if len(rows) > top:
        assert len(table) == top + 1 and table[-1]["key"] == charts.OTHER
        assert table[-1]["categories"] == len(rows) - top
        assert table[-1]["orders"] is None  # orders of several categories cannot be added
    else:
        assert len(table) == len(rows) and all(not r["is_other"] for r in table)


def test_selected_category_outside_top_n_is_shown_and_highlighted() -> None:
    rows = _category_rows([D(100 - i) for i in range(20)])
    table = charts.category_table(rows, 5, selected=["cat17"])
    keys = [r["key"] for r in table]
    assert keys == ["cat00", "cat01", "cat02", "cat03", "cat04", "cat17", charts.OTHER]
    assert table[-1]["sales"] == sum(D(100 - i) for i in range(5, 20) if i != 17)
    fig = charts.category_figure(table, EN, ["cat17"])
    bar = fig.data[0]
    assert list(bar.marker.opacity) == [charts.FADED] * 5 + [1.0, charts.FADED]
    assert list(bar.x) == [float(r["sales"]) for r in table]
    assert bar.marker.color[-1] == charts.GREY and bar.customdata[-1][5] is True  # "other"
    assert bar.customdata[5][0] == "cat17" and bar.customdata[5][1] == "R$83.00"
    assert list(charts.category_figure(table, EN).data[0].marker.opacity) == [1.0] * 7


def _state_rows() -> list[dict]:
    return [{"key": "SP", "sales": D("1000.50"), "orders": 10, "canceled_rate": 0.1},
            {"key": "RJ", "sales": D("400.25"), "orders": 4, "canceled_rate": None},
            {"key": "AC", "sales": D("5"), "orders": 1, "canceled_rate": 0.0}]


def test_map_keeps_every_state_and_outlines_the_selection() -> None:
    ids, names = charts.feature_ids(GEOJSON)
    assert len(ids) == 27 and "SP" in ids and names[ids.index("SP")] == "São Paulo"
    fig = charts.map_figure(_state_rows(), "sales", ["SP"], ids, EN, names, GEOJSON, "id")
    base, data = fig.data
    assert list(base.locations) == ids and base.featureidkey == "id"  # all 27 drawn
    assert list(data.locations) == ["SP", "RJ", "AC"]
    assert list(data.z) == [1000.5, 400.25, 5.0]
    assert list(data.selectedpoints) == [0]  # SP; plotly fades the others
    assert data.unselected.marker.opacity == charts.FADED and data.selected.marker.opacity == 1
    assert list(base.selectedpoints) == [ids.index("SP")]
    assert list(data.marker.line.width) == [2.5, 0.6, 0.6]
    assert list(data.customdata[0][:2]) == ["São Paulo", "R$1,000.50"]
    assert fig.layout.geo.fitbounds == "locations" and fig.layout.geo.visible is False
    # another metric; a state without a value is left to the grey base layer
    rates = charts.map_figure(_state_rows(), "canceled_rate", [], ids, EN, names, None, "id")
    assert list(rates.data[1].locations) == ["SP", "AC"]
    assert rates.data[1].selectedpoints is None  # nothing selected: nothing faded
    assert rates.data[1].customdata[0][1] == "10.0%"


def test_feature_ids_follow_the_geo_key_path() -> None:
    assert charts.feature_ids(GEOJSON, "properties.uf")[0] == charts.feature_ids(GEOJSON)[0]
    assert charts.feature_ids(GEOJSON, "properties.nope") == ([], [])


def test_map_updates_are_patches_without_the_geojson() -> None:
    ids, names = charts.feature_ids(GEOJSON)
    fig = charts.map_figure(_state_rows(), "sales", ["RJ"], ids, EN, names, None, "id")
    ops = map_patch(fig).to_plotly_json()["operations"]
    touched = {tuple(op["location"]): op for op in ops}
    assert ("data", 1, "z") in touched and ("data", 1, "marker") in touched
    assert touched[("data", 1, "selectedpoints")]["params"]["value"] == [1]  # RJ
    assert not any("geojson" in loc for loc in touched)
    assert len(json.dumps(ops)) < 20_000  # vs ~650 kB with the GeoJSON
    cleared = charts.map_figure(_state_rows(), "sales", [], ids, EN, names, None, "id")
    ops = map_patch(cleared).to_plotly_json()["operations"]
    after = {tuple(op["location"]): op for op in ops}
    assert after[("data", 1, "selectedpoints")]["params"]["value"] is None  # clears the old


def test_payment_chart_shares_and_highlight() -> None:
    rows = [{"key": "credit_card", "payment_rows": 80, "orders": 75, "value": D("9000"),
             "share_orders": 0.75, "share_value": 0.9, "avg_installments": 3.4},
            {"key": "boleto", "payment_rows": 20, "orders": 20, "value": D("1000"),
             "share_orders": 0.2, "share_value": 0.1, "avg_installments": 1.0}]
    fig = charts.payment_figure(rows, EN, ["boleto"])
    orders, value = fig.data
    assert list(orders.x) == [0.75, 0.2] and list(value.x) == [0.9, 0.1]
    assert list(orders.marker.opacity) == [charts.FADED, 1.0]
    assert [c[0] for c in orders.customdata] == ["credit_card", "boleto"]
    assert "3.4 installments" in orders.y[0] and orders.customdata[0][2] == "R$9,000.00"
    assert list(orders.text) == ["75.0%", "20.0%"]


def test_timeseries_and_growth() -> None:
    points = [{"period": "2020-01", "sales": D("100.00"), "orders": 2, "aov": D("50"),
               "mom": None, "yoy": None},
              {"period": "2020-02", "sales": D("1500.10"), "orders": 3, "aov": D("500.0333"),
               "mom": 14.001, "yoy": None}]
    fig = charts.timeseries_figure(points, EN)
    bars, line = fig.data
    assert list(bars.x) == ["2020-01-01", "2020-02-01"] and list(bars.y) == [100.0, 1500.1]
    assert list(line.y) == [2, 3] and line.yaxis == "y2"
    assert list(bars.customdata[1]) == ["R$1,500.10", "3", "R$500.03", "+1,400.1%", "—"]
    assert fig.layout.dragmode == "select" and fig.layout.selectdirection == "h"
    growth = charts.growth_figure(points, EN)
    assert list(growth.data[0].y) == [None, 14.001]
    assert "needs over a year" in growth.data[1].name  # says why YoY is empty
    empty = charts.timeseries_figure([], EN)
    assert empty.layout.annotations[0].text == charts.EMPTY_MESSAGE


def test_summary_tables() -> None:
    regions = [{"key": "S", "sales": D("10.10"), "freight": D("1.01"), "payments": D("11.11"),
                "orders": 1},
               {"key": "SE", "sales": D("90.90"), "freight": D("9.09"), "payments": D("99.99"),
                "orders": 9}]
    rows = charts.earnings_rows(regions, ["S"])
    assert [r["region"] for r in rows] == ["Southeast", "South", "Total"]
    assert rows[-1]["sales"] == D("101.00") and rows[-1]["payments"] == D("111.10")
    assert rows[-1]["orders"] == 10 and rows[1]["selected"] is True
    assert charts.selected_regions({"state": ["SP", "PR"], "region": []}) == ["SE", "S"]

    kpis = {"current": {"sales": D("110"), "canceled_rate": 0.02, "repeat_rate": 0.25},
            "previous": {"sales": D("100"), "canceled_rate": 0.01, "repeat_rate": 0.2},
            "growth": {"sales": 0.1, "canceled_rate": 1.0, "repeat_rate": 0.25}}
    changes = {r["field"]: r for r in charts.changes_rows(kpis, EN)}
    assert changes["repeat_rate"] == {
        "field": "repeat_rate", "metric": "Repeat customers", "current": "25.0%",
        "previous": "20.0%", "change": "▲ +25.0%", "tone": "good"}
    assert charts.changes_csv(kpis)[0][list(charts.CHANGE_FIELDS).index("repeat_rate")] == {
        "metric": "repeat_rate", "current": 0.25, "previous": 0.2, "growth": 0.25}
    assert changes["sales"]["current"] == "R$110.00" and changes["sales"]["tone"] == "good"
    assert changes["canceled_rate"]["change"] == "▲ +100.0%"
    assert changes["canceled_rate"]["tone"] == "bad"
    assert changes["orders"]["current"] == "—" and changes["orders"]["tone"] == "none"


def test_csv_export_is_what_the_chart_shows() -> None:
    rows = _category_rows([D(100 - i) for i in range(15)])
    payload = {"category": {"rows": rows}}
    out, columns = export_rows("category", payload, {"category": []}, 10)
    assert [r["key"] for r in out] == [r["key"] for r in charts.category_table(rows, 10)]
    assert out[-1]["sales"] == sum(D(100 - i) for i in range(10, 15))
    assert columns[:2] == ["key", "sales"]


# --- the view: a wrong link is named, the rest still applies -------------------------------


class FakeService:
    """The service calls resolve_view makes, over the real filter parser."""

    @contextmanager
    def reader(self):
        yield SimpleNamespace(version="v1")

    def parse(self, params: dict, reader=None) -> Filters:
        return parse_filters(params, DOMAIN).resolve(DOMAIN)

    def domain(self, reader=None) -> Domain:
        return DOMAIN

    def dashboard(self, filters: Filters, reader=None) -> dict:
        orders = 0 if filters.start and filters.start.year > 2025 else 5
        return {"kpis": {"current": {"orders": orders},
                         "previous_period": {"start": "x", "end": "y"}}}


def test_wrong_parameter_is_named_and_the_rest_applies() -> None:
    view, _ = resolve_view(FakeService(), "?state=XX&category=toys&colour=red")  # type: ignore
    assert view["filters"]["category"] == ["toys"] and view["filters"]["state"] == []
    named = [n["parameter"] for n in view["notices"]]
    assert sorted(named) == ["colour", "state"]
    assert any("XX" in n["message"] for n in view["notices"])
    with pytest.raises(FilterError):
        parse_filters({"state": ["XX"]}, DOMAIN)  # the same message the API gives


def test_empty_view_is_flagged() -> None:
    view, _ = resolve_view(FakeService(), "?start=2030-01-01&end=2030-01-31")  # type: ignore
    assert view["empty"] is True and view["notices"] == []


def test_status_changes_only_when_something_changed() -> None:
    first = next_status(None, "v1", None, None)
    assert first is not None and first["version"] == "v1"
    assert next_status(first, "v1", None, None) is None                  # nothing redraws
    down = next_status(first, "v1", "connection refused", None)
    assert down is not None and down["error"] == "connection refused"
    back = next_status(down, "v1", None, None)
    assert back is not None and back["error"] is None
    assert next_status(back, "v2", None, None)["version"] == "v2"        # a new load
    # the view saw the outage but the poll did not: force one redraw when all is well
    assert next_status(back, "v1", None, {"error": {"kind": "db"}}) is not None


# --- the layout renders without a database -------------------------------------------------


def test_layout_has_the_stable_ids_and_reads_no_data(tmp_path: Path) -> None:
    from dashapp.config import load_settings
    from dashapp.web.app import create_app

    engine = create_engine("postgresql+psycopg2://nobody@/nowhere?host=/nonexistent")
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=engine)
    client = app.server.test_client()
    resp = client.get("/_dash-layout")
    assert resp.status_code == 200  # with the database unreachable
    components: dict[str, dict] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props.get("id"), str):
                components[props["id"]] = props
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(resp.get_json())
    for element in ("state-map", "category-chart", "payment-chart", "timeseries-chart",
                    "db-error-banner", *[f"kpi-{f}" for f in (
                        "sales", "orders", "aov", "items_per_order", "customers",
                        "new_customers", "payments", "avg_review", "on_time_rate",
                        "canceled_rate", "unavailable_rate")]):
        assert element in components, element
    assert components["state-map"]["config"]["topojsonURL"] == "/assets/topojson/"
    choropleth = components["state-map"]["figure"]["data"][0]
    assert choropleth["type"] == "choropleth" and len(choropleth["geojson"]["features"]) == 27
    assert components["url"]["refresh"] == "callback-nav"
    index = client.get("/").get_data(as_text=True)
    assert "//cdn" not in index and "https://" not in index
    engine.dispose()


# --- the map's display geometry -------------------------------------------------------------


def _rings(feature: dict) -> list[list[list[float]]]:
    geometry = feature["geometry"]
    polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                else geometry["coordinates"])
    return [ring for polygon in polygons for ring in polygon]


def _bbox(feature: dict) -> tuple[float, float, float, float]:
    points = [p for ring in _rings(feature) for p in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def test_display_geometry_is_lighter_but_the_same_map() -> None:
    from dashapp.page.geo import TOLERANCE, count_points, load_geo, simplify_geojson, simplify_line

    geo = load_geo(str(ROOT / "geo" / "brazil-states.geojson"), "id")
    assert geo.ids == tuple(charts.feature_ids(GEOJSON)[0]) and len(geo.ids) == 27
    assert count_points(geo.geojson) < count_points(GEOJSON) * 0.4  # well under half
    for before, after in zip(GEOJSON["features"], geo.geojson["features"], strict=True):
        assert after["id"] == before["id"] and after["properties"] == before["properties"]
        if after["id"] in ("ES", "RN"):  # oceanic islands dropped: only the east edge moves
            assert _bbox(after)[0] == pytest.approx(_bbox(before)[0], abs=TOLERANCE)
            assert _bbox(after)[2] < _bbox(before)[2] - 1
            continue
        assert all(abs(a - b) <= TOLERANCE for a, b in zip(_bbox(after), _bbox(before),
                                                             strict=True)), after["id"]
    # the map's frame: Acre's western tip to the mainland's eastern tip (34.8 W), not 28.9 W
    east = max(_bbox(f)[2] for f in geo.geojson["features"])
    assert -35.0 < east < -34.5
    # every kept point is an original point; rings stay closed
    for before, after in zip(GEOJSON["features"], geo.geojson["features"], strict=True):
        original = {tuple(p) for ring in _rings(before) for p in ring}
        assert all(tuple(p) in original for ring in _rings(after) for p in ring)
        assert all(ring[0] == ring[-1] and len(ring) >= 4 for ring in _rings(after))
    # the algorithm itself: a straight line keeps its ends, a spike above tolerance stays
    assert simplify_line([[0, 0], [1, 0.001], [2, 0]], 0.01) == [[0, 0], [2, 0]]
    assert simplify_line([[0, 0], [1, 0.5], [2, 0]], 0.01) == [[0, 0], [1, 0.5], [2, 0]]
    assert simplify_geojson({"type": "FeatureCollection", "features": []})["features"] == []
