"""Light and dark: the theme is a view setting (URL `theme=`, remembered in the browser),
switching keeps the filters, figures are drawn with dark colours, and text contrast passes
WCAG AA on both themes (axe-core's `color-contrast` rule, injected from tests/vendor/).

The pure parts (URL editing, recolouring) are checked without a browser first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from browser import (
    click,
    foreign,
    page_ready,
    query_of,
    requested_urls,
    show_panel,
    wait_until,
)
from langs import EN
from test_dashboard import (  # noqa: F401 - fixtures
    dash_duo,
    demo_dir,
    expected_kpis,
    make_app,
    open_page,
    shared_engine,
    wait_for_kpis,
)

from dashapp.page import charts, urlstate

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


# --- pure ------------------------------------------------------------------------------------


def test_theme_is_a_view_setting_not_a_filter() -> None:
    search = "?state=SP,RJ&category=toys&theme=dark"
    params = urlstate.parse_search(search)
    assert urlstate.without_page_params(params) == {"state": ["SP", "RJ"], "category": ["toys"]}
    assert urlstate.view_setting(search, "theme") == "dark"
    assert urlstate.view_setting("?theme=purple", "theme") is None
    assert urlstate.view_setting("?state=SP", "theme") is None
    # switching keeps every filter; a filter edit keeps the theme
    assert urlstate.with_view_setting("?state=SP&start=2020-01-01", "theme", "light") == \
        "?start=2020-01-01&state=SP&theme=light"
    assert urlstate.keep_page_params("?state=MG", search) == "?state=MG&theme=dark"
    assert urlstate.keep_page_params("", "?state=SP") == ""
    assert urlstate.same_view("?state=SP&theme=dark", "?state=SP")
    assert not urlstate.same_view("?state=SP&theme=dark", "?state=RJ&theme=dark")


def test_dark_figures_recolour_the_palette_only() -> None:
    fig = charts.map_figure([{"key": "SP", "sales": 10, "orders": 2}], "sales", ["SP"],
                            ["SP", "RJ"], EN)
    assert charts.themed(fig, "light") is fig and charts.themed(fig, None) is fig
    dark = charts.themed(fig, "dark")
    assert dark.layout.font.color == "#dee2e6"
    assert dark.layout.hoverlabel.bgcolor == "#2b3035"
    assert dark.data[0].colorscale[0][1] == "#41484f"  # regions without orders
    assert dark.data[0].marker.line.color == "#212529"  # borders in the card's colour
    assert dark.data[1].marker.line.color == ("#ffffff",)  # the selected state stands out
    assert dark.data[1].colorscale == fig.data[1].colorscale  # viridis stays
    assert fig.layout.font.color == charts.INK  # the light figure is untouched
    labels = charts.payment_figure([{"key": "boleto", "orders": 1, "value": 5,
                                     "share_orders": 1.0, "share_value": 1.0,
                                     "avg_installments": 1}], EN)
    assert "#adb5bd" in charts.themed(labels, "dark").data[0].y[0]

    @charts.themed_callback
    def callback(x: int) -> tuple:
        return charts.empty_figure(str(x), EN), x

    drawn, value = callback(3, "dark")
    assert isinstance(drawn, go.Figure) and drawn.layout.font.color == "#dee2e6"
    assert value == 3


# --- in a browser --------------------------------------------------------------------------


def contrast_violations(driver: Any) -> list[dict]:
    """axe-core's WCAG 2 AA text-contrast findings for the page as it is now."""
    if not driver.execute_script("return typeof window.axe === 'object';"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast']}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, nodes: v.nodes.map("
        "n => ({target: n.target.join(' '), summary: n.failureSummary}))}))))"
        ".catch(e => done([{id: 'axe-error', nodes: [{target: String(e)}]}]));")
    return result


def theme_of(driver: Any) -> str | None:
    return driver.execute_script("return document.documentElement.getAttribute('data-bs-theme');")


@pytest.mark.slow
def test_switch_to_dark_keeps_filters_is_remembered_and_passes_contrast(
        dash_duo: Any, shared_engine: Any, tmp_path: Path) -> None:  # noqa: F811
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app, "/?state=SP")
    in_sp = expected_kpis(app, "state=SP")
    wait_for_kpis(driver, in_sp)
    driver.set_script_timeout(60)
    assert theme_of(driver) == "light"
    assert contrast_violations(driver) == []

    # the switch: dark, the same filters, the same numbers, dark figures
    click(driver, driver.find_element("id", "theme-switch"))
    wait_until(lambda: theme_of(driver) == "dark")
    wait_until(lambda: query_of(driver.current_url) == {"state": ["SP"], "theme": ["dark"]},
               message=lambda: driver.current_url)
    wait_for_kpis(driver, in_sp)
    assert driver.find_element("id", "view-notice").get_attribute("hidden")  # no "unknown"
    show_panel(driver, "customers")  # a lazy panel draws (dark) once on screen
    wait_until(lambda: driver.execute_script(
        "return ['timeseries-chart', 'category-chart', 'payment-chart', 'state-map',"
        " 'customers-segments'].every(id => {"
        "  const gd = document.querySelector('#' + id + ' .js-plotly-plot');"
        "  return gd && gd.layout.font && gd.layout.font.color === '#dee2e6'; });"),
        timeout=30, message="figures were not redrawn dark")
    assert driver.find_element("id", "theme-switch").get_attribute("aria-pressed") == "true"
    wait_until(lambda: page_ready(driver), timeout=30)
    assert contrast_violations(driver) == []

    # remembered: a link without `theme=` opens dark; a filter edit keeps it in the URL
    driver.get(dash_duo.server_url + "/?state=RJ")
    wait_until(lambda: page_ready(driver), timeout=30)
    wait_until(lambda: theme_of(driver) == "dark")
    wait_for_kpis(driver, expected_kpis(app, "state=RJ"))
    assert driver.execute_script("return window.localStorage.getItem('theme');") == '"dark"'

    # back to light from the switch; a link's own theme wins over the remembered one
    click(driver, driver.find_element("id", "theme-switch"))
    wait_until(lambda: theme_of(driver) == "light")
    assert query_of(driver.current_url) == {"state": ["RJ"], "theme": ["light"]}
    driver.get(dash_duo.server_url + "/?theme=dark")
    wait_until(lambda: theme_of(driver) == "dark")

    urls = requested_urls(driver.get_log("performance"))
    assert foreign(urls, dash_duo.server_url) == []
    assert not any("axe" in u for u in urls)  # injected by the test, never served
    assert dash_duo.get_logs() == [], "the browser console logged errors"
