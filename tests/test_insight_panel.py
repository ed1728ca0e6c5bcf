"""The "Event impact" panel in a real browser (run with `pytest --headless`).

Against /api/v1/impact and /api/v1/kpis as the references: (a) changing the event date
updates the panel's summary to what the API says for that date, formatted by the panel's
own formatter, and an impossible event says so; (b) a click on a category row of the
ranked table cross-filters every KPI card (URL `category=<key>`), a second click clears it.

Data: conftest's demo dataset (4,000 orders over 2019-2021, the pandemic included),
loaded once for the module (`demo_engine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api_json, click, query_of, row_element, show_panel, wait_until
from langs import EN
from selenium.webdriver.common.keys import Keys
from sqlalchemy import Engine
from test_dashboard import (
    assert_clean_console,
    dash_duo,  # noqa: F401 - a fixture
    expected_kpis,
    make_app,
    open_page,
    wait_for_kpis,
)

from dashapp.page.panels.impact import summary_text

pytestmark = pytest.mark.slow


def api_impact(app: Any, query: str) -> dict:
    return api_json(app, "/api/v1/impact", query)


def summary(driver: Any) -> str:
    return driver.execute_script(
        "return (document.getElementById('impact-summary') || {}).textContent || '';")


def wait_summary(driver: Any, expected: str, timeout: float = 30) -> None:
    wait_until(lambda: summary(driver) == expected, timeout=timeout,
               message=lambda: f"panel says {summary(driver)!r}, expected {expected!r}")


def type_event(driver: Any, day: str) -> None:
    # the panel's controls may be redrawn just after its summary: wait for the box
    wait_until(lambda: driver.find_elements("id", "impact-event"), timeout=30,
               message="the impact panel's event date box never appeared")
    box = driver.find_element("id", "impact-event")
    if box.tag_name != "input":  # the id is on the input or on its wrapper
        box = box.find_element("css selector", "input")
    click(driver, box)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(day, Keys.ENTER)


def test_event_date_updates_the_panel(dash_duo: Any, demo_engine: Engine,  # noqa: F811
                                      tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app)
    show_panel(driver, "impact")
    default = summary_text(api_impact(app, "event=2020-03-11"), EN)
    wait_summary(driver, default)

    type_event(driver, "2020-06-01")
    later = summary_text(api_impact(app, "event=2020-06-01"), EN)
    assert later != default
    wait_summary(driver, later)
    chart_x = driver.execute_script(
        "const gd = document.querySelector('#impact-chart .js-plotly-plot');"
        "return gd.layout.shapes[0].x0;")
    assert str(chart_x).startswith("2020-06-01")

    # an event without a year of history before it says so (no traceback, no blank)
    type_event(driver, "2019-06-01")
    wait_until(lambda: summary(driver).startswith("Not enough history"), timeout=15,
               message=lambda: f"panel says {summary(driver)!r}")
    # the model's reason in the page's words, its date as the page writes dates
    assert "earliest possible event is Jan 1, 2020" in summary(driver)
    assert_clean_console(dash_duo)


def test_row_click_cross_filters_and_clears(dash_duo: Any,  # noqa: F811
                                            demo_engine: Engine,
                                            tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    driver = open_page(dash_duo, app)
    totals = expected_kpis(app)
    wait_for_kpis(driver, totals)
    show_panel(driver, "impact")
    body = api_impact(app, "event=2020-03-11")
    key = next(r["key"] for r in body["by_category"] if r["lift"] is not None)
    wait_summary(driver, summary_text(body, EN))

    click(driver, wait_until(lambda: row_element(driver, "category", key), timeout=15))
    wait_until(lambda: query_of(driver.current_url) == {"category": [key]},
               message=lambda: driver.current_url)
    wait_for_kpis(driver, expected_kpis(app, f"category={key}"))
    wait_summary(driver, summary_text(api_impact(app, f"event=2020-03-11&category={key}"), EN))

    click(driver, wait_until(lambda: row_element(driver, "category", key), timeout=15))
    wait_until(lambda: query_of(driver.current_url) == {},
               message=lambda: driver.current_url)
    wait_for_kpis(driver, totals)
    assert_clean_console(dash_duo)
