"""`python -m bench.drill`: the speed of what lies behind the numbers (issue #12).

    python -m bench.drill --sizes 1000000 --out docs/BENCHMARKS-DRILL.md
    python -m bench.drill --sizes 1000000,10000000 --csv-size 1000000
    python -m bench.drill --only breakdown-raw,breakdown --csv-size 0 --out /tmp/b.md

Four measurements on the benchmark datasets of `python -m bench` (PULSE_HOME/bench,
generated and loaded once):

* the first page of the order list (`/api/v1/orders`: a page and its totals) through
  the service with a cache that never hits, for the benchmark's views, seller views
  and three sorts;
* a seller-filtered dashboard refresh, cold (the query layer, as `python -m bench`
  times every view);
* the seller breakdown (`/api/v1/breakdown/seller`'s first page), cold;
* the full CSV export of the list, streamed over HTTP from the Procfile's gunicorn:
  rows per second and the web process's resident memory, sampled while it streams.

Cold means no result cache; the database's own buffers are warm after the first
repetition, as they are on a server in use. Reports medians and p95 per group.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dashapp.cache import ResultCache
from dashapp.config import load_settings
from dashapp.filters import Domain, Filters
from dashapp.queries import fast, orders, report, sellers
from dashapp.service import PulseService

from . import measure, workload
from .datasets import BenchData, _label
from .loadtest import free_port, procfile_web, wait_http

ROOT = Path(__file__).resolve().parent.parent
SORTS = (("purchased_at", "desc"), ("sales", "desc"), ("days_late", "desc"))


def settle() -> None:
    """Freeze what the harness built before timing, as the web process does after its
    start (dashapp/web/wsgi.py): a full collection over it lands on whichever answer is
    being timed (~90 ms, measured) and is not the answer's cost."""
    gc.freeze()


class ColdCache(ResultCache):
    """A cache that never holds anything: every service call computes (a cold answer)."""

    def get_or_compute(self, key: str, compute):  # noqa: ANN001 - the parent's signature
        self.misses += 1
        return compute()


def seller_views(engine, domain: Domain) -> list[tuple[str, Filters]]:
    """Sellers as a person would pick them: the biggest, a middling and a small one (by
    orders), three together, and each with another filter."""
    with engine.connect() as conn:
        ranked = _ranking(conn)
    top, mid, small = ranked[0], ranked[len(ranked) // 10], ranked[len(ranked) // 2]
    base = workload.scripted(domain)
    category = base[2][1].categories
    year = base[6][1]
    return [
        ("seller: biggest", Filters(sellers=(top,))),
        ("seller: 10th percentile", Filters(sellers=(mid,))),
        ("seller: median", Filters(sellers=(small,))),
        ("seller: three", Filters(sellers=tuple(sorted({top, mid, small})))),
        ("seller + state", Filters(sellers=(top,), states=("SP",))),
        ("seller + category", Filters(sellers=(top,), categories=category)),
        ("seller + a year", Filters(sellers=(mid,), start=year.start, end=year.end)),
    ]


def _ranking(conn) -> list[str]:
    """Sellers by their number of orders (a benchmark's choice of cases, not a metric)."""
    return list(conn.execute(text(
        "SELECT seller_id FROM order_items GROUP BY 1 ORDER BY count(DISTINCT order_id) DESC, "
        "1")).scalars())


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _stats(name: str, ms: list[float]) -> dict[str, Any]:
    return {"name": name, "n": len(ms), "p50": measure.percentile(ms, 0.5),
            "p95": measure.percentile(ms, 0.95), "max": max(ms)}


def first_pages(service: PulseService, views, domain: Domain, reps: int) -> list[dict]:
    out = []
    for name, f in views:
        f = f.resolve(domain)
        for sort, way in SORTS:
            query = orders.OrderQuery(filters=f, status="sales", sort=sort, order=way)

            def page(query=query) -> None:
                with service.reader() as r:
                    service.order_page(query, orders.DEFAULT_LIMIT, None, reader=r)
            out.append(_stats(f"{name} / {sort} {way}", [_time(page) for _ in range(reps)]))
    return out


def dashboards(engine, views, domain: Domain, reps: int) -> list[dict]:
    out = []
    for name, f in views:
        f = f.resolve(domain)
        ms = [_time(lambda f=f: report.dashboard_parallel(engine, f, fast)) for _ in range(reps)]
        out.append(_stats(name, ms))
    return out


def seller_breakdowns(service: PulseService, views, domain: Domain, reps: int,
                      path: str = "fast") -> list[dict]:
    """The first page, cold: through the service (the rollups), or for `raw` the raw path
    in a raw reader, as the service answered before the seller rollups (the baseline)."""
    if not hasattr(service, "sellers"):
        return []

    def raw_page(f: Filters) -> None:
        with service.reader() as r:
            r.run(lambda c: sellers.seller_rows(c, f, sellers.DEFAULT_LIMIT, 0, "raw"))
    page = service.sellers if path == "fast" else raw_page
    out = []
    for name, f in views:
        f = f.resolve(domain)
        out.append(_stats(name, [_time(lambda f=f: page(f)) for _ in range(reps)]))
    return out


def _rss_mb(root_pid: int) -> float:
    """Resident memory of a process and its children (gunicorn's master and workers)."""
    total, pids = 0, [root_pid]
    while pids:
        pid = pids.pop()
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                pids.extend(int(p) for p in fh.read().split())
        except (OSError, StopIteration):
            continue
    return total / 1024


def _cpu_seconds(root_pids: list[int]) -> dict[int, float]:
    """User + system CPU of each process in the trees under `root_pids`, by pid."""
    import psutil

    out: dict[int, float] = {}
    for root in root_pids:
        try:
            top = psutil.Process(root)
            for p in [top, *top.children(recursive=True)]:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
        except psutil.Error:
            continue
    return out


def _postmaster(home: Path) -> int:
    """The bench PostgreSQL's postmaster (its backends are its children)."""
    return int((home / "pgdata" / "postmaster.pid").read_text().split()[0])


def csv_export(url: str, home: Path) -> dict[str, Any]:
    """Stream the whole sales-order list as CSV from gunicorn and watch its memory, and
    the CPU time each party spent (the database's backends and parallel workers, sampled
    every 0.2 s while they live; gunicorn; this client): on a shared machine the wall
    time says how busy it was, the CPU time what a quiet one would need."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               PORT=str(port), WEB_CONCURRENCY="1", DATABASE_URL=url, PULSE_AUTH="off",
               PULSE_SECRET_KEY="bench-drill-secret-key-0123456789",
               PULSE_HOME=str(home / "drill-web"))
    log = (home / "drill-web.log").open("wb")  # what the server said, if it failed
    proc = subprocess.Popen(["bash", "-c", "exec " + procfile_web()], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    samples: list[float] = []
    done = threading.Event()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", timeout=120)
        idle = _rss_mb(proc.pid)

        cpu0 = _cpu_seconds([proc.pid, _postmaster(home)])
        seen = dict(cpu0)  # last CPU time of every process seen: parallel workers end early

        def sample() -> None:
            while not done.is_set():
                samples.append(_rss_mb(proc.pid))
                seen.update(_cpu_seconds([proc.pid, _postmaster(home)]))
                time.sleep(0.2)
        threading.Thread(target=sample, daemon=True).start()
        client0 = time.process_time()
        t0, rows, size, first = time.perf_counter(), -1, 0, None  # -1: the header line
        # counted by line ends in 1 MB reads: iterating lines in Python cost this client
        # ~5 s of CPU per million rows, as much as the web process's whole share
        with urllib.request.urlopen(base + "/api/v1/orders?format=csv", timeout=3600) as r:
            for chunk in iter(lambda: r.read(1 << 20), b""):
                rows += chunk.count(b"\n")
                size += len(chunk)
                if first is None and rows >= 1:
                    first = time.perf_counter() - t0
        seconds = time.perf_counter() - t0
        client = time.process_time() - client0
        web_pids = set(_cpu_seconds([proc.pid]))
        seen.update(_cpu_seconds([proc.pid, _postmaster(home)]))
        spent = {pid: t - cpu0.get(pid, 0.0) for pid, t in seen.items()}
    finally:
        done.set()
        proc.terminate()
        proc.wait(timeout=30)
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds),
            "first_row_seconds": round(first or seconds, 1),
            "megabytes": round(size / 2**20, 1), "idle_rss_mb": round(idle, 1),
            "peak_rss_mb": round(max(samples, default=idle), 1),
            "samples": len(samples),
            "cpu_s": {"database": round(sum(t for p, t in spent.items() if p not in web_pids), 1),
                      "web": round(sum(t for p, t in spent.items() if p in web_pids), 1),
                      "client": round(client, 1)}}


#: The parts `--only` picks from (the CSV export is `--csv-size`'s).
PARTS = ("pages", "dashboard", "breakdown", "breakdown-raw")


def run_size(data: BenchData, n: int, reps: int, random_views: int,
             parts: tuple[str, ...] = PARTS[:3], database: str | None = None
             ) -> dict[str, Any]:
    """One size's parts; `database`: that database of the bench server instead of the
    size's own (a copy whose derived tables another branch's code built)."""
    engine = create_engine(make_url(data.admin_url).set(database=database), pool_size=4) \
        if database else data.prepare(n)[0]
    with engine.connect() as conn:
        domain = report.load_domain(conn)
    by_seller = seller_views(engine, domain)
    views = workload.scripted(domain) + workload.random_views(domain, random_views) + by_seller
    service = PulseService(engine, ColdCache(load_settings(
        {"PULSE_HOME": str(data.home / "drill-cache")})))
    settle()
    out: dict[str, Any] = {}
    if "pages" in parts:
        print(f"[{_label(n)}] order list first pages", flush=True)
        out["first_page"] = first_pages(service, views, domain, reps)
    if "dashboard" in parts:
        print(f"[{_label(n)}] seller-filtered dashboards", flush=True)
        out["seller_dashboard"] = dashboards(engine, by_seller, domain, reps)
    for part, key, path in (("breakdown-raw", "seller_breakdown_raw", "raw"),
                            ("breakdown", "seller_breakdown", "fast")):
        if part in parts:
            print(f"[{_label(n)}] seller breakdown ({path})", flush=True)
            out[key] = seller_breakdowns(service, workload.scripted(domain) + by_seller,
                                         domain, reps, path)
    engine.dispose()
    return out


def _side_by_side(before: list[dict], after: list[dict]) -> list[str]:
    """The breakdown's raw path (before the seller rollups) and its fast path, measured
    in the same run."""
    old = {r["name"]: r for r in before}
    lines = ["### Seller breakdown: raw path (before) and rollups (after), same run", "",
             "| case | before p50 ms | after p50 ms | after p95 ms | before / after (p50) |",
             "|---|---:|---:|---:|---:|"]
    for r in sorted(after, key=lambda r: -old.get(r["name"], r)["p50"]):
        b = old.get(r["name"])
        if b:
            lines.append(f"| {r['name']} | {b['p50']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} "
                         f"| {b['p50'] / r['p50']:.0f}x |")
    return [*lines, ""]


def _table(title: str, rows: list[dict], target: float | None) -> list[str]:
    if not rows:
        return [f"### {title}", "", "not measured (not built in this tree)", ""]
    p95s = [r["p95"] for r in rows]
    worst = max(rows, key=lambda r: r["p95"])
    head = (f"### {title}", "",
            f"{len(rows)} cases; median of the p95s {measure.percentile(p95s, 0.5):.1f} ms; "
            f"highest p95 {worst['p95']:.1f} ms ({worst['name']})"
            + (f"; target {target:.0f} ms: {'met' if worst['p95'] <= target else 'missed'}"
               if target else ""), "", "| case | p50 ms | p95 ms |", "|---|---:|---:|")
    body = [f"| {r['name']} | {r['p50']:.1f} | {r['p95']:.1f} |"
            for r in sorted(rows, key=lambda r: -r["p95"])[:12]]
    return [*head, *body, f"| (… {len(rows) - 12} more, all faster) | | |"
            if len(rows) > 12 else "", ""]


def render(results: dict[str, Any], csv: dict[str, Any] | None, argv: list[str]) -> str:
    lines = ["# Behind the numbers: order list, sellers, export", "",
             f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
             f"`python -m bench.drill {' '.join(argv)}` on the 2-core development machine "
             "(shared and noisy). Cold = no result cache. Raw data: the `.json` beside this "
             "file.", ""]
    targets = {"first_page": 150.0, "seller_dashboard": 300.0, "seller_breakdown": 300.0}
    titles = {"first_page": "First page of /api/v1/orders (page + totals)",
              "seller_dashboard": "Seller-filtered dashboard refresh (cold)",
              "seller_breakdown": "Seller breakdown, first page (cold)"}
    for size, parts in results.items():
        lines += [f"## {size} orders", ""]
        for key, title in titles.items():
            if key in parts:
                lines += _table(title, parts[key], targets[key] if size == "10M" else None)
        if parts.get("seller_breakdown_raw") and parts.get("seller_breakdown"):
            lines += _side_by_side(parts["seller_breakdown_raw"], parts["seller_breakdown"])
    if csv:
        lines += ["## Full CSV export over HTTP", "",
                  f"{csv['rows']:,} rows ({csv['megabytes']} MB) in {csv['seconds']} s: "
                  f"**{csv['rows_per_second']:,} rows/s**; gunicorn (master + 1 worker) "
                  f"resident memory {csv['idle_rss_mb']} MB idle, peak "
                  f"{csv['peak_rss_mb']} MB while streaming ({csv['samples']} samples, "
                  "every 0.2 s).", ""]
    return "\n".join(lines)


def only_csv(data: BenchData, args: argparse.Namespace, argv: list[str]) -> int:
    """`--only csv`: the export at `--csv-size`, `--reps` times, with the load average
    before each run (the machine is shared); JSON lines on stdout, and with an explicit
    `--out` that file's `.json`. `--database`: export that database of the bench server
    (a copy whose derived tables another tree's code built) instead of the size's own."""
    if args.database:
        url = make_url(data.admin_url).set(database=args.database) \
            .render_as_string(hide_password=False)
    else:
        engine, _ = data.prepare(args.csv_size)
        engine.dispose()
        url = data.url(args.csv_size)
    runs = []
    for _ in range(max(1, args.reps)):
        load = os.getloadavg()[0]
        print(f"[{_label(args.csv_size)}] CSV export over HTTP", flush=True)
        runs.append({**csv_export(url, data.home), "load1": load})
        print(json.dumps(runs[-1]), flush=True)
    if "--out" in argv:
        Path(args.out).with_suffix(".json").write_text(json.dumps({"csv": runs}, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench.drill", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000000")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--random", type=int, default=12, help="random views of `python -m bench`")
    p.add_argument("--csv-size", type=int, default=1_000_000,
                   help="dataset whose whole list is exported (0: skip)")
    p.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS-DRILL.md"))
    p.add_argument("--database", help="time this database of the bench server (one size)")
    p.add_argument("--only", default=",".join(PARTS[:3]),
                   help=f"comma-separated parts to run, of {', '.join(PARTS)} "
                        "(breakdown-raw: the raw path, the baseline of the seller rollups), "
                        "or csv: the CSV export alone (prints it, writes nothing unless "
                        "--out is given)")
    args = p.parse_args(argv)
    parts = tuple(x for x in args.only.split(",") if x)
    if unknown := set(parts) - set(PARTS) - {"csv"}:
        p.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    data = BenchData(load_settings().home)
    if parts == ("csv",):
        return only_csv(data, args, argv)
    results = {_label(int(n)): run_size(data, int(n), args.reps, args.random, parts,
                                        args.database)
               for n in args.sizes.split(",") if n}
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps({"results": results}, indent=1))
    csv = None
    if args.csv_size:  # the database stays up: `data` (its server's owner) lives on
        engine, _ = data.prepare(args.csv_size)
        engine.dispose()
        print(f"[{_label(args.csv_size)}] CSV export over HTTP", flush=True)
        csv = csv_export(data.url(args.csv_size), data.home)
    out.with_suffix(".json").write_text(json.dumps({"results": results, "csv": csv}, indent=1))
    out.write_text(render(results, csv, argv))
    print(out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
