#!/usr/bin/env python
"""Refresh docs/screenshot.png (the picture the README shows) from the real page.

Why a script: a hand-made screenshot goes stale with every layout change; this
one is reproducible. Three ways to point it at a page:

    python scripts/screenshot.py --url http://127.0.0.1:8050/        # a running app
    python scripts/screenshot.py --database-url postgresql://...       # serve that data
    python scripts/screenshot.py                                       # demo data, own PG
    python scripts/screenshot.py --width 390 --height 844 --out /tmp/phone.png

Without --url it starts the app itself in this process (on a free port), on
the given database or on a throwaway embedded PostgreSQL loaded with demo data
(`--orders`, default 20,000), and stops everything afterwards. The default
view is the page's own default (the last 12 whole months, so every card shows its
change), the whole page at 1440 px wide. It needs Chromium and chromedriver (Debian:
/usr/bin/chromium, /usr/bin/chromedriver).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("screenshot")

READY_JS = """
const ids = ['state-map', 'category-chart', 'payment-chart', 'timeseries-chart'];
const drawn = ids.every(id => document.querySelector('#' + id + ' .main-svg'));
const loading = document.querySelector('[data-dash-is-loading="true"]');
const kpi = document.getElementById('kpi-sales');
return drawn && !loading && kpi && kpi.textContent.startsWith('R$');
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def demo_database(orders: int, workdir: Path) -> Iterator[str]:
    """A throwaway embedded PostgreSQL with `orders` demo orders loaded."""
    import pgserver
    from sqlalchemy import create_engine

    from loaders import ingest, migrate
    from loaders.demo import DemoSpec, generate

    server = pgserver.get_server(workdir / "pgdata", cleanup_mode="stop")
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url)
    try:
        migrate.upgrade(engine)
        log.info("generating %s demo orders", f"{orders:,}")
        generate(DemoSpec(orders=orders), workdir / "demo")
        ingest.load(engine, workdir / "demo")
        yield url
    finally:
        engine.dispose()
        server.cleanup()


@contextmanager
def serve(database_url: str, home: Path) -> Iterator[str]:
    """Run the Pulse app on a free port in a background thread; yield its base URL."""
    from sqlalchemy import create_engine
    from werkzeug.serving import make_server

    from dashapp.config import load_settings
    from dashapp.web.app import create_app

    settings = load_settings({"PULSE_HOME": str(home), "PULSE_REFRESH_SECONDS": "0"})
    engine = create_engine(database_url)
    app = create_app(settings, engine=engine)
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        engine.dispose()


def browser(width: int, height: int):  # -> selenium WebDriver
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--force-device-scale-factor=1",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    if Path("/usr/bin/chromium").exists():
        options.binary_location = "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver_path), options=options)


def capture(url: str, out: Path, width: int, height: int, full_page: bool,
            timeout: float = 60) -> Path:
    """Open the page, wait until every chart and card has drawn, save a PNG."""
    driver = browser(width, height)
    try:
        if width < 600:  # desktop Chrome will not shrink its window this far: emulate a phone
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
        driver.get(url)
        deadline = time.monotonic() + timeout
        while not driver.execute_script(READY_JS):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the page at {url} did not finish drawing in {timeout}s")
            time.sleep(0.25)
        time.sleep(1.0)  # let plotly finish transitions and fonts settle
        if full_page:
            total = int(driver.execute_script("return document.documentElement.scrollHeight"))
            if width < 600:
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": width, "height": total, "deviceScaleFactor": 1, "mobile": True})
            else:
                driver.set_window_size(width, total + 1)
            time.sleep(1.0)
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))
        return out
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="screenshot this running app instead of starting one")
    parser.add_argument("--database-url", help="serve this (loaded) database")
    parser.add_argument("--orders", type=int, default=20_000,
                        help="demo orders when starting an own database (default 20000)")
    parser.add_argument("--query", default="",
                        help="URL query to open, e.g. '?state=SP' (default: none, the page's "
                             "own default: the last 12 whole months against the 12 before)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--first-screen", action="store_true",
                        help="capture only the first screen (default: the whole page)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    def shoot(base: str) -> Path:
        query = args.query
        return capture(base.rstrip("/") + "/" + query, args.out, args.width, args.height,
                       full_page=not args.first_screen)

    if args.url:
        path = shoot(args.url)
    else:
        with tempfile.TemporaryDirectory(prefix="pulse-shot-") as tmp:
            work = Path(tmp)
            if args.database_url:
                with serve(args.database_url, work / "home") as base:
                    path = shoot(base)
            else:
                with demo_database(args.orders, work) as db, serve(db, work / "home") as base:
                    path = shoot(base)
    log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
