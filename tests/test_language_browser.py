"""The page in Portuguese in a real browser (run with `pytest --headless`).

What it proves, against the REST API as the reference: `?lang=pt-BR` draws Portuguese
labels and Brazilian numbers on the cards (the API's numbers through the same
formatting functions), on a chart's axis (CLDR separators and the currency where pt_BR
puts it, plotly's Portuguese month names from assets/) and in a hover under a real
pointer; the header's menu switches to French keeping the filters in the URL, and the
cookie keeps French on a link without `lang=`; nothing is fetched from another origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import (
    click,
    foreign,
    kpi_texts,
    page_ready,
    query_of,
    requested_urls,
    wait_until,
)
from langs import FR, PT
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from sqlalchemy import Engine
from test_dashboard import (  # noqa: F401 - fixtures, shared with the dashboard's tests
    dash_duo,
    demo_dir,
    expected_kpis,
    make_app,
    page_query,
    shared_engine,
)

from dashapp.page import formatting as fmt

pytestmark = pytest.mark.slow

PT_ONLY_MONTHS = ("Fev", "Abr", "Mai", "Ago", "Set", "Out", "Dez")
EN_ONLY_MONTHS = ("Feb", "Apr", "May", "Aug", "Sep", "Oct", "Dec")

STATE_JS = """
const ids = ['state-map', 'category-chart', 'payment-chart', 'timeseries-chart'];
return {drawn: ids.filter(id => document.querySelector('#' + id + ' .main-svg')),
        loading: Array.from(document.querySelectorAll('[data-dash-is-loading="true"]'))
          .map(e => e.id), sales: (document.getElementById('kpi-sales') || {}).textContent,
        labels: Array.from(document.querySelectorAll('.kpi-label')).map(e => e.textContent)
          .slice(0, 2)};
"""
TEXTS_JS = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);"

FIRST_BAR_JS = """
const gd = document.querySelector('#category-chart .js-plotly-plot');
const bar = gd.querySelector('.barlayer .trace .point path');
bar.scrollIntoView({block: 'center', behavior: 'instant'});
return bar;
"""


PT_MONTH_NAMES = ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho",
                  "agosto", "setembro", "outubro", "novembro", "dezembro")
EN_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")


def texts(driver: Any, selector: str) -> list[str]:
    return driver.execute_script(TEXTS_JS, selector)


def test_portuguese_page_numbers_axis_hover_and_switch(
        dash_duo: Any, shared_engine: Engine,  # noqa: F811 - the fixtures imported above
        tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path, refresh=0)
    dash_duo.start_server(app, debug=False)
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + "/?lang=pt-BR&state=SP")
    wait_until(lambda: page_ready(driver), timeout=60, message=lambda: (
        f"the page never finished drawing: {driver.execute_script(STATE_JS)}"))

    # labels and cards: Portuguese words, the API's numbers written as Brazil writes them
    labels = texts(driver, ".kpi-label")
    assert labels[:3] == ["Vendas", "Pedidos", "Ticket médio"]
    expected = expected_kpis(app, "state=SP", PT)
    wait_until(lambda: kpi_texts(driver) == expected, timeout=15,
               message=lambda: f"cards show {kpi_texts(driver)}, API says {expected}")
    assert expected["sales"].startswith("R$\u00a0") and "," in expected["sales"]
    assert texts(driver, "#lang-menu .dropdown-toggle")[0].strip() == "Português (Brasil)"

    # an axis: the sales ticks carry pt_BR's currency prefix, the months plotly's pt-BR names
    y_ticks = texts(driver, "#timeseries-chart .ytick text")
    assert y_ticks and all(t.startswith("R$\u00a0") for t in y_ticks if t.strip()), y_ticks
    x_ticks = " ".join(texts(driver, "#timeseries-chart .xtick text"))
    assert any(m in x_ticks for m in PT_ONLY_MONTHS), x_ticks
    assert not any(m in x_ticks for m in EN_ONLY_MONTHS), x_ticks

    # a hover under a real pointer: the top category's sales as the API gives them
    top = app.server.test_client().get(
        f"/api/v1/breakdown/category?{page_query(app, 'state=SP')}").get_json()["rows"][0]
    bar = driver.execute_script(FIRST_BAR_JS)
    ActionChains(driver).move_to_element(bar).perform()
    want = f"Vendas {fmt.money(top['sales'], PT)}"
    hover = wait_until(lambda: " ".join(texts(driver, "#category-chart .hoverlayer text")),
                       timeout=5, message="no hover label on the top category's bar")
    assert want in hover, (want, hover)

    # the date picker's calendar: Brazil's month names (date-fns's pt-BR, assets/vendor)
    click(driver, driver.find_element("id", "f-dates"))  # the range's start input
    calendar = wait_until(lambda: " ".join(texts(
        driver, ".dash-datepicker-calendar-container")), timeout=10,
        message="the date picker's calendar did not open")
    assert any(m in calendar for m in PT_MONTH_NAMES), calendar
    assert not any(m in calendar for m in EN_MONTH_NAMES), calendar
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()

    # the header's menu: French, the same filters; the cookie keeps it without lang=
    click(driver, driver.find_element("css selector", "#lang-menu .dropdown-toggle"))
    item = next(e for e in driver.find_elements("css selector", "#lang-menu .dropdown-item")
                if e.text.strip() == FR.name)
    click(driver, item)
    wait_until(lambda: query_of(driver.current_url).get("lang") == ["fr"], timeout=15,
               message=lambda: f"the menu led to {driver.current_url}")
    assert query_of(driver.current_url)["state"] == ["SP"]
    wait_until(lambda: texts(driver, ".kpi-label")[:1] == ["Ventes"], timeout=30,
               message=lambda: f"labels after the switch: {texts(driver, '.kpi-label')[:3]}")
    french = expected_kpis(app, "state=SP", FR)
    wait_until(lambda: kpi_texts(driver) == french, timeout=15,
               message=lambda: f"cards show {kpi_texts(driver)}, API says {french}")
    driver.get(dash_duo.server_url + "/?state=SP")
    wait_until(lambda: texts(driver, ".kpi-label")[:1] == ["Ventes"], timeout=30,
               message="the cookie did not keep French on a link without lang=")

    urls = requested_urls(driver.get_log("performance"))
    assert urls and foreign(urls, dash_duo.server_url) == []
