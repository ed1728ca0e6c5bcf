"""Load test: N signed-in users changing filters against the production setup.

    python -m bench.loadtest                    # 50 users, 2 minutes, 100k demo orders
    python -m bench.loadtest --smoke            # 5 users, 10 seconds (a quick check)
    python -m bench.loadtest --write docs/LOADTEST.md
    python -m bench.loadtest costmodel 25000 100000 400000   # docs/SCALING.md's table

What runs, all on 127.0.0.1 (nothing leaves the machine): an embedded
PostgreSQL with the demo dataset, a redis-server, the Procfile's `web` command
(gunicorn, WEB_CONCURRENCY workers, sign-in on) and locust headless with
bench/locustfile.py. Bounded in time (`--seconds`) and users (`--users`).
The exit status is non-zero when any request failed.

It is not part of the test suite (2 minutes of saturated CPU); the numbers of
the last run are in docs/LOADTEST.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "loadtest-secret-key-not-for-production-0123456789"
USER, PASSWORD = "loadtest", "loadtest password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def prepare_database(home: Path, orders: int) -> str:
    """An embedded PostgreSQL under `home` holding `orders` demo orders (reused if there)."""
    import pgserver
    from sqlalchemy import create_engine, text

    from dashapp.web import auth
    from loaders import ingest, migrate
    from loaders.demo import DemoSpec, generate

    server = pgserver.get_server(home / "pgdata", cleanup_mode=None)
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
    if loaded != orders:
        folder = home / f"demo-{orders}"
        if not (folder / "pulse-dataset.json").exists():
            log(f"generating {orders:,} demo orders")
            generate(DemoSpec(orders=orders), folder)
        log("loading them")
        ingest.load(engine, folder)
    auth.add_user(engine, USER, PASSWORD, replace=True)
    engine.dispose()
    return url


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def procfile_web() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip()
    raise RuntimeError("Procfile has no web process")


def percentiles(stats_csv: Path) -> list[dict[str, str]]:
    with stats_csv.open() as f:
        return list(csv.DictReader(f))


def render(rows: list[dict[str, str]], args: argparse.Namespace, meta: dict) -> str:
    def num(row: dict[str, str], key: str) -> str:
        value = row.get(key, "")
        try:
            return f"{float(value):,.0f}"
        except ValueError:
            return value or "n/a"

    lines = [
        "| request | count | failures | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    order = sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Type"] != "CHAIN",
                                        r["Name"]))
    for r in order:
        if r["Name"] == "Aggregated":
            name = "**all HTTP requests**"
        elif r["Type"] == "CHAIN":
            name = f"**user waits: {r['Name']}** (all its callbacks)"
        else:
            name = r["Name"]
        lines.append(f"| {name} | {r['Request Count']} | {r['Failure Count']} | "
                     f"{num(r, '50%')} | {num(r, '95%')} | {num(r, '99%')} | "
                     f"{num(r, 'Max Response Time')} |")
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    return "\n".join([
        f"Run {meta['when']} on {meta['machine']}: {args.users} users (spawned "
        f"{args.spawn_rate}/s), {args.seconds} s, think time {args.think.replace(',', '-')} s, "
        f"{args.orders:,} demo "
        f"orders, gunicorn {args.workers} workers x {args.threads} threads (Procfile), "
        f"Redis cache, sign-in on. Total {agg['Request Count']} requests, "
        f"{float(agg['Requests/s']):.1f} requests/s, {agg['Failure Count']} failed. "
        f"Load average (1 min) {meta['load']}.",
        "",
        *lines,
    ])


def _timing(key: str):
    return lambda r: f"{r[5][key]:.0f}"


def cost_model(home: Path, sizes: list[int]) -> str:
    """What grows with orders and what does not: rows and bytes per table, load and
    rebuild time, and uncached query time, for demo datasets of several sizes."""
    import pgserver
    from sqlalchemy import create_engine, text

    from dashapp.cache import ResultCache
    from dashapp.config import load_settings
    from dashapp.service import PulseService
    from loaders import ingest, migrate, rollups
    from loaders.demo import DemoSpec, generate
    from loaders.warehouse import refresh

    server = pgserver.get_server(home / "pgdata", cleanup_mode=None)
    admin_url = server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    raw = ["orders", "order_items", "order_payments", "order_reviews", "customers"]
    derived = rollups.all_tables()
    results = []
    for n in sizes:
        name = f"cost_{n}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        from sqlalchemy.engine import make_url

        eng = create_engine(make_url(admin_url).set(database=name))
        migrate.upgrade(eng)
        folder = home / f"demo-{n}"
        if not (folder / "pulse-dataset.json").exists():
            log(f"generating {n:,} orders")
            generate(DemoSpec(orders=n), folder)
        t0 = time.perf_counter()
        ingest.load(eng, folder)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        refresh(eng)
        rebuild_s = time.perf_counter() - t0
        with eng.connect() as conn:
            rows = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in raw + derived}
            size = {t: conn.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar_one()
                    for t in raw + derived}
        settings = load_settings({"PULSE_HOME": str(home / "cache-off")})

        service = PulseService(eng, ResultCache(settings))
        service.cache.get_or_compute = lambda key, compute: compute()  # type: ignore
        timings = {}
        for label, params in (("all, 3 years", {}), ("one state", {"state": ["SP"]}),
                              ("category+payment", {"category": ["health_beauty"],
                                                    "payment_type": ["boleto"]})):
            filters = service.parse(params)
            service.dashboard(filters)  # warm the database's buffers
            t0 = time.perf_counter()
            for _ in range(5):
                service.dashboard(filters)
            timings[label] = (time.perf_counter() - t0) / 5 * 1000
        eng.dispose()
        results.append((n, load_s, rebuild_s, rows, size, timings))
        log(f"{n:,}: load {load_s:.1f}s rebuild {rebuild_s:.1f}s {timings}")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    head = "| | " + " | ".join(f"{n:,} orders" for n, *_ in results) + " |"
    sep = "|---|" + "---:|" * len(results)
    lines = [head, sep]
    for label, fn in (
        ("load (`pulse load`, s)", lambda r: f"{r[1]:.1f}"),
        ("derived-table rebuild alone (s)", lambda r: f"{r[2]:.1f}"),
        ("raw tables: rows", lambda r: f"{sum(r[3][t] for t in raw):,}"),
        ("raw tables: MB", lambda r: f"{sum(r[4][t] for t in raw) / 1e6:,.1f}"),
        ("derived tables: rows", lambda r: f"{sum(r[3][t] for t in derived):,}"),
        ("derived tables: MB", lambda r: f"{sum(r[4][t] for t in derived) / 1e6:,.1f}"),
        ("  agg_order_lite_m (month x state x kind)", lambda r: f"{r[3]['agg_order_lite_m']:,}"),
        ("  agg_order_full_d (day x state x catset x payset x kind)",
         lambda r: f"{r[3]['agg_order_full_d']:,}"),
        ("  agg_repeat (returning customers' orders)", lambda r: f"{r[3]['agg_repeat']:,}"),
        ("  dim_catset / dim_payset", lambda r: f"{r[3]['dim_catset']:,} / "
                                                f"{r[3]['dim_payset']:,}"),
        *[(f"dashboard query, uncached, {k} (ms)", _timing(k)) for k in results[0][5]],
    ):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["costmodel"]:
        sizes = [int(x) for x in argv[1:]] or [25_000, 100_000, 400_000]
        home = Path(os.environ.get("PULSE_HOME", ".pulse")).resolve() / "costmodel"
        home.mkdir(parents=True, exist_ok=True)
        print(cost_model(home, sizes))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--spawn-rate", type=float, default=5)
    p.add_argument("--seconds", type=int, default=120)
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    p.add_argument("--threads", type=int, default=4, help="PULSE_THREADS")
    p.add_argument("--think", default="2,8", help="seconds between a user's changes: min,max")
    p.add_argument("--home", type=Path, default=Path(os.environ.get("PULSE_HOME", ".pulse"))
                   / "loadtest", help="where the database and demo data are kept")
    p.add_argument("--smoke", action="store_true", help="5 users for 10 seconds")
    p.add_argument("--write", type=Path, help="write the results table into this file")
    args = p.parse_args(argv)
    if args.smoke:
        args.users, args.seconds, args.spawn_rate = 5, 10, 5
    if shutil.which("redis-server") is None:
        print("loadtest: redis-server is required (Debian package redis-server)",
              file=sys.stderr)
        return 2
    args.home.mkdir(parents=True, exist_ok=True)
    url = prepare_database(args.home.resolve(), args.orders)
    out = Path(tempfile.mkdtemp(prefix="pulse-loadtest-"))
    procs: list[subprocess.Popen] = []
    try:
        redis_port = free_port()
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(out)], stdout=subprocess.DEVNULL))
        port = free_port()
        venv_bin = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        env.update(PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}", PORT=str(port),
                   WEB_CONCURRENCY=str(args.workers), PULSE_THREADS=str(args.threads),
                   DATABASE_URL=url, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                   PULSE_SECRET_KEY=SECRET, PULSE_HOME=str(out / "home"))
        with (out / "gunicorn.log").open("wb") as glog:
            procs.append(subprocess.Popen(["bash", "-c", "exec " + procfile_web()], cwd=ROOT,
                                          env=env, stdout=glog, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz")
        log(f"gunicorn up on {base}; locust: {args.users} users for {args.seconds} s")
        cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
               "--headless", "--host", base, "-u", str(args.users), "-r", str(args.spawn_rate),
               "-t", f"{args.seconds}s", "--csv", str(out / "run"), "--only-summary",
               "--stop-timeout", "10", "--loglevel", "WARNING"]
        locust_env = dict(os.environ, LOCUST_USERNAME=USER, LOCUST_PASSWORD=PASSWORD,
                          LOCUST_THINK=args.think)
        load_before = os.getloadavg()[0]
        log(" ".join(shlex.quote(c) for c in cmd))
        subprocess.run(cmd, env=locust_env, cwd=ROOT, check=False)
        rows = percentiles(out / "run_stats.csv")
        failures = sum(int(r["Failure Count"]) for r in rows if r["Name"] == "Aggregated")
        meta = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "load": f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} at the end",
                "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, "
                           f"Python {platform.python_version()}"}
        table = render(rows, args, meta)
        print(table)
        glog_text = (out / "gunicorn.log").read_text()
        shutil.copy(out / "gunicorn.log", args.home / "last-gunicorn.log")
        errors = [json.loads(line) for line in glog_text.splitlines()
                  if line.startswith("{") and '"level": "error"' in line]
        if errors:
            print(f"{len(errors)} error lines in the gunicorn log ({args.home}/last-gunicorn.log)"
                  f", e.g. {errors[0]}")
        if args.write:
            args.write.write_text(table + "\n")
            log(f"results written to {args.write}")
        return 1 if failures else 0
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
