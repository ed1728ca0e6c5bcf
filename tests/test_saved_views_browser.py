"""Saved views and targets in a real browser (run with `pytest --headless`).

Against the REST API as the reference: a month's target shows on the Sales card as the
share of it reached (the API's sales over the target, formatted by the page's function)
and on the monthly chart as the "Target missed" line; the current view is saved from the
header's Views menu (its share link is the page's URL); after a reload at `/`, choosing
it in the menu brings back the same URL and the cards of that view.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from browser import click, kpi_texts, page_ready, query_of, wait_until
from langs import EN
from sqlalchemy import Engine
from test_dashboard import (  # noqa: F401 - fixtures, shared with the dashboard's tests
    dash_duo,
    demo_dir,
    expected_kpis,
    make_app,
    shared_engine,
)

from dashapp.page.callbacks import target_text

pytestmark = pytest.mark.slow

TRACES_JS = """
const gd = document.querySelector('#timeseries-chart .js-plotly-plot');
return gd && gd.data ? gd.data.map(t => t.name) : [];
"""


def text_of(driver: Any, element_id: str) -> str:
    return driver.execute_script(
        "return (document.getElementById(arguments[0]) || {}).textContent || '';", element_id)


def test_target_on_card_and_chart_then_save_and_reopen_a_view(
        dash_duo: Any, shared_engine: Engine,  # noqa: F811 - the fixtures imported above
        tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path, refresh=0)
    api = app.server.test_client()
    last = date.fromisoformat(api.get("/api/v1/meta").get_json()["end"])
    month = (date(last.year, last.month, 1) - timedelta(days=1)).replace(day=1)  # whole
    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    query = f"start={month}&end={end}"
    sales = Decimal(str(api.get(f"/api/v1/kpis?{query}").get_json()["current"]["sales"]))
    target = (sales * 2).quantize(Decimal("0.01"))
    r = api.post("/api/v1/targets", json={"month": f"{month:%Y-%m}", "amount": str(target)})
    assert r.status_code == 201, r.get_json()

    dash_duo.start_server(app, debug=False)  # a free port: conftest's dash_thread_server
    driver = dash_duo.driver
    driver.get(f"{dash_duo.server_url}/?{query}")
    wait_until(lambda: page_ready(driver), timeout=60, message="the page never drew")
    expected = expected_kpis(app, query)
    wait_until(lambda: kpi_texts(driver) == expected, timeout=30,
               message=lambda: f"cards show {kpi_texts(driver)}, API says {expected}")
    want = target_text({"ratio": sales / target, "target": target}, EN)
    assert want.startswith("50") and "of target" in want
    wait_until(lambda: text_of(driver, "kpi-sales-target") == want, timeout=15,
               message=lambda: f"card says {text_of(driver, 'kpi-sales-target')!r}, "
                               f"expected {want!r}")
    wait_until(lambda: "Target missed" in driver.execute_script(TRACES_JS), timeout=15,
               message=lambda: f"chart traces: {driver.execute_script(TRACES_JS)}")

    # save it from the header's menu
    click(driver, driver.find_element("css selector", "#views-menu .dropdown-toggle"))
    click(driver, driver.find_element("id", "view-save-open"))
    name = wait_until(lambda: driver.find_element("id", "view-name"), timeout=10)
    wait_until(lambda: name.is_displayed(), timeout=10, message="no save dialog")
    name.send_keys("Last month, whole shop")
    click(driver, driver.find_element("id", "view-save"))
    link = wait_until(lambda: driver.find_element("id", "view-share-link").get_attribute(
        "value"), timeout=15, message="no share link after saving")
    assert link == f"{dash_duo.server_url}/?{query}", link
    click(driver, driver.find_element("id", "view-save-close"))

    # reload at /, open it from the menu: the same URL and the same cards
    driver.get(dash_duo.server_url + "/")
    wait_until(lambda: page_ready(driver), timeout=60, message="the page never drew")
    default = expected_kpis(app, "")
    wait_until(lambda: kpi_texts(driver) == default, timeout=30,
               message=lambda: f"cards show {kpi_texts(driver)}, API says {default}")
    click(driver, driver.find_element("css selector", "#views-menu .dropdown-toggle"))
    item = wait_until(lambda: next(e for e in driver.find_elements(
        "css selector", "#views-menu .dropdown-item") if e.text.strip() ==
        "Last month, whole shop"), timeout=15, message="the saved view is not in the menu")
    click(driver, item)
    wait_until(lambda: query_of(driver.current_url) == {"start": [str(month)],
                                                         "end": [str(end)]}, timeout=15,
               message=lambda: f"the menu led to {driver.current_url}")
    wait_until(lambda: kpi_texts(driver) == expected, timeout=30,
               message=lambda: f"cards show {kpi_texts(driver)}, API says {expected}")
    assert text_of(driver, "kpi-sales-target") == want
