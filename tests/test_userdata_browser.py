"""Targets, events, alerts and digests set on the page, signed in, in a real browser (run
with `pytest --headless`). One browser session for all of it (the CI budget is tight).

Against the REST API as the reference: a month's target set in the Targets dialog shows
on the Sales card as the share reached (the API's sales over the target, formatted by the
page's function) and on the monthly chart as the "Target missed" line, without a reload;
a refused amount is named in the dialog and stores nothing. An event added in the Events
dialog is drawn on the monthly chart (its band and label) and offered in the impact
panel's presets; the Day toggle puts `grain=day` in the URL and draws the API's daily
points with the event and without the target. An alert made in the Alerts dialog and a
digest subscription made in the Digests dialog are listed there and by the API. (The
other refused fields, and the address, are checked without a browser:
test_userdata_page.py.)
"""

from __future__ import annotations

import calendar
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from browser import click, kpi_texts, page_ready, show_panel, wait_until
from langs import EN
from selenium.webdriver.common.keys import Keys
from sqlalchemy import Engine
from test_dashboard import (  # noqa: F401 - fixtures, shared with the dashboard's tests
    dash_duo,
    demo_dir,
    expected_kpis,
    shared_engine,
)

from dashapp.config import load_settings
from dashapp.page import formatting as fmt
from dashapp.page.callbacks import target_text
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app
from loaders.userdata import set_email

pytestmark = pytest.mark.slow

SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"

FIGURE_JS = """
const gd = document.querySelector('#timeseries-chart .js-plotly-plot');
if (!gd || !gd.data) return null;
return {names: gd.data.map(t => t.name), x: (gd.data[0] || {}).x || [],
        shapes: ((gd.layout || {}).shapes || []).map(s => [s.type, String(s.x0), String(s.x1)]),
        notes: ((gd.layout || {}).annotations || []).map(a => a.text)};
"""


def text_of(driver: Any, element_id: str) -> str:
    return driver.execute_script(
        "return (document.getElementById(arguments[0]) || {}).textContent || '';", element_id)


def figure(driver: Any) -> dict:
    return driver.execute_script(FIGURE_JS) or {}


def open_dialog(driver: Any, item_id: str, field_id: str) -> Any:
    """Views menu -> item; the dialog's first field once it is shown."""
    click(driver, driver.find_element("css selector", "#views-menu .dropdown-toggle"))
    click(driver, wait_until(lambda: driver.find_element("id", item_id), timeout=10))
    field = wait_until(lambda: driver.find_element("id", field_id), timeout=10)
    wait_until(lambda: field.is_displayed(), timeout=10, message=f"{item_id}: no dialog")
    time.sleep(0.3)  # the modal's fade-in: a click before its end may land on the backdrop
    return field


def close_dialog(driver: Any, close_id: str, field_id: str) -> None:
    click(driver, driver.find_element("id", close_id))
    wait_until(lambda: not driver.find_element("id", field_id).is_displayed()
               if driver.find_elements("id", field_id) else True, timeout=10,
               message=f"{close_id}: the dialog stayed open")


def typed(driver: Any, element_id: str, value: str) -> None:
    """Replace a field's text with keys, as a person does (selenium's clear() sets the DOM
    value without React's change event, so Dash would keep the old value)."""
    field = driver.find_element("id", element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    if value:
        field.send_keys(value)


def sign_in(driver: Any, base: str, username: str, nxt: str) -> None:
    driver.get(f"{base}/login?next={quote(nxt, safe='')}")
    wait_until(lambda: driver.find_element("id", "username"), timeout=20)
    driver.find_element("id", "username").send_keys(username)
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("css selector", "button[type=submit]").click()


@pytest.fixture
def setup(shared_engine: Engine, tmp_path: Path) -> tuple:  # noqa: F811
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        auth_mod.add_user(shared_engine, "bia", PASSWORD, replace=True)
    set_email(shared_engine, "bia", "bia@example.com")
    _, token = auth_mod.create_token(shared_engine, "bia")
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path), "PULSE_REFRESH_SECONDS": "0",
                                    "PULSE_AUTH": "required", "PULSE_SECRET_KEY": SECRET}),
                     engine=shared_engine)
    return app, {"Authorization": f"Bearer {token}"}


def test_targets_events_alerts_and_digests_on_the_page(
        dash_duo: Any, setup: tuple) -> None:  # noqa: F811 - the fixtures imported above
    app, auth = setup
    api = app.server.test_client()
    last = date.fromisoformat(api.get("/api/v1/meta", headers=auth).get_json()["end"])
    month = (date(last.year, last.month, 1) - timedelta(days=1)).replace(day=1)  # whole
    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    query = f"start={month}&end={end}"
    sales = Decimal(str(api.get(f"/api/v1/kpis?{query}", headers=auth).get_json()[
        "current"]["sales"]))
    target = (sales * 4).quantize(Decimal("1"))
    view = api.post("/api/v1/views", json={"name": "Last month", "query": query},
                    headers=auth).get_json()
    event_day = month + timedelta(days=9)
    # the shop's targets and events are shared by the module's database: start from none
    for t in api.get("/api/v1/targets", headers=auth).get_json()["targets"]:
        api.delete(f"/api/v1/targets/{t['id']}", headers=auth)
    for e in api.get("/api/v1/events", headers=auth).get_json()["events"]:
        api.delete(f"/api/v1/events/{e['id']}", headers=auth)

    dash_duo.start_server(app, navigate=False, debug=False)  # "/" is the sign-in form
    driver = dash_duo.driver
    sign_in(driver, dash_duo.server.url.rstrip("/"), "bia", f"/?{query}")
    wait_until(lambda: page_ready(driver), timeout=60, message="the page never drew")
    expected = expected_kpis(app_with_auth(app, auth), query)
    wait_until(lambda: kpi_texts(driver) == expected, timeout=30,
               message=lambda: f"cards show {kpi_texts(driver)}, API says {expected}")
    assert text_of(driver, "kpi-sales-target") == ""
    set_target_on_the_page(driver, month, target)
    want = target_text({"ratio": sales / target, "target": target}, EN)
    assert want.startswith("25") and "of target" in want
    wait_until(lambda: text_of(driver, "kpi-sales-target") == want, timeout=15,
               message=lambda: f"card says {text_of(driver, 'kpi-sales-target')!r}, "
                               f"expected {want!r}")
    wait_until(lambda: "Target missed" in figure(driver).get("names", []), timeout=15,
               message=lambda: f"chart traces: {figure(driver).get('names')}")
    [stored] = api.get("/api/v1/targets", headers=auth).get_json()["targets"]
    assert (stored["month"], Decimal(str(stored["amount"]))) == (str(month), target)

    add_event_on_the_page(driver, event_day)
    wait_until(lambda: "Flash sale" in figure(driver).get("notes", []), timeout=15,
               message=lambda: f"chart annotations: {figure(driver).get('notes')}")
    assert ["line", str(event_day), str(event_day)] in [
        [k, x0[:10], x1[:10]] for k, x0, x1 in figure(driver)["shapes"]]
    show_panel(driver, "impact")
    wait_until(lambda: "Flash sale" in text_of(driver, "impact-user-events"), timeout=30,
               message=lambda: f"impact presets: {text_of(driver, 'impact-user-events')!r}")

    daily_chart(driver, api, auth, query, event_day)
    alert_and_digest_on_the_page(driver, api, auth, view)


def app_with_auth(app: Any, auth: dict) -> Any:
    """`expected_kpis` reads the API with the app's test client: give it the token."""
    class Signed:
        class server:  # noqa: N801 - the shape expected_kpis reads
            @staticmethod
            def test_client() -> Any:
                client = app.server.test_client()
                client.environ_base["HTTP_AUTHORIZATION"] = auth["Authorization"]
                return client
    return Signed


def set_target_on_the_page(driver: Any, month: date, target: Decimal) -> None:
    field = open_dialog(driver, "targets-open", "target-month")
    # the month the view shows is offered; a refused amount is named, and nothing stored
    wait_until(lambda: field.get_attribute("value") == f"{month:%Y-%m}", timeout=10,
               message=lambda: f"month field: {field.get_attribute('value')!r}")
    typed(driver, "target-amount", "-5")
    click(driver, driver.find_element("id", "target-set"))
    wait_until(lambda: "Give the amount" in text_of(driver, "target-result"), timeout=15,
               message=lambda: f"dialog says {text_of(driver, 'target-result')!r}")
    assert "No targets yet" in text_of(driver, "targets-list")
    typed(driver, "target-amount", str(target))
    click(driver, driver.find_element("id", "target-set"))
    wait_until(lambda: "set to" in text_of(driver, "target-result"), timeout=15,
               message=lambda: f"dialog says {text_of(driver, 'target-result')!r}")
    row = f"{fmt.month(month, EN)}{fmt.money(target, EN)}Whole shop"
    wait_until(lambda: row in text_of(driver, "targets-list"), timeout=15,
               message=lambda: f"targets listed: {text_of(driver, 'targets-list')!r}, "
                               f"expected {row!r}")
    close_dialog(driver, "targets-close", "target-month")


def add_event_on_the_page(driver: Any, day: date) -> None:
    open_dialog(driver, "events-open", "event-start")
    typed(driver, "event-start", str(day))
    typed(driver, "event-label", "Flash sale")
    click(driver, driver.find_element("id", "event-add"))
    wait_until(lambda: "Flash sale" in text_of(driver, "events-list"), timeout=15,
               message=lambda: f"events listed: {text_of(driver, 'events-list')!r}")
    close_dialog(driver, "events-close", "event-start")


def daily_chart(driver: Any, api: Any, auth: dict, query: str, day: date) -> None:
    days = [p["period"] for p in api.get(f"/api/v1/timeseries?{query}&grain=day",
                                         headers=auth).get_json()["points"]]
    assert len(days) > 20
    label = next(e for e in driver.find_elements("css selector", "#timeseries-grain label")
                 if e.text.strip() == "Day")
    click(driver, label)
    wait_until(lambda: "grain=day" in driver.current_url, timeout=15,
               message=lambda: f"the toggle led to {driver.current_url}")
    wait_until(lambda: [str(x)[:10] for x in figure(driver).get("x", [])] == days,
               timeout=30, message=lambda: f"daily x: {figure(driver).get('x', [])[:3]}…")
    shown = figure(driver)
    assert "Flash sale" in shown["notes"] and "Target" not in shown["names"] \
        and "Target missed" not in shown["names"], shown["names"]
    # opened as a link, a view that names its grain shows the toggle on it (in the browser)
    driver.get(driver.current_url)
    wait_until(lambda: [str(x)[:10] for x in figure(driver).get("x", [])] == days,
               timeout=30, message=lambda: f"daily x: {figure(driver).get('x', [])[:3]}…")
    wait_until(lambda: driver.find_element(
        "css selector", "#timeseries-grain input:checked + label").text.strip() == "Day",
        timeout=15, message="the toggle does not show the link's grain")


def alert_and_digest_on_the_page(driver: Any, api: Any, auth: dict, view: dict) -> None:
    threshold = open_dialog(driver, "alerts-open", "alert-threshold")
    wait_until(lambda: driver.find_element("id", "alert-view").get_attribute("value")
               == str(view["id"]), timeout=15, message="the shown view is not preselected")
    threshold.send_keys("1")
    click(driver, driver.find_element("id", "alert-create"))
    wait_until(lambda: "Not checked yet" in text_of(driver, "alerts-list"), timeout=15,
               message=lambda: f"alerts listed: {text_of(driver, 'alerts-list')!r}; "
                               f"{text_of(driver, 'alert-create-result')!r}")
    assert "Last month" in text_of(driver, "alerts-list")
    [alert] = api.get("/api/v1/alerts", headers=auth).get_json()["alerts"]
    assert (alert["view_id"], alert["metric"], alert["threshold"], alert["channels"]) == (
        view["id"], "sales", 1.0, ["email"])
    close_dialog(driver, "alerts-close", "alert-threshold")

    email = open_dialog(driver, "digests-open", "me-email")
    wait_until(lambda: email.get_attribute("value") == "bia@example.com", timeout=15,
               message="the address is not shown")
    frequency = driver.find_element("id", "digest-frequency")
    frequency.find_element("css selector", "option[value='monthly']").click()
    click(driver, driver.find_element("id", "digest-subscribe"))
    wait_until(lambda: "Monthly" in text_of(driver, "digests-list"), timeout=15,
               message=lambda: f"digests listed: {text_of(driver, 'digests-list')!r}; "
                               f"{text_of(driver, 'digest-result')!r}")
    assert "Last month" in text_of(driver, "digests-list")
    [sub] = api.get("/api/v1/subscriptions", headers=auth).get_json()["subscriptions"]
    assert (sub["view_id"], sub["frequency"]) == (view["id"], "monthly")
