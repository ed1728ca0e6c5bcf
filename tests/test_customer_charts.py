"""The Customers section's pure helpers, without a browser or a database: the heatmap's
matrix and hover texts from the service's cohorts, the segment and lateness figures, the
list's paging state and its same-origin CSV links.

The answers below have the service's shape (queries/customers.py: cohorts, segments and
lateness in their documented order); the numbers are hand-made.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from dash.exceptions import PreventUpdate
from langs import EN

from dashapp.page.panels import customer_charts as cc
from dashapp.page.panels.customers import (
    PAGE_SIZE,
    api_href,
    customers_section,
    first_page,
    shown_range,
    turn,
)

#: Two cohorts of a range ending in May 2021: March (3 offsets) and May (1).
COHORTS = [
    {"cohort": "2021-05", "size": 7, "retention": [{"k": 0, "active": 7, "retention": 1.0}]},
    {"cohort": "2021-03", "size": 1234, "retention": [
        {"k": 0, "active": 1234, "retention": 1.0},
        {"k": 1, "active": 0, "retention": 0.0},
        {"k": 2, "active": 64, "retention": 64 / 1234}]},
]
SEGMENTS = [
    {"segment": "loyal", "customers": 3, "orders": 7, "sales": Decimal("310.50"),
     "avg_recency": 40.0},
    {"segment": "at_risk", "customers": 1, "orders": 2, "sales": Decimal("99.99"),
     "avg_recency": 200.0},
    {"segment": "new", "customers": 10, "orders": 10, "sales": Decimal("1000.00"),
     "avg_recency": 12.5},
    {"segment": "one_time", "customers": 0, "orders": 0, "sales": Decimal("0"),
     "avg_recency": None},
    {"segment": "lost", "customers": 6, "orders": 6, "sales": Decimal("60.00"),
     "avg_recency": 400.0},
]
BUCKETS = [
    {"bucket": "early_7+", "orders": 50, "avg_review": 4.4, "low_review_share": 0.06},
    {"bucket": "early_1_6", "orders": 30, "avg_review": 4.2, "low_review_share": 0.08},
    {"bucket": "on_time", "orders": 5, "avg_review": 4.0, "low_review_share": 0.1},
    {"bucket": "late_1_3", "orders": 4, "avg_review": 3.5, "low_review_share": 0.25},
    {"bucket": "late_4_7", "orders": 0, "avg_review": None, "low_review_share": None},
    {"bucket": "late_8_14", "orders": 3, "avg_review": 2.0, "low_review_share": 0.6},
    {"bucket": "late_15+", "orders": 2, "avg_review": 1.5, "low_review_share": 0.75},
]
VIEW = {"start": "2021-01-01", "end": "2021-05-31", "state": ["SP"], "region": [],
        "category": ["bed_bath_table", "a,b"], "payment_type": [], "seller": []}


def test_cohort_matrix_rows_oldest_first_and_blank_beyond_the_data() -> None:
    m = cc.cohort_matrix(COHORTS, EN)
    assert m.cohorts == ["2021-03", "2021-05"]
    assert m.labels == ["Mar 2021 \u00b7 1,234", "May 2021 \u00b7 7"]  # size beside the row
    assert m.offsets == [0, 1, 2]
    assert m.z == [[1.0, 0.0, 64 / 1234], [1.0, None, None]]  # blank, not 0
    assert m.text == [["100%", "0", "5.2%"], ["100%", "", ""]]
    assert m.hover[1][1:] == ["", ""]


def test_cohort_hover_reads_as_a_sentence() -> None:
    m = cc.cohort_matrix(COHORTS, EN)
    assert m.hover[0][2] == ("Customers who first bought in Mar 2021: 1,234<br>5.2% (64) "
                             "bought again in month 2 (May 2021, 2 months after)")
    assert m.hover[0][1].endswith("0.0% (0) bought again in month 1 (Apr 2021, 1 month after)")
    assert m.hover[0][0] == ("Customers who first bought in Mar 2021: 1,234<br>month 0 is "
                             "their first month (100% by definition)")


def test_month_arithmetic_crosses_years() -> None:
    assert cc.add_months("2021-11", 3) == "2022-02"
    assert cc.add_months("2021-12", 0) == "2021-12"
    assert cc.add_months("2020-01", 24) == "2022-01"


def test_cohort_figure_colours_by_later_months_and_says_when_empty() -> None:
    fig = cc.cohort_figure(COHORTS, EN)
    trace = fig.data[0]
    assert trace.type == "heatmap"
    assert list(trace.y) == ["Mar 2021 \u00b7 1,234", "May 2021 \u00b7 7"]
    assert trace.zmax == pytest.approx(64 / 1234)  # month 0's 100% would wash the rest out
    assert trace.hoverongaps is False
    empty = cc.cohort_figure([], EN)
    assert empty.layout.annotations[0].text == cc.NO_CUSTOMERS
    assert cc.colour_top(cc.cohort_matrix(COHORTS[:1], EN)) == 1.0  # nothing after month 0


def test_segment_figure_human_labels_and_hover_numbers() -> None:
    fig = cc.segment_figure(SEGMENTS, EN)
    bar = fig.data[0]
    assert list(bar.x) == ["Loyal", "At risk", "New", "One-time", "Lost"]
    assert list(bar.y) == [3, 1, 10, 0, 6]
    assert [c[0] for c in bar.customdata] == ["loyal", "at_risk", "new", "one_time", "lost"]
    assert list(bar.customdata[0][1:5]) == ["3", "7", "R$310.50", "40 days"]
    assert bar.customdata[3][4] == "\u2014"  # an empty segment has no mean recency
    assert cc.segment_figure([{**s, "customers": 0} for s in SEGMENTS], EN).layout.annotations[
        0].text == cc.NO_CUSTOMERS
    assert cc.segment_table(SEGMENTS, EN)[2] == ["New", cc.SEGMENT_RULES["new"], "10", "50.0%"]


def test_lateness_figure_in_bucket_order_with_low_share_as_second_series() -> None:
    fig = cc.lateness_figure(BUCKETS, EN)
    bars, line = fig.data
    assert list(bars.x) == ["7+ days early", "1\u20136 days early", "On the day",
                            "1\u20133 days late", "4\u20137 days late", "8\u201314 days late",
                            "15+ days late"]
    assert list(bars.y) == [4.4, 4.2, 4.0, 3.5, None, 2.0, 1.5]
    assert list(line.y) == [0.06, 0.08, 0.1, 0.25, None, 0.6, 0.75]
    assert line.yaxis == "y2"
    assert bars.customdata[3][1:] == ["4", "3.50", "25.0%"]
    assert cc.lateness_figure([{**b, "orders": 0} for b in BUCKETS], EN).layout.annotations[
        0].text == cc.NO_DELIVERIES
    assert cc.lateness_summary(BUCKETS, EN) == (
        "On the day: 4.00 stars, 10.0% of reviews 1\u20132 stars \u00b7 15+ days late: "
        "1.50 stars, 75.0% of reviews 1\u20132 stars")


def test_short_id_keeps_ends() -> None:
    assert cc.short_id("8d50f5eadf50201ccdcedfb9e2ac8455") == "8d50f5ea\u20268455"
    assert cc.short_id("short") == "short"


def test_csv_links_are_same_origin_with_the_views_filters() -> None:
    href = api_href("list", VIEW, segment="at_risk")
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc and parts.path == "/api/v1/customers"
    assert parse_qs(parts.query) == {"segment": ["at_risk"], "start": ["2021-01-01"],
                                     "end": ["2021-05-31"], "state": ["SP"],
                                     "category": ["bed_bath_table", "a,b"],
                                     "format": ["csv"]}
    assert api_href("lateness", VIEW).startswith("/api/v1/delivery/lateness?start=")


def test_paging_keeps_every_visited_cursor() -> None:
    state = first_page("loyal", VIEW)
    assert state["cursors"] == [None] and state["page"] == 0
    with pytest.raises(PreventUpdate):
        turn(state, -1, "c1")  # no page before the first
    two = turn(state, 1, "c1")
    three = turn(two, 1, "c2")
    assert three["cursors"] == [None, "c1", "c2"] and three["page"] == 2
    back = turn(three, -1, "c3")
    assert back["page"] == 1 and back["cursors"] == [None, "c1", "c2"]
    again = turn(back, 1, "c2")  # Next from page 2 follows the shown page's cursor
    assert again["cursors"] == [None, "c1", "c2"] and again["page"] == 2
    with pytest.raises(PreventUpdate):
        turn(again, 1, None)  # the last page


def test_shown_range() -> None:
    assert shown_range(0, PAGE_SIZE, 60, EN) == f"Showing 1\u2013{PAGE_SIZE} of 60"
    assert shown_range(2, 10, 60, EN) == \
        f"Showing {2 * PAGE_SIZE + 1}\u2013{2 * PAGE_SIZE + 10} of 60"
    assert shown_range(0, 0, 0, EN) == "No customers in this segment"


def test_section_layout_has_the_ids_the_callbacks_use() -> None:
    ids = set()

    def walk(node: object) -> None:
        if hasattr(node, "id") and isinstance(getattr(node, "id", None), str):
            ids.add(node.id)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                walk(child)

    walk(customers_section(EN))
    assert {"customers-cohorts", "customers-segments", "customers-lateness",
            "customers-list-panel", "customers-list-prev", "customers-list-next",
            "customers-list-csv", "customers-list-total", "customers-list-state"} <= ids
