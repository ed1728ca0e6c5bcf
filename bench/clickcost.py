"""Server time per filter change, as a person's browser causes it: the page as shipped
(lazy panels: the panels below the fold wait until they are on screen) against the same
page with every panel drawn on every change (as before lazy panels).

Usage: `python -m bench.clickcost --orders 100000 --clicks 8` (PULSE_HOME names the bench
data folder, as for `python -m bench`).

For each click on a state of the map not clicked before (a new filter set: nothing of it
cached), the server time is the sum, over every Dash request the click causes until the
page is quiet, of `responseStart - requestStart` from the page's Resource Timing entries
(what the browser waited for the server, without network or drawing). The two pages run
side by side, each with its own app and cache over the same database, and take turns on
each state (which goes first alternates), so the machine's noise falls on both.
Insight models run off the request path (the runner's pool): their time is not in these
sums, but each of their answers the page fetches is.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .browser import ROOT, _driver, _serve
from .datasets import BenchData

QUIET_S = 2.0  # no new callback request for this long: the change is done

SERVER_JS = """
return performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/_dash-update-component'))
  .map(e => [e.startTime, Math.max(0, e.responseStart - e.requestStart)]);
"""


def _page(engine, all_panels: bool):
    from dashapp.config import load_settings
    from dashapp.web.app import create_app

    env = {"PULSE_HOME": tempfile.mkdtemp(prefix="pulse-clickcost-"),
           "PULSE_REFRESH_SECONDS": "0"}
    url, server = _serve(create_app(load_settings(env), engine=engine))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    driver = _driver()
    return {"url": url, "server": server, "driver": driver, "all": all_panels}


def _open(page) -> None:
    from browser import page_ready, wait_until  # the tests' own helpers

    driver = page["driver"]
    driver.get(page["url"] + "/")
    if page["all"]:
        driver.execute_script("window.__pulseAllPanels = true;")
    wait_until(lambda: page_ready(driver), timeout=120, message="page never drew")
    _settle(driver)


def _settle(driver, limit: float = 90.0) -> list:
    """Wait until no new callback request came for QUIET_S; the requests seen."""
    deadline = time.monotonic() + limit
    seen, last_change = [], time.monotonic()
    while time.monotonic() < deadline:
        now = driver.execute_script(SERVER_JS)
        if len(now) != len(seen):
            seen, last_change = now, time.monotonic()
        elif time.monotonic() - last_change >= QUIET_S:
            break
        time.sleep(0.1)
    return seen


def _click(page, state: str) -> tuple[float, int]:
    """(server ms, requests) of selecting `state` on the map; then clears it again."""
    from browser import click_map_location

    driver = page["driver"]
    driver.execute_script("performance.clearResourceTimings();")
    click_map_location(driver, state)
    entries = _settle(driver)
    server_ms = sum(ms for _, ms in entries)
    click_map_location(driver, state)  # back to all states (cached after the first time)
    _settle(driver)
    return server_ms, len(entries)


def run(engine, states: list[str]) -> dict:
    pages = {"lazy": _page(engine, False), "all panels": _page(engine, True)}
    out: dict[str, dict[str, list]] = {k: {"ms": [], "requests": []} for k in pages}
    try:
        for page in pages.values():
            _open(page)
        for i, state in enumerate(states):
            order = list(pages) if i % 2 == 0 else list(reversed(pages))
            for name in order:
                ms, n = _click(pages[name], state)
                out[name]["ms"].append(round(ms, 1))
                out[name]["requests"].append(n)
                print(f"  {state} {name}: {ms:.0f} ms server time in {n} requests", flush=True)
    finally:
        for page in pages.values():
            page["driver"].quit()
            page["server"].shutdown()
    summary = {name: {"median_ms": statistics.median(v["ms"]),
                      "median_requests": statistics.median(v["requests"]), **v}
               for name, v in out.items()}
    summary["ratio_median"] = round(summary["all panels"]["median_ms"]
                                    / max(summary["lazy"]["median_ms"], 1e-9), 2)
    return summary


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from dashapp.config import load_settings
    from dashapp.queries import report

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--clicks", type=int, default=8)
    p.add_argument("--out", default="docs/CLICKCOST.json")
    args = p.parse_args()
    engine, _ = BenchData(load_settings().home).prepare(args.orders)
    with engine.connect() as conn:
        domain = report.load_domain(conn)
    busiest = ("SP", "RJ", "MG", "RS", "PR", "SC", "BA", "DF", "GO", "ES", "PE", "CE")
    states = [s for s in busiest if s in domain.states][:args.clicks]
    result = {"orders": args.orders, "states": states, **run(engine, states)}
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k not in ("lazy", "all panels")}))
    for name in ("lazy", "all panels"):
        print(f"{name}: median {result[name]['median_ms']:.0f} ms server time per click, "
              f"{result[name]['median_requests']} requests")


if __name__ == "__main__":
    main()
