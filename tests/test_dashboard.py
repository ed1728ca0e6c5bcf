"""The dashboard in a real browser (dash[testing] + chromium): run with `pytest --headless`.

What these prove, each against the REST API as the reference (the API computes
KPIs through its own query path, `service.kpis`, not the page's `dashboard`):

1. real clicks on the map, a category bar and a payment bar cross-filter every
   KPI card; a second click restores the totals; two filters combine;
2. the page loads nothing from another origin and logs no console error;
3. the URL is the view: open a link, edit filters, step Back and Forward;
   a wrong link names its parameter; an empty view says so; CSV matches;
4. a real mouse drag across the monthly chart sets the date range;
5. a new load shows within one refresh, without reloading the page;
6. a stopped database shows the banner, and the page recovers by itself;
7. screenshots at 1440x900 and 390x844 (tests/artifacts/), with no sideways scroll.

One demo dataset (3,000 orders) is generated per module and loaded into one
module database, shared by the tests that do not change data; the new-load
test gets a database of its own and the outage test a PostgreSQL of its own.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from browser import (
    KPI_IDS,
    StoppablePostgres,
    click,
    click_bar,
    click_map_location,
    drag_months,
    foreign,
    kpi_texts,
    network_logging,
    page_ready,
    query_of,
    requested_urls,
    wait_until,
)
from langs import EN
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dashapp.config import load_settings
from dashapp.page import formatting as fmt
from dashapp.page import urlstate
from dashapp.web.app import create_app
from loaders import ingest, migrate
from loaders.demo import DemoSpec, generate

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.slow


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def dash_duo(request: pytest.FixtureRequest, dash_thread_server: Any, tmpdir: Any
             ) -> Iterator[Any]:
    """dash[testing]'s dash_duo, with Chrome's network log kept (see browser.KeepNetworkLog)."""
    from dash.testing.composite import DashComposite

    found = [o for o in request.config.hook.pytest_setup_options() if o is not None]
    with DashComposite(
        server=dash_thread_server,
        browser=request.config.getoption("webdriver"),
        remote=request.config.getoption("remote"),
        remote_url=request.config.getoption("remote_url"),
        headless=request.config.getoption("headless"),
        options=[network_logging(found[0] if found else None)],
        download_path=tmpdir.mkdir("download").strpath,
        percy_assets_root=request.config.getoption("percy_assets"),
        percy_finalize=request.config.getoption("nopercyfinalize"),
        pause=request.config.getoption("pause"),
    ) as dc:
        yield dc


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "demo-3000"
    generate(DemoSpec(orders=3000, seed=11), folder)
    return folder


@pytest.fixture(scope="module")
def shared_engine(pg_admin_url: str, template_db: str, demo_dir: Path) -> Iterator[Engine]:
    """One loaded database for the tests that only read (cloned like conftest's db_url)."""
    name = f"pulse_dash_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    engine = create_engine(make_url(pg_admin_url).set(database=name))
    ingest.load(engine, demo_dir)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_app(engine: Engine, home: Path, refresh: int = 2) -> Any:
    settings = load_settings({"PULSE_HOME": str(home), "PULSE_REFRESH_SECONDS": str(refresh)})
    return create_app(settings, engine=engine)


# --- helpers ------------------------------------------------------------------------------


def page_query(app: Any, query: str = "") -> str:
    """The API query of what the page shows at `?query`: a link without dates shows the
    default range (the last 12 whole months of the data)."""
    params = urlstate.parse_search(query)
    if "start" in params or "end" in params:
        return query
    meta = app.server.test_client().get("/api/v1/meta").get_json()
    start, end = urlstate.default_range(date.fromisoformat(meta["start"]),
                                        date.fromisoformat(meta["end"]))
    if start is None or end is None:
        return query
    return urlstate.build_search({**params, "start": [start.isoformat()],
                                  "end": [end.isoformat()]}).lstrip("?")


def data_start(app: Any) -> str:
    """The data's first day: `?start=<it>` is the link of all dates."""
    return app.server.test_client().get("/api/v1/meta").get_json()["start"]


def expected_kpis(app: Any, query: str = "", lang: Any = EN) -> dict[str, str]:
    """What each card must show: the API's numbers through the page's formatter, in the
    page's language (English and BRL unless the test opens another)."""
    resp = app.server.test_client().get(f"/api/v1/kpis?{page_query(app, query)}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    current = resp.get_json()["current"]
    return {f: fmt.kpi_value(f, current[f], lang) for f in KPI_IDS}


def wait_for_kpis(driver: Any, expected: dict[str, str], timeout: float = 15) -> None:
    wait_until(lambda: kpi_texts(driver) == expected, timeout=timeout,
               message=lambda: f"cards show {kpi_texts(driver)}, API says {expected}")


def open_page(dash_duo: Any, app: Any, path: str = "/") -> Any:
    dash_duo.start_server(app, debug=False)
    driver = dash_duo.driver
    if path != "/":
        driver.get(dash_duo.server_url + path)
    wait_until(lambda: page_ready(driver), timeout=30, message="the page never finished drawing")
    return driver


def top_key(app: Any, dim: str, query: str = "") -> str:
    return app.server.test_client().get(
        f"/api/v1/breakdown/{dim}?{page_query(app, query)}").get_json()[
        "rows"][0]["key"]


def assert_clean_console(dash_duo: Any) -> None:
    assert dash_duo.get_logs() == [], "the browser console logged errors"


# --- 1. cross-filtering by real clicks ---------------------------------------------------


def test_clicks_cross_filter_every_card(dash_duo: Any, shared_engine: Engine,
                                        tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app)
    totals = expected_kpis(app)
    wait_for_kpis(driver, totals)
    category = top_key(app, "category")
    assert category != "other"

    # the map: SP, then SP again
    click_map_location(driver, "SP")
    wait_for_kpis(driver, expected_kpis(app, "state=SP"))
    assert query_of(driver.current_url) == {"state": ["SP"]}
    drawn = wait_until(lambda: driver.execute_script(  # what is drawn, not what was sent
        "const gd = document.querySelector('#state-map .js-plotly-plot');"
        "const layers = gd.querySelectorAll('.choroplethlayer .trace');"
        "const paths = layers[layers.length - 1].querySelectorAll('path.choroplethlocation');"
        "return Object.fromEntries(Array.from(paths).map(p => [p.__data__.loc,"
        " [getComputedStyle(p).opacity, getComputedStyle(p).strokeWidth]]));"))
    with_orders = app.server.test_client().get(
        f"/api/v1/breakdown/state?{page_query(app)}").get_json()["rows"]
    assert len(drawn) == len(with_orders) >= 20  # the map still shows every state with orders...
    assert drawn.pop("SP") == ["1", "2.5px"]  # ...SP outlined, the others faded
    assert {style[0] for style in drawn.values()} == {"0.35"}
    click_map_location(driver, "SP")
    wait_for_kpis(driver, totals)
    assert query_of(driver.current_url) == {}

    # a category bar, twice
    click_bar(driver, "category-chart", category)
    wait_for_kpis(driver, expected_kpis(app, f"category={category}"))
    assert query_of(driver.current_url) == {"category": [category]}
    click_bar(driver, "category-chart", category)
    wait_for_kpis(driver, totals)

    # a payment bar, twice
    click_bar(driver, "payment-chart", "boleto")
    wait_for_kpis(driver, expected_kpis(app, "payment_type=boleto"))
    click_bar(driver, "payment-chart", "boleto")
    wait_for_kpis(driver, totals)

    # two filters combine (AND), and each chart keeps its own dimension
    click_map_location(driver, "SP")
    wait_for_kpis(driver, expected_kpis(app, "state=SP"))
    click_bar(driver, "category-chart", category)
    wait_for_kpis(driver, expected_kpis(app, f"state=SP&category={category}"))
    assert query_of(driver.current_url) == {"state": ["SP"], "category": [category]}
    bars = driver.execute_script(
        "const d = document.querySelector('#category-chart .js-plotly-plot').data[0];"
        "return {keys: d.customdata.map(c => c[0]), opacity: d.marker.opacity};")
    assert len(bars["keys"]) == 11  # top 10 + other, not just the selected one
    assert [k for k, o in zip(bars["keys"], bars["opacity"], strict=True) if o == 1] == [
        category]
    assert_clean_console(dash_duo)


# --- 2. offline: nothing from another origin, no console errors ------------------------------


def test_no_foreign_requests_and_no_console_errors(dash_duo: Any, shared_engine: Engine,
                                                   tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app, "/?region=SE")
    click_map_location(driver, "RJ")  # the map redraws (and plotly geo loads its base map)
    wait_until(lambda: query_of(driver.current_url) == {"state": ["RJ"]})
    wait_until(lambda: page_ready(driver))
    urls = requested_urls(driver.get_log("performance"))
    assert any("/assets/topojson/world_110m.json" in u for u in urls), urls
    assert any("/assets/vendor/bootstrap.min.css" in u for u in urls), urls
    assert foreign(urls, dash_duo.server_url) == []
    assert_clean_console(dash_duo)


# --- 3. the URL is the view -----------------------------------------------------------------


def test_url_round_trips_a_view_and_back_restores_it(dash_duo: Any, shared_engine: Engine,
                                                     tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    category = top_key(app, "category", "state=SP")
    driver = open_page(dash_duo, app, f"/?state=SP&category={category}")
    linked = expected_kpis(app, f"state=SP&category={category}")
    wait_for_kpis(driver, linked)
    # the filter bar shows the same state
    assert "SP" in driver.find_element("id", "f-state").text
    assert category in driver.find_element("id", "f-category").text

    # edit with the filter bar: a quick pick, then a dropdown option
    click(driver, driver.find_element("xpath", "//div[@id='quick-picks']//button[text()='2020']"))
    wait_until(lambda: query_of(driver.current_url) == {
        "start": ["2020-01-01"], "end": ["2020-12-31"], "state": ["SP"],
        "category": [category]}, message=lambda: driver.current_url)
    in_2020 = expected_kpis(app, f"start=2020-01-01&end=2020-12-31&state=SP&category={category}")
    wait_for_kpis(driver, in_2020)
    click(driver, driver.find_element("id", "f-payment_type"))
    wait_until(lambda: [o for o in driver.find_elements("css selector", "[role=option]")
                        if o.text == "Credit card"])[0].click()
    with_card = f"start=2020-01-01&end=2020-12-31&state=SP&category={category}" \
                "&payment_type=credit_card"
    wait_until(lambda: query_of(driver.current_url).get("payment_type") == ["credit_card"])
    wait_for_kpis(driver, expected_kpis(app, with_card))

    # Back steps through the filter changes without reloading; Forward re-applies
    driver.execute_script("window.__same_page = true;")
    driver.back()
    wait_until(lambda: "payment_type" not in query_of(driver.current_url))
    wait_for_kpis(driver, in_2020)
    driver.back()
    wait_until(lambda: query_of(driver.current_url) == {"state": ["SP"], "category": [category]})
    wait_for_kpis(driver, linked)
    # the filter bar follows the URL (f-dates is the range's start input): the default range
    default_start = date.fromisoformat(urlstate.parse_search(page_query(app))["start"][0])
    assert driver.find_element("id", "f-dates").get_attribute("value") == \
        f"{default_start:%b} {default_start.day}, {default_start.year}"  # MMM D, YYYY
    driver.forward()
    wait_for_kpis(driver, in_2020)
    assert driver.execute_script("return window.__same_page === true;")  # no reload happened

    # CSV of the category chart = the chart's rows (top 10 + other) for this view
    click(driver, driver.find_element("css selector", "#quick-picks button:last-child"))  # All
    first = data_start(app)
    wait_until(lambda: query_of(driver.current_url).get("start") == [first])
    wait_for_kpis(driver, expected_kpis(app, f"start={first}&state=SP&category={category}"))
    # the chart's CSV button (its Orders button names the chart too)
    click(driver, driver.find_element(
        "xpath", '//button[contains(@id, \'"chart":"category"\') and contains(@id, \'"csv"\')]'))
    files = wait_until(lambda: list(Path(dash_duo.download_path).glob("pulse-category*.csv")),
                       message="no CSV was downloaded")
    rows = list(csv.DictReader(io.StringIO(files[0].read_text(encoding="utf-8"))))
    api = app.server.test_client().get(
        f"/api/v1/breakdown/category?start={first}&state=SP").get_json()["rows"]
    assert [r["key"] for r in rows[:10]] == [r["key"] for r in api[:10]]
    assert [float(r["sales"]) for r in rows[:10]] == [r["sales"] for r in api[:10]]
    assert rows[-1]["key"] == "other"
    assert round(sum(float(r["sales"]) for r in rows), 2) == round(
        sum(r["sales"] for r in api), 2)
    assert_clean_console(dash_duo)


def test_wrong_link_is_named_and_empty_view_says_so(dash_duo: Any, shared_engine: Engine,
                                                    tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app, "/?state=XX&payment_type=boleto")
    notice = wait_until(lambda: (e := driver.find_element("id", "view-notice")).is_displayed()
                        and e.text)
    assert "state" in notice and "'XX'" in notice
    wait_for_kpis(driver, expected_kpis(app, "payment_type=boleto"))  # the rest still applies
    assert "Traceback" not in driver.page_source

    driver.get(dash_duo.server_url + "/?start=2030-01-01&end=2030-03-31")
    wait_until(lambda: driver.find_element("id", "empty-notice").is_displayed())
    assert "No orders match these filters" in driver.find_element("id", "empty-notice").text
    wait_until(lambda: kpi_texts(driver)["orders"] == "0" and kpi_texts(driver)["aov"] == "—")
    assert_clean_console(dash_duo)


#: Hostile links and the parameters the notice must name (the rest of the link applies).
HOSTILE_LINKS = [
    ("/?start=0001-01-01&end=9999-12-31", ["start", "end"]),
    ("/?end=2999-12-31&state=SP", ["end"]),  # too long from the data's start: named as given
    ("/?start=1899-12-31&end=9426-07-12&category=", ["start", "end"]),
    ("/?start=%zz&stat=SP&state=" + "S" * 10_000, ["start", "stat", "state"]),
    ("/?start=2020-01-01&start=2020-02-01&%E2%82%AC=%F0%9F%92%A5&payment_type=%00",
     ["start", "\u20ac", "payment_type"]),
]


def test_hostile_links_show_a_notice(dash_duo: Any, shared_engine: Engine,
                                     tmp_path: Path) -> None:
    """Each hostile link draws the page, names every parameter it ignored, and the browser
    logs no error (tests/test_hostile_urls.py throws many more at the view callback)."""
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app)
    for path, names in HOSTILE_LINKS:
        driver.get(dash_duo.server_url + path)
        notice = wait_until(lambda: (e := driver.find_element("id", "view-notice"))
                            .is_displayed() and e.text, timeout=20,
                            message=f"no notice for {path[:80]}")
        for name in names:
            assert f"{name}:" in notice, (path[:80], notice)
        wait_until(lambda: page_ready(driver), timeout=30,
                   message=f"{path[:80]} was not drawn")
        assert "Traceback" not in driver.page_source
    assert_clean_console(dash_duo)


# --- 4. drag on the time chart ---------------------------------------------------------------


def test_drag_on_time_chart_sets_the_date_range(dash_duo: Any, shared_engine: Engine,
                                                tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    driver = open_page(dash_duo, app, f"/?start={data_start(app)}")  # every month drawn
    drag_months(driver, "2020-03", "2020-06")
    wait_until(lambda: query_of(driver.current_url) == {"start": ["2020-03-01"],
                                                        "end": ["2020-06-30"]},
               message=lambda: f"URL after the drag: {driver.current_url}")
    wait_for_kpis(driver, expected_kpis(app, "start=2020-03-01&end=2020-06-30"))
    months = driver.execute_script(
        "return document.querySelector('#timeseries-chart .js-plotly-plot').data[0].x;")
    assert months == ["2020-03-01", "2020-04-01", "2020-05-01", "2020-06-01"]
    assert_clean_console(dash_duo)


# --- 5. a new load while the page is open ------------------------------------------------------


def test_new_load_shows_within_one_refresh(dash_duo: Any, engine: Engine, demo_dir: Path,
                                           tmp_path: Path) -> None:
    ingest.load(engine, demo_dir)
    app = make_app(engine, tmp_path / "home", refresh=2)
    driver = open_page(dash_duo, app)
    before = expected_kpis(app)
    wait_for_kpis(driver, before)

    other = tmp_path / "other"
    generate(DemoSpec(orders=1200, seed=5), other)
    ingest.load(engine, other)
    after = expected_kpis(app)
    assert after["orders"] != before["orders"]
    # one refresh (2 s) plus the time to redraw on a busy 2-core machine, no reload
    driver.execute_script("window.__same_page = true;")
    wait_for_kpis(driver, after, timeout=10)
    assert driver.execute_script("return window.__same_page === true;")
    assert_clean_console(dash_duo)


# --- 6. the database goes away and comes back ------------------------------------------------


@pytest.fixture
def own_postgres() -> Iterator[StoppablePostgres]:
    """A PostgreSQL of this test's own: stopping the shared one would break other tests.

    Its data lives in a directory of its own under /tmp, not under pytest's
    tmp_path: every new pytest session (another test run on this machine)
    strips group/other permissions from /tmp/pytest-of-<user>, after which
    the server's system user (pgserver runs PostgreSQL as `pgserver` under
    root) can no longer reach the directory to start again.
    """
    home = Path(tempfile.mkdtemp(prefix="pulse-outage-pg-"))
    pg = StoppablePostgres.create(home / "pgdata")
    try:
        yield pg
    finally:
        pg.destroy()
        shutil.rmtree(home, ignore_errors=True)


def test_database_outage_shows_banner_and_recovers(dash_duo: Any, own_postgres: Any,
                                                   demo_dir: Path, tmp_path: Path) -> None:
    engine = create_engine(own_postgres.url)
    migrate.upgrade(engine)
    ingest.load(engine, demo_dir)
    app = make_app(engine, tmp_path / "home", refresh=2)
    driver = open_page(dash_duo, app)
    totals = expected_kpis(app)
    wait_for_kpis(driver, totals)
    banner = driver.find_element("id", "db-error-banner")
    assert not banner.is_displayed()

    own_postgres.stop()
    wait_until(lambda: banner.is_displayed(), timeout=12, message="no banner while PG is down")
    assert "database is unreachable" in banner.text
    assert kpi_texts(driver) == totals  # the last numbers stay on screen, flagged by the banner
    assert "Traceback" not in driver.page_source
    driver.refresh()  # a page opened while the database is down still renders, with the banner
    wait_until(lambda: driver.find_element("id", "db-error-banner").is_displayed(), timeout=12)
    banner = driver.find_element("id", "db-error-banner")
    assert set(kpi_texts(driver).values()) == {"—"}
    assert driver.find_element("id", "state-map").is_displayed()
    assert "Traceback" not in driver.page_source

    own_postgres.start()
    wait_until(lambda: not banner.is_displayed(), timeout=15,
               message="the banner stayed after PG came back")
    wait_for_kpis(driver, totals)
    click_map_location(driver, "SP")  # and the page works again
    wait_for_kpis(driver, expected_kpis(app, "state=SP"))
    assert_clean_console(dash_duo)
    engine.dispose()


# --- 7. screenshots ------------------------------------------------------------------------------


def test_screenshots_desktop_and_phone(dash_duo: Any, shared_engine: Engine,
                                       tmp_path: Path) -> None:
    app = make_app(shared_engine, tmp_path)
    view = "/?start=2021-01-01&end=2021-12-31"
    driver = open_page(dash_duo, app, view)
    wait_for_kpis(driver, expected_kpis(app, view[2:]))
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {  # exactly 1440x900 CSS px
        "width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    time.sleep(0.8)
    desktop = ARTIFACTS / "dashboard-1440x900.png"
    driver.save_screenshot(str(desktop))
    layout = driver.execute_script(
        "const r = id => document.getElementById(id).closest('.kpi-card').getBoundingClientRect();"
        "return {sw: document.documentElement.scrollWidth, w: window.innerWidth,"
        " five: r('kpi-customers').top === r('kpi-sales').top};")
    assert layout["w"] == 1440 and layout["sw"] <= 1440  # no sideways scroll
    assert layout["five"]  # five cards a row
    active = driver.find_element("xpath", "//div[@id='quick-picks']//button[text()='2021']")
    assert "btn-primary" in active.get_attribute("class")  # the shown range's pick is marked

    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    driver.get(dash_duo.server_url + view)
    wait_until(lambda: page_ready(driver), timeout=30)
    time.sleep(0.8)
    phone = ARTIFACTS / "dashboard-390x844.png"
    driver.save_screenshot(str(phone))
    layout = driver.execute_script(
        "const r = id => document.getElementById(id).closest('.kpi-card').getBoundingClientRect();"
        "return {sw: document.documentElement.scrollWidth, w: window.innerWidth,"
        " two: r('kpi-orders').top === r('kpi-sales').top && r('kpi-aov').top > r('kpi-sales').top,"
        " map: document.querySelector('#state-map .main-svg').getBoundingClientRect().width};")
    assert layout["w"] == 390 and layout["sw"] <= 390  # nothing sticks out on a phone
    assert layout["two"] and layout["map"] <= 390
    for shot in (desktop, phone):
        assert shot.stat().st_size > 50_000, shot  # a real picture, not a blank page
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert_clean_console(dash_duo)
