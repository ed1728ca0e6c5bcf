"""The Orders panel's pure parts (no browser, no database): scopes -> the list's query
parameters, the cursor stack behind Previous/Next, sorting, what the lines say.

The browser tests (tests/test_page_orders.py) prove the panel against the API; these pin
the rules those rely on, including the ones a browser cannot reach quickly (a Previous on
the first page, a Next without a cursor).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from dash.exceptions import PreventUpdate
from hypothesis import given
from hypothesis import strategies as st
from langs import EN

from dashapp.filters import Filters
from dashapp.page.panels import orders as panel

VIEW = Filters(start=date(2020, 1, 1), end=date(2020, 12, 31), states=("RJ",),
               regions=("SE",), categories=("toys",), payment_types=("boleto",)).to_json()


def test_a_card_lists_the_view_and_a_status_card_its_status() -> None:
    params = panel.order_params(VIEW, panel.card_scope("sales"))
    assert params == {"start": ["2020-01-01"], "end": ["2020-12-31"], "state": ["RJ"],
                      "region": ["SE"], "category": ["toys"], "payment_type": ["boleto"],
                      "status": ["sales"], "sort": ["purchased_at"], "order": ["desc"]}
    for field, status in (("canceled_rate", "canceled"), ("unavailable_rate", "unavailable")):
        scoped = panel.order_params(VIEW, panel.card_scope(field))
        assert scoped == {**params, "status": [status]}
    assert panel.order_params(VIEW, panel.card_scope("aov"))["status"] == ["sales"]


def test_a_chart_value_replaces_its_own_dimension_only() -> None:
    """As each chart computes its numbers: without its own dimension's filter (a state also
    drops the region), every other filter kept."""
    sp = panel.order_params(VIEW, panel.chart_scope("map", ["SP"]))
    assert sp["state"] == ["SP"] and "region" not in sp
    assert (sp["category"], sp["payment_type"]) == (["toys"], ["boleto"])
    bar = panel.order_params(VIEW, panel.chart_scope("category", ["bed_bath_table"]))
    assert bar["category"] == ["bed_bath_table"] and bar["state"] == ["RJ"]
    slice_ = panel.order_params(VIEW, panel.chart_scope("payment", ["voucher"]),
                                {"sort": "sales", "order": "asc"})
    assert slice_["payment_type"] == ["voucher"]
    assert (slice_["sort"], slice_["order"]) == (["sales"], ["asc"])
    whole = panel.order_params(VIEW, panel.chart_scope("map", []))
    assert whole == panel.order_params(VIEW, None)


def test_pick_key_reads_what_each_chart_carries() -> None:
    assert panel.pick_key("map", {"location": "SP"}) == "SP"
    assert panel.pick_key("category", {"customdata": ["toys", 1, 2, 3, 4, False]}) == "toys"
    assert panel.pick_key("category", {"customdata": ["other", 1, 2, 3, 4, True]}) is None
    assert panel.pick_key("payment", {"customdata": ["boleto"]}) == "boleto"
    assert panel.pick_key("payment", {}) is None


def test_csv_href_carries_the_filters_and_status_not_the_sort() -> None:
    params = panel.order_params(VIEW, panel.chart_scope("map", ["SP"]))
    href = panel.csv_href(params)
    parts = urlsplit(href)
    assert parts.path == "/api/v1/orders" and not parts.netloc  # same origin
    assert parse_qs(parts.query) == {"format": ["csv"], "start": ["2020-01-01"],
                                     "end": ["2020-12-31"], "state": ["SP"],
                                     "category": ["toys"], "payment_type": ["boleto"],
                                     "status": ["sales"]}


@given(st.lists(st.sampled_from([1, -1]), max_size=30), st.integers(0, 12))
def test_the_cursor_stack_goes_back_to_exactly_the_pages_shown(steps: list[int],
                                                              last: int) -> None:
    """Pages 0..last exist; page n's next_cursor is f"c{n+1}". Walking any way, the
    page's cursor is always the one that page was first reached with."""
    pages = panel.first_page({"status": ["sales"]})
    for step in steps:
        page = pages["page"]
        next_cursor = f"c{page + 1}" if page < last else None
        try:
            pages = panel.turn(pages, step, next_cursor)
        except PreventUpdate:
            assert (step < 0 and page == 0) or (step > 0 and page == last)
            continue
        assert pages["page"] == page + step
        assert pages["cursors"][pages["page"]] == (None if pages["page"] == 0
                                                   else f"c{pages['page']}")


def test_sorting_flips_or_starts_largest_first() -> None:
    assert panel.toggle_sort(None, "sales") == {"sort": "sales", "order": "desc"}
    assert panel.toggle_sort({"sort": "sales", "order": "desc"}, "sales") == {
        "sort": "sales", "order": "asc"}
    assert panel.toggle_sort(None, "purchased_at") == {"sort": "purchased_at", "order": "asc"}


@pytest.mark.parametrize("order_id,shown", [
    ("e481f51cbdc54678b7cc49136f2d6af7", "e481f51c\u20266af7"), ("short-id", "short-id")])
def test_short_id(order_id: str, shown: str) -> None:
    assert panel.short_id(order_id) == shown


def test_scope_text_and_late_text() -> None:
    assert panel.scope_text(panel.card_scope("sales"), EN) == ""
    assert panel.scope_text(panel.card_scope("canceled_rate"), EN) == "Canceled orders"
    assert panel.scope_text(panel.chart_scope("payment", ["credit_card"]), EN) == \
        "Payment: Credit card"
    assert panel.scope_text(panel.chart_scope("map", ["RJ", "SP"]), EN) == "State: RJ, SP"
    assert [panel.late_text(d, EN) for d in (3, 0, -2, None)] == ["+3", "0", "\u22122", "\u2014"]


def test_page_text() -> None:
    answer = {"page": 1, "rows": [{}] * 3, "total": {"orders": 28}}
    assert panel.page_text(answer, EN) == f"Orders {panel.PAGE_SIZE + 1}\u2013" \
                                      f"{panel.PAGE_SIZE + 3} of 28"
    assert panel.page_text({"page": 0, "rows": [], "total": {"orders": 0}}, EN) == ""


def test_a_region_row_lists_that_region_and_the_total_row_every_region() -> None:
    view = Filters(states=("SP",), regions=(), categories=("toys",))
    assert panel.scoped(view, panel.region_scope("NE")) == \
        Filters(regions=("NE",), categories=("toys",))
    assert panel.scoped(view, panel.region_scope("total")) == Filters(categories=("toys",))
    assert panel.scope_text(panel.region_scope("NE"), EN) == "Region: Northeast"
    assert panel.scope_text(panel.region_scope("total"), EN) == "All regions"


def test_each_earnings_row_equals_the_orders_its_button_lists(demo_engine) -> None:
    """The summary of earnings ignores the view's state filter (as the map does); a row's
    way in lists exactly the orders it sums, to the cent, the total row included."""
    from dashapp.page import charts
    from dashapp.queries import orders, report

    with demo_engine.connect() as conn:
        view = Filters(states=("SP",)).resolve(report.load_domain(conn))
        answer = report.dashboard(conn, view)
        rows = charts.earnings_rows(answer["region"]["rows"])
        assert len(rows) > 2
        for row in rows:
            listed = panel.scoped(view, panel.region_scope(row["key"]))
            total = orders.order_totals(conn, orders.OrderQuery(listed))
            assert (total["orders"], total["sales"], total["freight"], total["payments"]) \
                == (row["orders"], row["sales"], row["freight"], row["payments"]), row["key"]
