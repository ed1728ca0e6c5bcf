"""The Orders panel in a real browser (run with `pytest --headless`), against the REST API.

Each way in must open exactly the orders behind its number:

- the Sales card's "orders": the total line shows the card's sales and the Orders card's
  count, the panel is scrolled into view, and the CSV link carries the view's filters;
- a shift-click on SP (map) and on a category bar: the list of the view + that value,
  whose total equals that state's / category's row of /api/v1/breakdown, and the click
  does not filter the page; on a month of the monthly chart, that month's point of
  /api/v1/timeseries; a tap on a bar then the chart's Orders button does the same;
- the Canceled card: canceled orders only, as many as canceled_rate x all orders;
- Next / Previous visit the API's pages, never repeating a row;
- a row opens the order's detail, with its id and its items as /api/v1/orders/<id> says.

Data: conftest's demo dataset (4,000 orders), loaded once for the module.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from browser import (
    api_json,
    click,
    click_bar,
    click_map_location,
    page_ready,
    query_of,
    show_panel,
    wait_until,
)
from langs import EN
from sqlalchemy import Engine
from test_dashboard import (
    ARTIFACTS,
    dash_duo,  # noqa: F401 - a fixture
    expected_kpis,
    make_app,
    page_query,
    wait_for_kpis,
)

from dashapp.page import formatting as fmt
from dashapp.page.panels.orders import PAGE_SIZE

pytestmark = pytest.mark.slow

TOTAL_JS = """
const text = id => (document.getElementById(id) || {}).textContent || null;
return {orders: text('orders-total-orders'), sales: text('orders-total-sales'),
        freight: text('orders-total-freight'), payments: text('orders-total-payments'),
        scope: document.getElementById('orders-scope-line').hidden ? ''
               : text('orders-scope-text')};
"""
ROWS_JS = """
return Array.from(document.querySelectorAll('#orders-grid tbody tr.order-row'))
  .map(tr => [JSON.parse(tr.id).id, tr.children[3].textContent]);
"""


def open_page(dash_duo: Any, app: Any, path: str = "/") -> Any:  # noqa: F811
    """test_dashboard's open_page with more patience (the server is on a free port: see
    conftest's dash_thread_server)."""
    dash_duo.start_server(app, debug=False)
    driver = dash_duo.driver
    if path != "/":
        driver.get(dash_duo.server_url + path)
    wait_until(lambda: page_ready(driver), timeout=60,
               message="the page never finished drawing")
    return driver


def assert_clean_console(duo: Any) -> None:
    logs = duo.get_logs()
    assert logs == [], f"the browser console logged errors: {logs}"


def shown_total(driver: Any) -> dict:
    return driver.execute_script(TOTAL_JS)


def row_ids(driver: Any) -> list[str]:
    return [r[0] for r in driver.execute_script(ROWS_JS)]


def api_total(app: Any, query: str) -> dict[str, str]:
    """The API's total of a list, formatted as the panel formats it."""
    total = api_json(app, "/api/v1/orders", f"{query}&limit=1")["total"]
    return {"orders": fmt.integer(total["orders"], EN),
            **{k: fmt.money(total[k], EN) for k in ("sales", "freight", "payments")}}


# The waits are long: two other branches' browser tests share these two cores, and a
# starved Chromium answers a script call in seconds, not milliseconds.


def wait_total(driver: Any, expected: dict[str, str], scope: str, timeout: float = 90) -> None:
    wanted = {**expected, "scope": scope}
    wait_until(lambda: shown_total(driver) == wanted, timeout=timeout,
               message=lambda: f"panel shows {shown_total(driver)}, expected {wanted}")


def panel_in_view(driver: Any) -> bool:
    return driver.execute_script(
        "const r = document.getElementById('orders-section').getBoundingClientRect();"
        "return r.top > -5 && r.top < window.innerHeight / 2;")


def way_in(driver: Any, element_id: dict) -> None:
    """A real click on a way in (a pattern-matching id: Dash writes it as sorted JSON)."""
    dom_id = json.dumps(element_id, separators=(",", ":"), sort_keys=True)
    element = wait_until(lambda: driver.execute_script(
        "return document.getElementById(arguments[0]);", dom_id), timeout=30,
        message=f"no {dom_id} on the page")
    click(driver, element)


def test_sales_card_opens_the_views_orders(dash_duo: Any, demo_engine: Engine,  # noqa: F811
                                           tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app)
    cards = expected_kpis(app)
    wait_for_kpis(driver, cards)
    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'});")

    way_in(driver, {"type": "kpi-orders", "field": "sales"})
    query = page_query(app)
    wait_total(driver, {**api_total(app, f"status=sales&{query}"), "sales": cards["sales"],
                        "orders": cards["orders"]}, "")
    wait_until(lambda: panel_in_view(driver), timeout=30, message="the panel is not in view")
    assert len(row_ids(driver)) == PAGE_SIZE
    href = driver.find_element("id", "orders-csv").get_attribute("href")
    parts = urlsplit(href)
    assert parts.path == "/api/v1/orders"
    assert parse_qs(parts.query) == {"format": ["csv"], "status": ["sales"],
                                     **parse_qs(query)}
    csv_rows = app.server.test_client().get(f"{parts.path}?{parts.query}").get_data(
        as_text=True).strip().splitlines()
    assert len(csv_rows) - 1 == int(cards["orders"].replace(",", ""))
    assert_clean_console(dash_duo)


def month_end(month: str) -> str:
    first = date.fromisoformat(f"{month}-01")
    return (date(first.year + first.month // 12, first.month % 12 + 1, 1)
            - timedelta(days=1)).isoformat()


def breakdown_row(app: Any, dim: str, key: str, query: str) -> dict[str, str]:
    rows = api_json(app, f"/api/v1/breakdown/{dim}", query)["rows"]
    row = next(r for r in rows if r["key"] == key)
    return {"orders": fmt.integer(row["orders"], EN), "sales": fmt.money(row["sales"], EN)}


def test_shift_click_on_a_state_and_a_bar_opens_their_orders(
        dash_duo: Any, demo_engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app, "/?payment_type=credit_card")
    wait_for_kpis(driver, expected_kpis(app, "payment_type=credit_card"))
    query = page_query(app, "payment_type=credit_card")

    click_map_location(driver, "SP", shift=True)
    sp = api_total(app, f"{query}&state=SP")
    assert {k: sp[k] for k in ("orders", "sales")} == breakdown_row(app, "state", "SP", query)
    wait_total(driver, sp, "Scope State: SP")
    wait_until(lambda: panel_in_view(driver), timeout=30, message="the panel is not in view")
    assert query_of(driver.current_url) == {"payment_type": ["credit_card"]}  # not filtered

    category = api_json(app, "/api/v1/breakdown/category", query)["rows"][1]["key"]
    click_bar(driver, "category-chart", category, shift=True)
    bar = api_total(app, f"{query}&category={category}")
    assert {k: bar[k] for k in ("orders", "sales")} == breakdown_row(app, "category",
                                                                     category, query)
    wait_total(driver, bar, f"Scope Category: {category}")
    assert query_of(driver.current_url) == {"payment_type": ["credit_card"]}

    # a month's bar on the monthly chart: the view's orders purchased in that month
    point = api_json(app, "/api/v1/timeseries", f"grain=month&{query}")["points"][-2]
    month = point["period"][:7]
    month_total = api_total(app, f"payment_type=credit_card&start={month}-01"
                                 f"&end={month_end(month)}")  # a whole month of the view
    assert (month_total["orders"], month_total["sales"]) == (fmt.integer(point["orders"], EN),
                                                             fmt.money(point["sales"], EN))
    click_bar(driver, "timeseries-chart", fmt.money(point["sales"], EN), shift=True)
    label = date.fromisoformat(f"{month}-01").strftime("%b %Y")
    wait_total(driver, month_total, f"Scope Month: {label}")
    assert query_of(driver.current_url) == {"payment_type": ["credit_card"]}

    # the touch way: a tap selects the bar (the page filters), the chart's button opens it
    click_bar(driver, "category-chart", category)
    wait_until(lambda: query_of(driver.current_url) == {
        "category": [category], "payment_type": ["credit_card"]}, message=driver.current_url)
    way_in(driver, {"type": "chart-orders", "chart": "category"})
    wait_total(driver, bar, f"Scope Category: {category}")

    click(driver, driver.find_element("id", "orders-scope-clear"))  # the scope is removable
    wait_total(driver, api_total(app, page_query(
        app, f"category={category}&payment_type=credit_card")), "")
    assert_clean_console(dash_duo)


def test_canceled_card_lists_the_canceled_orders(dash_duo: Any,  # noqa: F811
                                                 demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app)
    wait_for_kpis(driver, expected_kpis(app))
    query = page_query(app)
    rate = api_json(app, "/api/v1/kpis", query)["current"]["canceled_rate"]
    every = api_json(app, "/api/v1/orders", f"status=all&limit=1&{query}")["total"]["orders"]
    canceled = round(rate * every)
    assert canceled > 0

    way_in(driver, {"type": "kpi-orders", "field": "canceled_rate"})
    expected = api_total(app, f"status=canceled&{query}")
    assert expected["orders"] == fmt.integer(canceled, EN)
    wait_total(driver, expected, "Scope Canceled orders")
    statuses = {r[1] for r in driver.execute_script(ROWS_JS)}
    assert statuses == {"canceled"}
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "orders-desktop.png"))
    href = driver.find_element("id", "orders-csv").get_attribute("href")
    assert parse_qs(urlsplit(href).query)["status"] == ["canceled"]

    # a phone: the table scrolls sideways inside its card, the page does not
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    layout = wait_until(lambda: driver.execute_script(
        "document.getElementById('orders-section')"
        ".scrollIntoView({block: 'start', behavior: 'instant'});"
        "const wrap = document.getElementById('orders-table');"
        "const r = document.getElementById('orders-panel').getBoundingClientRect();"
        "return window.innerWidth === 390 && {sw: document.documentElement.scrollWidth,"
        " inner: wrap.scrollWidth > wrap.clientWidth, right: r.right};"), timeout=30)
    assert layout["sw"] <= 390 and layout["right"] <= 390 and layout["inner"]
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "orders-390x844.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert_clean_console(dash_duo)


def test_pages_and_the_order_detail(dash_duo: Any, demo_engine: Engine,  # noqa: F811
                                    tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app, "/?region=SE")
    wait_for_kpis(driver, expected_kpis(app, "region=SE"))
    show_panel(driver, "orders")
    query = page_query(app, "region=SE")
    pages, cursor = [], None
    for _ in range(3):  # the API's first three pages
        body = api_json(app, "/api/v1/orders", f"{query}&limit={PAGE_SIZE}" +
                        (f"&cursor={cursor}" if cursor else ""))
        pages.append([r["order_id"] for r in body["rows"]])
        cursor = body["next_cursor"]
    assert len({i for p in pages for i in p}) == 3 * PAGE_SIZE  # no repeats

    wait_until(lambda: row_ids(driver) == pages[0], timeout=90,
               message=lambda: f"first page {row_ids(driver)}")
    next_button = driver.find_element("id", "orders-next")
    for expected in (pages[1], pages[2]):
        click(driver, next_button)
        wait_until(lambda e=expected: row_ids(driver) == e, timeout=90,
                   message=lambda: f"page shows {row_ids(driver)}")
    click(driver, driver.find_element("id", "orders-prev"))
    wait_until(lambda: row_ids(driver) == pages[1], timeout=90,
               message=lambda: f"Previous shows {row_ids(driver)}")
    page_text = driver.find_element("id", "orders-page").text
    assert page_text.startswith(f"Orders {PAGE_SIZE + 1}\u2013{2 * PAGE_SIZE} of ")

    order_id = pages[1][2]
    row = driver.find_element("css selector", "#orders-grid tbody tr:nth-child(3)")
    click(driver, row)
    detail = api_json(app, f"/api/v1/orders/{order_id}")
    wait_until(lambda: driver.execute_script(
        "return (document.getElementById('order-modal-id') || {}).textContent") == order_id,
        timeout=90, message="the detail never showed the clicked order")
    items = driver.execute_script(
        "return Array.from(document.querySelectorAll('#order-items tbody tr'))"
        ".map(tr => Array.from(tr.children).map(td => td.textContent));")
    assert [(r[0], r[2], r[4]) for r in items] == [
        (str(i["order_item_id"]), i["category"], fmt.money(i["price"], EN))
        for i in detail["items"]]
    assert detail["items"]
    assert_clean_console(dash_duo)
