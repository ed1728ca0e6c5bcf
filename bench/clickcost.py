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

`--compare TREE` measures two trees instead (issue #15: the web tier's cost per filter
change): this one and TREE (e.g. `git worktree add --detach /tmp/wt-before <commit>`),
each served by `bench/clickserve.py` in its own process over the same database, both pages
as shipped. For each state, on each page (taking turns, which goes first alternating):
the click on a new state (*cold*: its numbers not cached), the click clearing it, the
same state clicked again (*warm*: every answer cached) and the click clearing it. Per
click, the browser's server time as above and, from the web process's own timer, each
callback request's name and milliseconds; medians over the states, per callback too.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
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


# --- two trees side by side: warm and cold clicks, per callback ------------------------------


def _tree_page(tree: Path, db_url: str, profile: str | None = None) -> dict:
    cmd = [sys.executable, str(ROOT / "bench" / "clickserve.py"), "--tree", str(tree),
           "--db-url", db_url]
    if profile:
        cmd += ["--profile", profile]
    proc = subprocess.Popen(cmd, cwd=str(tree), stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError(f"{tree}: the server did not start")
    return {"url": url, "proc": proc, "driver": _driver(), "all": False, "tree": str(tree)}


def _server_rows(page, clear: bool = False) -> list:
    req = urllib.request.Request(page["url"] + "/__bench/timings",
                                 method="POST" if clear else "GET")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _timed_click(page, state: str) -> dict:
    """One click on `state`: browser-side server ms, requests, and the server's rows."""
    from browser import click_map_location

    driver = page["driver"]
    driver.execute_script("performance.clearResourceTimings();")
    _server_rows(page, clear=True)
    click_map_location(driver, state)
    entries = _settle(driver)
    rows = _server_rows(page)
    return {"ms": round(sum(ms for _, ms in entries), 1), "requests": len(entries),
            "server_ms": round(sum(r[1] for r in rows), 1),
            "callbacks": [[name, ms] for name, ms, _ in rows]}


def _median_callbacks(clicks: list[dict]) -> dict[str, float]:
    """Per callback name: the median over clicks of its summed ms (0 when it did not run)."""
    names = sorted({name for c in clicks for name, _ in c["callbacks"]})
    out = {}
    for name in names:
        per = [sum(ms for n, ms in c["callbacks"] if n == name) for c in clicks]
        out[name] = round(statistics.median(per), 1)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def compare(db_url: str, trees: dict[str, Path], states: list[str]) -> dict:
    pages = {name: _tree_page(tree, db_url) for name, tree in trees.items()}
    out = {name: {"cold": [], "warm": []} for name in pages}
    try:
        for page in pages.values():
            _open(page)
        for i, state in enumerate(states):
            order = list(pages) if i % 2 == 0 else list(reversed(pages))
            for name in order:
                page = pages[name]
                for kind in ("cold", "warm"):
                    click = _timed_click(page, state)
                    out[name][kind].append({"state": state, **click})
                    _timed_click(page, state)  # cleared again
                    print(f"  {state} {name} {kind}: {click['ms']:.0f} ms in "
                          f"{click['requests']} requests (web process {click['server_ms']:.0f}"
                          f" ms)", flush=True)
    finally:
        for page in pages.values():
            page["driver"].quit()
            page["proc"].terminate()
    summary: dict = {}
    for name, kinds in out.items():
        summary[name] = {kind: {
            "median_ms": statistics.median(c["ms"] for c in clicks),
            "median_server_ms": statistics.median(c["server_ms"] for c in clicks),
            "median_requests": statistics.median(c["requests"] for c in clicks),
            "per_callback_median_ms": _median_callbacks(clicks),
            "clicks": clicks} for kind, clicks in kinds.items()}
    first, second = list(trees)
    summary["ratio_median"] = {kind: round(summary[first][kind]["median_ms"]
                                           / max(summary[second][kind]["median_ms"], 1e-9), 2)
                               for kind in ("cold", "warm")}
    return summary


def _print_compare(result: dict, names: list[str]) -> None:
    for name in names:
        for kind in ("cold", "warm"):
            r = result[name][kind]
            print(f"{name} {kind}: median {r['median_ms']:.0f} ms server time per click "
                  f"(web process {r['median_server_ms']:.0f} ms), {r['median_requests']} "
                  f"requests; per callback: {r['per_callback_median_ms']}")
    print(f"ratio ({names[0]} / {names[1]}): {result['ratio_median']}")


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from dashapp.config import load_settings
    from dashapp.queries import report

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--clicks", type=int, default=8)
    p.add_argument("--out", default=None, help="default docs/CLICKCOST.json, with --compare "
                   "docs/CLICKCOST-WEBTIER.json")
    p.add_argument("--compare", metavar="TREE", default=None,
                   help="warm and cold clicks: TREE (before) against this tree (after)")
    args = p.parse_args()
    args.out = args.out or ("docs/CLICKCOST-WEBTIER.json" if args.compare
                            else "docs/CLICKCOST.json")
    engine, _ = BenchData(load_settings().home).prepare(args.orders)
    with engine.connect() as conn:
        domain = report.load_domain(conn)
    busiest = ("SP", "RJ", "MG", "RS", "PR", "SC", "BA", "DF", "GO", "ES", "PE", "CE")
    states = [s for s in busiest if s in domain.states][:args.clicks]
    if args.compare:
        trees = {"before": Path(args.compare).resolve(), "after": ROOT}
        load = Path("/proc/loadavg").read_text().split()[:3]
        result = {"orders": args.orders, "states": states, "load_before": load,
                  "trees": {k: str(v) for k, v in trees.items()},
                  **compare(engine.url.render_as_string(hide_password=False), trees, states)}
        result["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
        Path(args.out).write_text(json.dumps(result, indent=1))
        _print_compare(result, list(trees))
        print(f"load average before/after: {result['load_before']} / {result['load_after']}")
        return
    result = {"orders": args.orders, "states": states, **run(engine, states)}
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k not in ("lazy", "all panels")}))
    for name in ("lazy", "all panels"):
        print(f"{name}: median {result[name]['median_ms']:.0f} ms server time per click, "
              f"{result[name]['median_requests']} requests")


if __name__ == "__main__":
    main()
