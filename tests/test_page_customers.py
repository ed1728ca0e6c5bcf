"""The Customers section in a real browser (run with `pytest --headless`).

Against the REST API as the reference (/api/v1/customers/cohorts, /segments, /customers,
/api/v1/delivery/lateness, computed through the API's own request path): (a) a real click
on SP in the map redraws the heatmap and the segments with the API's answers for
`state=SP` and the page's dates; (b) a click on a segment's bar lists its customers, as
many as the segment's `customers`, page by page in the API's order, and its CSV link
(same origin) holds every one of them; (c) the lateness chart's bars and line are the
API's; (d) an empty view says so, and on a phone the charts stack without sideways
scroll, loading nothing from another origin.

Data: conftest's demo dataset (4,000 orders over 2019-2021), loaded once for the module.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from browser import (
    api_json,
    click,
    click_bar,
    click_map_location,
    foreign,
    page_ready,
    query_of,
    requested_urls,
    show_panel,
    wait_until,
)
from langs import EN
from sqlalchemy import Engine
from test_dashboard import (
    dash_duo,  # noqa: F401 - a fixture
    make_app,
    page_query,
)

from dashapp.page import formatting as fmt
from dashapp.page.panels import customer_charts as cc
from dashapp.page.panels.customers import PAGE_SIZE

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

FIGURE_JS = """
const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!gd || !gd.data) return null;
const notes = ((gd.layout || {}).annotations || []).map(a => a.text);
return {notes: notes, data: gd.data.map(t => ({type: t.type, x: t.x, y: t.y, z: t.z,
                                                custom: t.customdata}))};
"""


def figure(driver: Any, graph_id: str) -> dict | None:
    """What plotly holds for a graph now (the figure the callback sent, as drawn)."""
    driver.execute_script(
        "const el = document.getElementById(arguments[0]);"
        "if (el) el.scrollIntoView({block: 'center', behavior: 'instant'});", graph_id)
    return driver.execute_script(FIGURE_JS, graph_id)


def close(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 (the page and the API serialise the same float)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) <= 1e-9
    return a == b


def heatmap_matches(driver: Any, cohorts: list[dict]) -> bool:
    expected = cc.cohort_matrix(cohorts, EN)
    fig = figure(driver, "customers-cohorts")
    if not fig or not fig["data"] or fig["data"][0]["type"] != "heatmap":
        return False
    trace = fig["data"][0]
    return trace["y"] == expected.labels and close(trace["z"], expected.z)


def segments_match(driver: Any, segments: list[dict]) -> bool:
    fig = figure(driver, "customers-segments")
    if not fig or not fig["data"]:
        return False
    bar = fig["data"][0]
    return (bar["y"] == [s["customers"] for s in segments]
            and [c[0] for c in bar["custom"]] == [s["segment"] for s in segments]
            and [c[3] for c in bar["custom"]] == [fmt.money(s["sales"], EN) for s in segments])


def wait_section(driver: Any, app: Any, query: str) -> tuple[list[dict], list[dict]]:
    """Wait until the heatmap and the segments show the API's answers for `query`."""
    cohorts = api_json(app, "/api/v1/customers/cohorts", query)["cohorts"]
    segments = api_json(app, "/api/v1/customers/segments", query)["segments"]
    wait_until(lambda: heatmap_matches(driver, cohorts), timeout=30,
               message=lambda: f"heatmap {figure(driver, 'customers-cohorts')} is not the "
                               f"API's for {query}")
    wait_until(lambda: segments_match(driver, segments), timeout=30,
               message=lambda: f"segments {figure(driver, 'customers-segments')} are not "
                               f"the API's {segments}")
    return cohorts, segments


def open_page(dash_duo: Any, app: Any) -> Any:  # noqa: F811
    """test_dashboard's open_page with more patience: this page draws the section too, on
    a machine other test runs share."""
    dash_duo.start_server(app, debug=False)
    driver = dash_duo.driver
    wait_until(lambda: page_ready(driver), timeout=90, message="the page never finished drawing")
    return driver


def assert_clean_console(dash_duo: Any) -> None:  # noqa: F811
    logs = dash_duo.get_logs()
    assert logs == [], f"the browser console logged errors: {logs}"


def listed(driver: Any) -> dict:
    return driver.execute_script(
        "const t = id => (document.getElementById(id) || {}).textContent || '';"
        "const p = document.getElementById('customers-list-panel');"
        "return {open: Boolean(p && !p.hidden), total: t('customers-list-total'),"
        " range: t('customers-list-range'), title: t('customers-list-title'),"
        " ids: Array.from(document.querySelectorAll('#customers-list td.customer-id'))"
        "   .map(td => td.title)};")


def test_map_click_redraws_the_section_and_a_segment_lists_its_customers(
        dash_duo: Any, demo_engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app)
    everyone, _ = wait_section(driver, app, page_query(app))

    click_map_location(driver, "SP")
    wait_until(lambda: query_of(driver.current_url) == {"state": ["SP"]},
               message=lambda: driver.current_url)
    sp = page_query(app, "state=SP")
    cohorts, segments = wait_section(driver, app, sp)
    assert cc.cohort_matrix(cohorts, EN).z != cc.cohort_matrix(everyone, EN).z  # SP is not everyone

    # the lateness chart: the API's buckets, in order, bars and the 1-2 star line
    buckets = api_json(app, "/api/v1/delivery/lateness", sp)["buckets"]
    assert sum(b["orders"] for b in buckets) > 0
    fig = wait_until(lambda: (f := figure(driver, "customers-lateness")) and len(f["data"]) == 2
                     and f["data"][0]["y"] == [b["avg_review"] for b in buckets] and f)
    assert fig["data"][0]["x"] == [cc.BUCKET_LABELS[b["bucket"]] for b in buckets]
    assert close(fig["data"][1]["y"], [b["low_review_share"] for b in buckets])

    # a segment's bar: its customers, as many as the segment says, page by page
    segment = max(segments, key=lambda s: s["customers"])
    assert segment["customers"] > PAGE_SIZE  # so that Next has a page to show
    click_bar(driver, "customers-segments", segment["segment"])
    pages = [api_json(app, "/api/v1/customers",
                      f"{sp}&segment={segment['segment']}&limit={PAGE_SIZE}")]
    pages.append(api_json(app, "/api/v1/customers", f"{sp}&segment={segment['segment']}"
                          f"&limit={PAGE_SIZE}&cursor={pages[0]['next_cursor']}"))
    assert pages[0]["total"]["customers"] == segment["customers"]
    first_ids = [r["customer_unique_id"] for r in pages[0]["rows"]]
    wait_until(lambda: listed(driver)["ids"] == first_ids, timeout=30,
               message=lambda: f"the list shows {listed(driver)}")
    shown = listed(driver)
    assert shown["open"] and shown["total"] == fmt.integer(segment["customers"], EN)
    assert shown["title"] == f"{cc.SEGMENT_LABELS[segment['segment']]} customers"
    assert shown["range"] == \
        f"Showing 1\u2013{PAGE_SIZE} of {fmt.integer(segment['customers'], EN)}"

    click(driver, driver.find_element("id", "customers-list-next"))
    second_ids = [r["customer_unique_id"] for r in pages[1]["rows"]]
    wait_until(lambda: listed(driver)["ids"] == second_ids, timeout=20,
               message=lambda: f"page 2 shows {listed(driver)}")
    click(driver, driver.find_element("id", "customers-list-prev"))
    wait_until(lambda: listed(driver)["ids"] == first_ids, timeout=20)

    # the CSV link: same origin, the view's filters, every customer of the segment
    href = driver.find_element("id", "customers-list-csv").get_attribute("href")
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}" == dash_duo.server_url.rstrip("/")
    assert parse_qs(parts.query) == {**parse_qs(sp), "segment": [segment["segment"]],
                                     "format": ["csv"]}
    resp = app.server.test_client().get(f"{parts.path}?{parts.query}")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == segment["customers"]
    assert [r["customer_unique_id"] for r in rows[:PAGE_SIZE]] == first_ids

    # a second click on SP: the list follows the view (the same segment, everyone)
    click_map_location(driver, "SP")
    wait_until(lambda: query_of(driver.current_url) == {},
               message=lambda: f"a second click on SP left {driver.current_url}")
    everyone_segments = api_json(app, "/api/v1/customers/segments",
                                 page_query(app))["segments"]
    count = next(s["customers"] for s in everyone_segments
                 if s["segment"] == segment["segment"])
    show_panel(driver, "customers")  # the list is off screen after the map click
    wait_until(lambda: listed(driver)["total"] == fmt.integer(count, EN), timeout=30,
               message=lambda: f"after clearing SP the list shows {listed(driver)}")
    assert_clean_console(dash_duo)


def test_empty_view_and_phone_layout(dash_duo: Any, demo_engine: Engine,  # noqa: F811
                                     tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app)
    ARTIFACTS.mkdir(exist_ok=True)
    wait_section(driver, app, page_query(app))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_script("document.getElementById('customers-section')"
                          ".scrollIntoView({block: 'start', behavior: 'instant'});")
    time.sleep(0.8)
    driver.save_screenshot(str(ARTIFACTS / "customers-1440x900.png"))

    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    driver.get(dash_duo.server_url + "/?start=2030-01-01&end=2030-03-31")
    for graph_id, message in (("customers-cohorts", cc.NO_CUSTOMERS),
                              ("customers-segments", cc.NO_CUSTOMERS),
                              ("customers-lateness", cc.NO_DELIVERIES)):
        wait_until(lambda g=graph_id, m=message: (f := figure(driver, g)) and m in f["notes"],
                   timeout=30, message=lambda g=graph_id: f"{g}: {figure(driver, g)}")

    driver.get(dash_duo.server_url + "/")
    wait_section(driver, app, page_query(app))
    time.sleep(0.8)
    driver.execute_script("document.getElementById('customers-section')"
                          ".scrollIntoView({block: 'start', behavior: 'instant'});")
    driver.save_screenshot(str(ARTIFACTS / "customers-390x844.png"))
    layout = driver.execute_script(
        "const r = id => document.getElementById(id).getBoundingClientRect();"
        "return {sw: document.documentElement.scrollWidth, w: window.innerWidth,"
        " seg: r('customers-segments-card'), late: r('customers-lateness-card'),"
        " heat: document.querySelector('#customers-cohorts-card .chart-scroll')"
        "   .getBoundingClientRect().width};")
    assert layout["w"] == 390 and layout["sw"] <= 390  # nothing sticks out
    assert layout["late"]["top"] >= layout["seg"]["bottom"]  # stacked, not side by side
    assert layout["heat"] <= 390  # the heatmap scrolls inside its card, the page does not
    urls = requested_urls(driver.get_log("performance"))
    assert foreign(urls, dash_duo.server_url) == []
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert_clean_console(dash_duo)
