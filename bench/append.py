"""Time `pulse load --append` of a dataset's last month onto the months before it, source
trees side by side (an older tree rebuilds every derived table; this one updates them
for the orders the month touches, loaders/increment.py).

The dataset is cut once into `before/` (orders purchased before the month, with their
rows and customers) and `month/` (the month's orders with theirs; their customers only
when new), under PULSE_HOME/bench. `before/` is loaded once, by this tree, into a
template database; each run appends `month/` to a fresh copy of it with its tree's code
and reports the seconds, how the derived tables followed, and a few sums of them, which
must agree between the trees.

    pulse demo --orders 1000000 --out /work/data/demo1m
    PULSE_HOME=/work/bench-home python -m bench.append --folder /work/data/demo1m \\
        --tree ../wt-before --tree . --reps 2 --out docs/BENCHMARKS-APPEND-1M.json

A warehouse too big to copy (10M orders: 49 GB) is appended to in place instead, once,
with this tree: `--onto bench_10m --month 2022-01` generates that month's demo orders
(new customers; another seed's catalogue and sellers) and appends them. The database
keeps the month afterwards.

    PULSE_HOME=/work/bench-home python -m bench.append --onto bench_10m --month 2022-01 \\
        --orders 280000 --seed 43 --out docs/BENCHMARKS-APPEND-10M.json
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import resource
import sys
import time
from pathlib import Path

BASE, RUN = "bench_append_base", "bench_append_run"
_BY_ORDER = ("olist_order_items_dataset.csv", "olist_order_payments_dataset.csv",
             "olist_order_reviews_dataset.csv")
_SHARED = ("product_category_name_translation.csv", "olist_geolocation_dataset.csv",
           "olist_sellers_dataset.csv", "olist_products_dataset.csv")
#: Sums over the derived tables that any correct update gives alike.
_CHECKS = {
    "orders": "SELECT sum(n_orders) FROM agg_order_full_d",
    "sales": "SELECT sum(sales) FROM agg_order_full_d",
    "single_customers": "SELECT sum(single_customers) FROM agg_order_full_d",
    "repeat_firsts": "SELECT sum(repeat_firsts) FROM agg_order_full_d",
    "repeat_rows": "SELECT count(*) FROM agg_repeat",
    "repeat_customers": "SELECT count(*) FROM cust_repeat",
    "retention": "SELECT sum(active) FROM cust_retention",
    "seller_rows": "SELECT count(*) FROM agg_seller_order",
    "order_keys": "SELECT count(*) FROM order_keys",
}


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        yield next(reader)
        yield from reader


def cut(folder: Path, out: Path, month: str | None) -> tuple[str, int]:
    """Write `out/before` and `out/month` (once); the month and its number of orders."""
    orders = list(_rows(folder / "olist_orders_dataset.csv"))
    head, body = orders[0], orders[1:]
    at = head.index("order_purchase_timestamp")
    month = month or max(r[at][:7] for r in body)
    done = out / f"cut-{month}.json"
    if done.exists():
        return month, json.loads(done.read_text())["orders"]
    later = {r[0] for r in body if r[at][:7] >= month}
    for part in ("before", "month"):
        (out / part).mkdir(parents=True, exist_ok=True)

    def write(name: str, part: str, rows) -> None:
        with open(out / part / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)

    cust = head.index("customer_id")
    write("olist_orders_dataset.csv", "before", [head] + [r for r in body if r[0] not in later])
    write("olist_orders_dataset.csv", "month", [head] + [r for r in body if r[0] in later])
    old_customers = {r[cust] for r in body if r[0] not in later}
    customers = list(_rows(folder / "olist_customers_dataset.csv"))
    write("olist_customers_dataset.csv", "before",
          [customers[0]] + [r for r in customers[1:] if r[0] in old_customers])
    write("olist_customers_dataset.csv", "month",
          [customers[0]] + [r for r in customers[1:] if r[0] not in old_customers])
    for name in _BY_ORDER:
        rows = list(_rows(folder / name))
        key = rows[0].index("order_id")
        write(name, "before", [rows[0]] + [r for r in rows[1:] if r[key] not in later])
        write(name, "month", [rows[0]] + [r for r in rows[1:] if r[key] in later])
    for name in _SHARED:
        if (folder / name).exists():
            write(name, "before", _rows(folder / name))
    done.write_text(json.dumps({"month": month, "orders": len(later)}))
    return month, len(later)


def _fresh(home: Path, name: str, template: str | None = None):
    """A new database `name` on the bench server (a copy of `template`): the admin
    engine that drops it, and an engine on it. Defined here, not imported: a child runs
    under an older tree, whose modules may not have it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bench.datasets import BenchData

    data = BenchData(home, log=lambda *_: None)
    admin = create_engine(data.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'
                          + (f' TEMPLATE "{template}"' if template else "")))
    return admin, create_engine(make_url(data.admin_url).set(database=name))


def _child(home: Path, month_folder: Path) -> dict:
    """Append the month to a fresh copy of the base with this process's tree."""
    from sqlalchemy import text

    from loaders import ingest

    admin, engine = _fresh(home, RUN, BASE)
    try:
        started = time.perf_counter()
        report = ingest.load(engine, month_folder, append=True)
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            checks = {k: str(conn.execute(text(q)).scalar_one()) for k, q in _CHECKS.items()}
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{RUN}" WITH (FORCE)'))
        admin.dispose()
    return {"seconds": round(seconds, 1), "derived": getattr(report, "derived", "rebuilt"),
            "rows_inserted": sum(f.rows_inserted for f in report.files),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "checks": checks}


def _base(home: Path, before: Path) -> float:
    """Load `before` into the template database with this tree; its seconds."""
    from loaders import ingest, migrate

    admin, engine = _fresh(home, BASE)
    migrate.upgrade(engine)
    started = time.perf_counter()
    ingest.load(engine, before)
    engine.dispose()
    admin.dispose()
    return time.perf_counter() - started


class _StepLog(logging.Handler):
    """Keeps the loader's own step lines (the increment's phases) for the report."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _stage_clock():
    """A loader progress that records when each stage began (seconds from the start), so
    the report can say where an append's time went."""
    import io

    from loaders.progress import Progress

    class Clock(Progress):
        def __init__(self) -> None:
            super().__init__(io.StringIO())
            self.t0 = time.perf_counter()
            self.stages: list[tuple[float, str]] = []

        def stage(self, text: str) -> None:
            self.stages.append((round(time.perf_counter() - self.t0, 1), text))

    return Clock()


def onto(home: Path, database: str, month: str, orders: int, seed: int) -> dict:
    """Append a generated month to `database` in place, timed (see the docstring)."""
    from datetime import date, timedelta

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bench.datasets import BenchData
    from loaders import ingest
    from loaders.demo import DemoSpec, generate

    year, mon = map(int, month.split("-"))
    first = date(year, mon, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    folder = home / "bench" / f"month-{month}-{orders}-{seed}"
    if not (folder / "pulse-dataset.json").exists():
        generate(DemoSpec(orders=orders, seed=seed, start=first, end=last), folder)
    data = BenchData(home, log=lambda *_: None)
    engine = create_engine(make_url(data.admin_url).set(database=database))
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
    steps = _StepLog()
    logging.getLogger("loaders").addHandler(steps)
    logging.getLogger("loaders").setLevel(logging.INFO)
    clock = _stage_clock()
    started = time.perf_counter()
    report = ingest.load(engine, folder, append=True, progress=clock)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        checks = {k: str(conn.execute(text(q)).scalar_one()) for k, q in _CHECKS.items()}
    engine.dispose()
    return {"database": database, "month": month, "orders": orders, "seed": seed,
            "orders_before": before, "seconds": round(seconds, 1),
            "derived": report.derived,
            "rows_inserted": {f.file: f.rows_inserted for f in report.files},
            "staging_seconds": round(sum(f.seconds for f in report.files), 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "stages_started_at": clock.stages, "loader_log": steps.lines,
            "checks": checks}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, help="an Olist-format dataset")
    ap.add_argument("--month", help="YYYY-MM to append (default: the dataset's last)")
    ap.add_argument("--tree", action="append", help="a source tree to run")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write the runs as JSON here")
    ap.add_argument("--onto", metavar="DATABASE",
                    help="append a generated --month to this bench database in place")
    ap.add_argument("--orders", type=int, default=280_000, help="with --onto")
    ap.add_argument("--seed", type=int, default=43, help="with --onto")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    home = Path(os.environ.get("PULSE_HOME", Path.home() / ".pulse"))
    if args.onto:
        if not args.month:
            ap.error("--onto needs --month YYYY-MM")
        run = onto(home, args.onto, args.month, args.orders, args.seed)
        print(f"appended {run['orders']:,} orders onto {run['orders_before']:,} in "
              f"{run['seconds']} s (derived tables {run['derived']})", flush=True)
        if args.out:
            args.out.write_text(json.dumps(run, indent=1))
        return 0
    if not args.folder or not args.tree:
        ap.error("--folder and --tree are required (or --onto)")
    folder = args.folder.resolve()
    if args.child:
        print(json.dumps(_child(home, folder)))
        return 0
    from bench import trees  # here: a child runs under an older tree, which may lack it

    work = home / "bench" / f"append-{folder.name}"
    month, n = cut(folder, work, args.month)
    print(f"appending {month}: {n:,} orders; loading the months before it", flush=True)
    base_seconds = _base(home, work / "before")
    print(f"base loaded in {base_seconds:.1f} s", flush=True)
    runs = trees.take_turns(__file__, args, ["--folder", str(work / "month")], lambda r: (
        f"{r['seconds']} s (derived tables {r['derived']}, peak {r['peak_rss_mb']} MB)"))
    if isinstance(runs, int):
        return runs
    agree = len({json.dumps(r["checks"], sort_keys=True) for r in runs}) == 1
    print("the trees' derived tables agree" if agree else "THE TREES DISAGREE", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"folder": str(folder), "month": month, "orders": n,
                                        "base_seconds": round(base_seconds, 1),
                                        "agree": agree, "runs": runs}, indent=1))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
