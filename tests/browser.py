"""Helpers for the dashboard's browser tests: real clicks and drags, logs, a stoppable PG.

Why they exist: the tests must click what a user clicks (a state's shape, a
bar, a drag across months), so these helpers find a point that is really on
the element (`document.elementFromPoint`) and send pointer events there with
selenium's W3C actions; nothing is faked with JavaScript callbacks.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

T = TypeVar("T")

# The KPI value elements the page must show (METRICS.md field names).
KPI_IDS = ("sales", "orders", "aov", "items_per_order", "customers", "new_customers",
           "repeat_rate", "payments", "avg_review", "on_time_rate", "canceled_rate",
           "unavailable_rate")

READY_JS = """
const ids = ['state-map', 'category-chart', 'payment-chart', 'timeseries-chart'];
const drawn = ids.every(id => document.querySelector('#' + id + ' .main-svg'));
const loading = document.querySelector('[data-dash-is-loading="true"]');
const kpi = document.getElementById('kpi-sales');
// a figure on the sales card (its currency and digits are the page's locale's)
return Boolean(drawn && !loading && kpi && /[0-9]/.test(kpi.textContent));
"""


class KeepNetworkLog(Options):
    """Chrome options whose logging prefs survive dash[testing].

    dash.testing's `_get_chrome` calls `set_capability("goog:loggingPrefs",
    {"browser": "SEVERE"})`, which replaces conftest's prefs and so removes the
    performance (network) log; merging keeps both.
    """

    def set_capability(self, name: str, value: Any) -> None:
        if name == "goog:loggingPrefs" and isinstance(value, dict):
            value = {"performance": "ALL", **value}
        super().set_capability(name, value)


def network_logging(options: Options | None) -> KeepNetworkLog:
    """A copy of conftest's chromium options that keeps the performance log."""
    out = KeepNetworkLog()
    if options is not None:
        for arg in options.arguments:
            out.add_argument(arg)
        if options.binary_location:
            out.binary_location = options.binary_location
    out.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    return out


#: Every browser wait may take this many times its stated timeout (PULSE_TEST_PATIENCE,
#: default 3). The timeouts were set on an idle machine; the suite runs on two xdist
#: workers on a shared 2-core machine, where a browser and a server may each get a small
#: fraction of a core. Only a failure waits longer: a passing wait returns as soon as its
#: condition holds, and what it checks is unchanged.
PATIENCE = float(os.environ.get("PULSE_TEST_PATIENCE", "3"))


def wait_until(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.1,
               message: str | Callable[[], str] = "condition not met") -> T:
    """Poll `check` until it returns something truthy; fail with `message` after
    `timeout` times PATIENCE seconds."""
    allowed = timeout * PATIENCE
    deadline = time.monotonic() + allowed
    last_exc: Exception | None = None
    while True:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - stale elements while Dash re-renders
            last_exc = exc
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"{text} (after {allowed:g}s; last error: {last_exc!r})")
        time.sleep(interval)


def page_ready(driver: Any) -> bool:
    return bool(driver.execute_script(READY_JS))


def kpi_texts(driver: Any) -> dict[str, str]:
    """What every KPI card shows right now (one script call: no stale-element races)."""
    return driver.execute_script(
        "return Object.fromEntries(arguments[0].map("
        "f => [f, (document.getElementById('kpi-' + f) || {}).textContent]));", list(KPI_IDS))


def query_of(url: str) -> dict[str, list[str]]:
    """The filters in a page URL, comma lists split, as {name: sorted values}."""
    params = parse_qs(urlsplit(url).query)
    return {k: sorted(p for v in vals for p in v.split(",") if p) for k, vals in params.items()}


# --- pointer actions on plotly charts ---------------------------------------------------


def _move_to(driver: Any, x: float, y: float, click: bool = False, shift: bool = False
             ) -> None:
    if shift:  # held across the pointer's actions: the browser keeps it down between calls
        ActionChains(driver).key_down(Keys.SHIFT).perform()
    actions = ActionChains(driver)
    pointer = actions.w3c_actions.pointer_action
    pointer.move_to_location(int(x), int(y))
    pointer.pause(0.12)  # plotly finds what is under the pointer on hover
    if click:
        pointer.click()
    actions.perform()
    if shift:
        ActionChains(driver).key_up(Keys.SHIFT).perform()


_CANDIDATES = """
const el = arguments[0];
el.scrollIntoView({block: 'center', behavior: 'instant'});
const gd = el.closest('.js-plotly-plot');
const r = el.getBoundingClientRect();
const inverse = el.getScreenCTM().inverse();
const out = [];
for (const fy of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9]) {
  for (const fx of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9]) {
    const x = r.left + r.width * fx, y = r.top + r.height * fy;
    // inside the shape itself (plotly's event layer lies above it, so elementFromPoint
    // cannot name the shape), and not covered by anything outside the chart
    const local = new DOMPoint(x, y).matrixTransform(inverse);
    const top = document.elementFromPoint(x, y);
    if (el.isPointInFill(local) && top && top.closest('.js-plotly-plot') === gd) out.push([x, y]);
  }
}
return out;
"""

_HOVERED = """
const gd = arguments[0].closest('.js-plotly-plot');
return (gd._hoverdata || []).map(p => p.location || (p.customdata && p.customdata[0]));
"""


def click_shape(driver: Any, element: Any, key: str, shift: bool = False) -> None:
    """Point at the element's shape until plotly says `key` is under the pointer, then click.

    Plotly decides what a click hits by its own hit test (e.g. a state's
    polygon in lon/lat), so the pointer is moved over points inside the shape
    until the hover agrees, as a user's eye-hand loop would. `shift`: the click is a
    shift-click (the page's "view its orders").
    """
    points = wait_until(lambda: driver.execute_script(_CANDIDATES, element), timeout=5,
                        message=f"no visible point on {key} to click")
    for x, y in points:
        _move_to(driver, x, y)
        if key in (driver.execute_script(_HOVERED, element) or []):
            _move_to(driver, x, y, click=True, shift=shift)
            return
    raise AssertionError(f"plotly never reported {key} under the pointer")


def click_map_location(driver: Any, location: str, graph_id: str = "state-map",
                       shift: bool = False) -> None:
    """A real click on a region's shape in the choropleth (top trace: the one with data)."""
    def find() -> Any:
        return driver.execute_script(
            """const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
               const traces = gd.querySelectorAll('.choroplethlayer .trace');
               const top = traces[traces.length - 1];
               return Array.from(top.querySelectorAll('path.choroplethlocation'))
                 .find(p => p.__data__ && p.__data__.loc === arguments[1]) || null;""",
            graph_id, location)
    click_shape(driver, wait_until(find, message=f"{location} is not on the map"), location,
                shift)


def click_bar(driver: Any, graph_id: str, key: str, trace: int = 0, shift: bool = False
              ) -> None:
    """A real click on the bar whose customdata[0] is `key` (category or payment type)."""
    def find() -> Any:
        return driver.execute_script(
            """const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
               const idx = gd.data[arguments[2]].customdata.findIndex(c => c[0] === arguments[1]);
               if (idx < 0) return null;
               const layer = gd.querySelectorAll('.barlayer .trace')[arguments[2]];
               const bar = Array.from(layer.querySelectorAll('.point'))
                 .find(p => p.__data__ && p.__data__.i === idx);
               return bar ? (bar.querySelector('path') || bar) : null;""",
            graph_id, key, trace)
    click_shape(driver, wait_until(find, message=f"no bar {key} in {graph_id}"), key, shift)


def drag_months(driver: Any, first_month: str, last_month: str,
                graph_id: str = "timeseries-chart") -> None:
    """Press, drag and release across the time chart from one month's bar to another's.

    Pixel positions come from the chart's own x axis (`l2p` of the months'
    middles), so the drag covers exactly those bars whatever the window size.
    """
    box = driver.execute_script(
        """const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
           gd.scrollIntoView({block: 'center', behavior: 'instant'});
           const drag = gd.querySelector('.nsewdrag').getBoundingClientRect();
           const xa = gd._fullLayout.xaxis;
           const mid = m => xa.l2p(xa.d2l(m + '-15')) + drag.left;
           return [mid(arguments[1]), mid(arguments[2]), drag.top + drag.height * 0.5];""",
        graph_id, first_month, last_month)
    x0, x1, y = box
    pad = 12  # start a little before the first bar's middle, end a little after the last's
    actions = ActionChains(driver)
    pointer = actions.w3c_actions.pointer_action
    pointer.move_to_location(int(x0 - pad), int(y))
    pointer.pointer_down()
    for step in range(1, 9):
        pointer.move_to_location(int(x0 - pad + (x1 - x0 + 2 * pad) * step / 8), int(y))
        pointer.pause(0.03)
    pointer.pointer_up()
    actions.perform()


# --- what the browser fetched ------------------------------------------------------------


def requested_urls(perf_log: Iterable[dict]) -> list[str]:
    """Every URL the page asked for, from Chrome's performance log (Network domain)."""
    urls = []
    for entry in perf_log:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def callback_outputs(perf_log: Iterable[dict]) -> list[str]:
    """The outputs of every Dash callback request the page sent (from Chrome's
    performance log), e.g. "..shortages-answer.data...shortages-retry.disabled.."."""
    found = []
    for entry in perf_log:
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.requestWillBeSent":
            continue
        request = message["params"]["request"]
        if not request["url"].split("?", 1)[0].endswith("/_dash-update-component"):
            continue
        body = request.get("postData")
        if body is None and request.get("postDataEntries"):  # newer Chromes: base64 parts
            body = b"".join(base64.b64decode(part.get("bytes", ""))
                            for part in request["postDataEntries"]).decode()
        if body:
            found.append(str(json.loads(body).get("output")))
    return found


def foreign(urls: Iterable[str], origin: str) -> list[str]:
    """Network URLs (http, https, ws, wss, ...) that are not on `origin`.

    Inline (data:, blob:, about:) and the browser's own pages (chrome://, its
    new-tab page at start-up) are not requests to another origin.
    """
    origin = origin.rstrip("/")
    local = ("data", "blob", "about", "chrome", "chrome-extension", "devtools")
    return [u for u in urls if u.split(":", 1)[0] not in local
            and not (u.startswith(origin + "/") or u == origin)]


def row_element(driver: Any, dim: str, key: str,
                rows: str = "#impact-table tr.impact-row") -> Any:
    """The table row (pattern id {"dim", "key", ...}) of one category or state in an
    insight table, or None while it is not drawn. `rows`: a CSS selector of the rows."""
    for row in driver.find_elements("css selector", rows):
        ident = json.loads(row.get_attribute("id"))
        if ident["dim"] == dim and ident["key"] == key:
            return row
    return None


def api_json(app: Any, path: str, query: str = "", timeout: float = 180.0) -> dict:
    """The JSON body of a GET on the app's API (Flask test client), asking again while an
    insight answer is still being computed (202 + Retry-After)."""
    client = app.server.test_client()
    deadline = time.monotonic() + timeout
    while True:
        resp = client.get(f"{path}?{query}")
        if resp.status_code != 202 or time.monotonic() > deadline:
            break
        time.sleep(float(resp.headers.get("Retry-After", 1)))
    assert resp.status_code == 200, f"{path}?{query}: {resp.status_code} " \
                                    f"{resp.get_data(as_text=True)}"
    return resp.get_json()


def click(driver: Any, element: Any) -> None:
    """Scroll the element to the middle of the screen at once, then click it for real.

    (Bootstrap turns on smooth scrolling; selenium's own scroll would aim at
    where the element was before the animation ended.)
    """
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


# --- a PostgreSQL the test may stop -----------------------------------------------------


@dataclass
class StoppablePostgres:
    """A dedicated pgserver instance (never the shared test server) that a test can stop
    and start with pgserver's own pg_ctl, with the options pgserver starts it with."""

    pgdata: Path
    url: str
    system_user: str | None

    @classmethod
    def create(cls, pgdata: Path) -> StoppablePostgres:
        import pgserver

        server = pgserver.get_server(pgdata, cleanup_mode=None)
        uri = server.get_uri()
        return cls(pgdata.resolve(), uri.replace("postgresql://", "postgresql+psycopg2://", 1),
                   server.system_user)

    @property
    def pg_ctl(self) -> str:
        import pgserver

        return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl")

    @property
    def socket_dir(self) -> str:
        return parse_qs(urlsplit(self.url).query)["host"][0]

    def _run(self, *args: str) -> None:
        done = subprocess.run([self.pg_ctl, "-D", str(self.pgdata), *args], user=self.system_user,
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = (self.pgdata / "log").read_text(errors="replace")[-2000:] \
                if (self.pgdata / "log").exists() else ""
            raise AssertionError(f"pg_ctl {' '.join(args)} failed ({done.returncode}): "
                                 f"{done.stdout}{done.stderr}\n--- server log ---\n{log}")

    def stop(self) -> None:
        self._run("stop", "-m", "fast", "-w")

    def start(self) -> None:
        self._run("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}",
                  "-l", str(self.pgdata / "log"), "start")

    def running(self) -> bool:
        status = subprocess.run([self.pg_ctl, "-D", str(self.pgdata), "status"],
                                user=self.system_user, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        return status.returncode == 0

    def destroy(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)


def show_panel(driver: Any, name: str) -> None:
    """Scroll a lazy panel (dashapp/page/lazy.py) on screen, as a person does before
    reading it: its callbacks start only then."""
    driver.execute_script(
        "const el = document.querySelector(`[data-lazy='${arguments[0]}']`);"
        "if (el) el.scrollIntoView({block: 'start', behavior: 'instant'});", name)
