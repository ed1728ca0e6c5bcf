"""The Sellers panel in a real browser (dash[testing] + chromium): run with `--headless`.

A real click on a seller's row puts `seller=<id>` in the page URL and every KPI card
then equals /api/v1/kpis for that seller and the view's dates (the API is the
reference); the row is highlighted and the filter shown in the bar and the caption; a
second click clears it. The filter bar's picker finds a seller by part of its id. The
panel fits a phone's width. The table's texts are the API's rows through the panel's
own formatter.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import test_dashboard
from browser import (
    api_json,
    callback_outputs,
    click,
    page_ready,
    query_of,
    show_panel,
    wait_until,
)
from langs import EN
from sqlalchemy import Engine
from test_dashboard import (
    assert_clean_console,
    expected_kpis,
    make_app,
    open_page,
    page_query,
    wait_for_kpis,
)

from dashapp.page import formatting as fmt
from dashapp.page.panels.sellers import DEFAULT_TOP, row_cells

pytestmark = pytest.mark.slow
# test_dashboard's fixtures (its browser with the network log kept, its demo database)
dash_duo = test_dashboard.dash_duo
demo_dir = test_dashboard.demo_dir
shared_engine = test_dashboard.shared_engine

ROWS = "#sellers-table tr.seller-row"


def table_texts(driver: Any) -> list[list[str]]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map("
        "tr => Array.from(tr.cells).map(td => td.textContent));", ROWS)


def row_of(driver: Any, key: str) -> Any:
    for row in driver.find_elements("css selector", ROWS):
        if f'"key":"{key}"' in (row.get_attribute("id") or ""):
            return row
    return None


def row_class(driver: Any, key: str) -> str | None:
    """The class of a seller's row now (read in one script: no stale element)."""
    return driver.execute_script(
        "const tr = Array.from(document.querySelectorAll(arguments[0]))"
        ".find(r => JSON.parse(r.id).key === arguments[1]);"
        "return tr ? tr.className : null;", ROWS, key)


def api_sellers(app: Any, query: str = "") -> dict:
    resp = app.server.test_client().get(
        f"/api/v1/breakdown/seller?{page_query(app, query)}&limit={DEFAULT_TOP}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_clicking_a_seller_filters_every_card_and_again_clears(
        dash_duo: Any, shared_engine: Engine, tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app)
    totals = expected_kpis(app)
    wait_for_kpis(driver, totals)
    show_panel(driver, "sellers")
    api = api_sellers(app)
    expected = [row_cells(r, EN) for r in api["rows"]]
    wait_until(lambda: table_texts(driver) == expected,
               message=lambda: f"panel shows {table_texts(driver)[:2]}, API {expected[:2]}")
    seller = api["rows"][1]["key"]  # not the first: the order must not matter

    click(driver, wait_until(lambda: row_of(driver, seller)))
    wait_until(lambda: query_of(driver.current_url) == {"seller": [seller]},
               message=lambda: driver.current_url)
    wait_for_kpis(driver, expected_kpis(app, f"seller={seller}"))
    # the list stays (computed without the seller filter), the selection highlighted
    wait_until(lambda: "selected-row" in (row_class(driver, seller) or ""),
               message=lambda: f"row class {row_class(driver, seller)!r}, rows "
                               f"{table_texts(driver)[:3]}")
    assert table_texts(driver) == expected
    assert fmt.short_id(seller) in driver.find_element("id", "f-seller").text
    assert f"Seller: {fmt.short_id(seller)}" in driver.find_element("id", "view-caption").text

    click(driver, row_of(driver, seller))
    wait_until(lambda: query_of(driver.current_url) == {}, message=lambda: driver.current_url)
    wait_for_kpis(driver, totals)
    wait_until(lambda: row_class(driver, seller) == "seller-row")
    assert_clean_console(dash_duo)


def test_picker_finds_a_seller_by_part_of_its_id(dash_duo: Any, shared_engine: Engine,
                                                 tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app)
    seller = api_sellers(app)["rows"][0]["key"]
    click(driver, driver.find_element("id", "f-seller"))
    box = wait_until(lambda: [e for e in driver.find_elements(
        "css selector", "input[type=search], #f-seller input") if e.is_displayed()])[0]
    box.send_keys(seller[5:17])
    option = wait_until(lambda: [o for o in driver.find_elements("css selector",
                                                                  "[role=option]")
                                 if fmt.short_id(seller) in o.text])
    option[0].click()
    wait_until(lambda: query_of(driver.current_url).get("seller") == [seller],
               message=lambda: driver.current_url)
    wait_for_kpis(driver, expected_kpis(app, f"seller={seller}"))
    show_panel(driver, "sellers")
    wait_until(lambda: "selected-row" in (row_class(driver, seller) or ""))
    assert_clean_console(dash_duo)


def test_panel_fits_a_phone(dash_duo: Any, shared_engine: Engine, tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    driver.get(dash_duo.server_url + "/")
    wait_until(lambda: page_ready(driver), timeout=30)
    show_panel(driver, "sellers")
    wait_until(lambda: len(table_texts(driver)) == DEFAULT_TOP, timeout=30)
    time.sleep(0.5)
    layout = driver.execute_script(
        "const t = document.getElementById('sellers-panel').getBoundingClientRect();"
        "const rows = document.querySelectorAll(arguments[0]);"
        "return {sw: document.documentElement.scrollWidth, w: window.innerWidth,"
        " panel: t.width, row: rows[0].getBoundingClientRect().width,"
        " hidden: getComputedStyle(rows[0].cells[1]).display};", ROWS)
    assert layout["w"] == 390 and layout["sw"] <= 390, layout
    assert layout["panel"] <= 390 and layout["row"] <= 390, layout
    assert layout["hidden"] == "none"  # the state column gives way on a phone
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert_clean_console(dash_duo)


def test_a_panel_off_screen_asks_nothing_until_it_is_scrolled_to(
        dash_duo: Any, shared_engine: Engine, tmp_path: Path) -> None:
    """The shortages view, at the bottom of the page, runs no callback (and so no model)
    while the person looks at the top; scrolled to, it asks and draws (lazy.py)."""
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app)
    wait_for_kpis(driver, expected_kpis(app))
    time.sleep(1)  # what the page asks after drawing the top has had time to go out
    asked = callback_outputs(driver.get_log("performance"))
    assert any("kpi-sales" in o for o in asked), asked  # the log holds the page's requests
    assert not any("shortages-answer" in o for o in asked), asked
    for below in ("customers-cohorts", "impact-chart", "forecast-answer"):  # further down
        assert not any(below in o for o in asked), (below, [o for o in asked if below in o])

    show_panel(driver, "shortages")

    def asked_shortages() -> bool:
        asked.extend(callback_outputs(driver.get_log("performance")))
        return any("shortages-answer" in o for o in asked)
    wait_until(asked_shortages, timeout=30, message="scrolled to, the panel never asked")
    body = api_json(app, "/api/v1/shortages", "grain=month")  # the page's whole history
    wait_until(lambda: driver.execute_script(
        "const gd = document.querySelector('#shortages-chart .js-plotly-plot');"
        "const t = gd && gd.data ? gd.data.find(t => t.name === 'Value') : null;"
        "return t ? Array.from(t.x) : null;") == [p["period"] for p in body["series"]],
        timeout=60, message="the panel never drew its answer")
    assert_clean_console(dash_duo)
