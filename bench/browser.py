"""Click-to-redrawn time in headless Chromium: a real click on a state of the map until
every KPI card and the four charts have redrawn.

Timing is taken inside the page (performance.now()): from the click's mousedown to the
last of (each chart's `plotly_afterplot`, the sales card's new text), so the cost of
driving the browser from Python is not counted.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = ("state-map", "category-chart", "payment-chart", "timeseries-chart")

ARM_JS = """
window.__pulse = {draws: {}, kpiAt: null, clickAt: null};
const p = window.__pulse;
document.addEventListener('mousedown', () => {
  if (p.clickAt === null) p.clickAt = performance.now();
}, {capture: true, once: true});
for (const id of arguments[0]) {
  const gd = document.querySelector('#' + id + ' .js-plotly-plot');
  if (gd && !gd.__pulseHooked) {
    gd.__pulseHooked = true;
    gd.on('plotly_afterplot', () => { if (window.__pulse.clickAt !== null)
                                        window.__pulse.draws[id] = performance.now(); });
  }
}
const kpi = document.getElementById('kpi-sales');
const before = kpi.textContent;
new MutationObserver((_, obs) => {
  if (kpi.textContent !== before) { p.kpiAt = performance.now(); obs.disconnect(); }
}).observe(kpi, {childList: true, subtree: true, characterData: true});
"""

DONE_JS = """
const p = window.__pulse;
const ids = arguments[0];
const loading = document.querySelector('[data-dash-is-loading="true"]');
if (loading || p.clickAt === null || p.kpiAt === null) return null;
if (!ids.every(id => p.draws[id])) return null;
return Math.max(p.kpiAt, ...ids.map(id => p.draws[id])) - p.clickAt;
"""


def _serve(app) -> tuple[str, object]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1440,900",
                f"--user-data-dir={tempfile.mkdtemp(prefix='pulse-bench-chromium-')}"):
        options.add_argument(arg)
    if Path("/usr/bin/chromium").exists():
        options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(options=options)


def run(engine: Engine, clicks: int = 30, redis_url: str | None = None) -> dict | None:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser import click_map_location, page_ready, wait_until  # the tests' own helpers

    from dashapp.config import load_settings
    from dashapp.web.app import create_app

    env = {"PULSE_HOME": tempfile.mkdtemp(prefix="pulse-bench-home-"),
           "PULSE_REFRESH_SECONDS": "0"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    app = create_app(load_settings(env), engine=engine)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    url, server = _serve(app)
    driver = _driver()
    times: list[float] = []
    try:
        driver.get(url + "/")
        wait_until(lambda: page_ready(driver), timeout=60, message="page never drew")
        for i in range(clicks):
            driver.execute_script(ARM_JS, list(GRAPHS))
            click_map_location(driver, "SP")  # toggles: select SP, then clear it
            ms = wait_until(lambda: driver.execute_script(DONE_JS, list(GRAPHS)), timeout=30,
                            interval=0.02, message=f"click {i + 1} never finished redrawing")
            times.append(float(ms))
            wait_until(lambda: page_ready(driver), timeout=30)
            time.sleep(0.2)
    finally:
        driver.quit()
        server.shutdown()  # type: ignore[attr-defined]
    ordered = sorted(times)
    return {
        "clicks": len(times),
        "p50": statistics.median(times),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max": max(times),
        "all_ms": [round(t, 1) for t in times],
    }
