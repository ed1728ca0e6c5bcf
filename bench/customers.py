"""`python -m bench.customers`: the speed of the Customers section (issue #13).

    python -m bench.customers --sizes 100000,1000000 --reps 5 --random 12

For each size of the benchmark datasets (PULSE_HOME/bench, generated and loaded once by
`python -m bench`), the three answers the Customers section and its API draw, cold
(through the service with a cache that never hits): cohorts with their retention,
segments, and reviews by delivery delay. The views are the benchmark's named ones,
random ones (every filter kind, category + payment + seller together included) and
seller views; each is timed `--reps` times and reported as p50 and p95 per view, with
the issue's targets (at 1M and 10M: cohorts 300 ms, segments 200 ms, lateness 100 ms;
at 100k: 50 ms each).

`--database NAME` times one database of the bench server instead (e.g. a copy
refreshed by another branch's code, for a side-by-side comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from dashapp.config import load_settings
from dashapp.filters import Domain
from dashapp.queries import report
from dashapp.service import PulseService

from . import measure, workload
from .datasets import BenchData, _label
from .drill import ColdCache, _stats, _time, seller_views, settle

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ("cohorts", "segments", "lateness")
#: Targets in ms by size label: the issue's (1M and 10M), and 50 ms for all at 100k.
TARGETS = {"100k": dict.fromkeys(ANSWERS, 50.0),
           "1M": {"cohorts": 300.0, "segments": 200.0, "lateness": 100.0},
           "10M": {"cohorts": 300.0, "segments": 200.0, "lateness": 100.0}}


def views(engine, domain: Domain, random_views: int) -> list[tuple[str, Any]]:
    return (workload.scripted(domain) + workload.random_views(domain, random_views)
            + seller_views(engine, domain))


def time_answers(service: PulseService, engine, random_views: int, reps: int
                 ) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        domain = report.load_domain(conn)
    out: dict[str, list[dict]] = {name: [] for name in ANSWERS}
    for view, f in views(engine, domain, random_views):
        f = f.resolve(domain)
        for name in ANSWERS:
            call = getattr(service, name)
            out[name].append(_stats(view, [_time(lambda f=f, call=call: call(f))
                                           for _ in range(reps)]))
    return out


def run_engine(engine, home: Path, random_views: int, reps: int) -> dict[str, list[dict]]:
    service = PulseService(engine, ColdCache(load_settings(
        {"PULSE_HOME": str(home / "customers-cache")})))
    settle()
    try:
        return time_answers(service, engine, random_views, reps)
    finally:
        engine.dispose()


def render(results: dict[str, dict[str, list[dict]]], argv: list[str]) -> str:
    lines = ["# Customers: cohorts, segments, reviews by delivery delay", "",
             f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with "
             f"`python -m bench.customers {' '.join(argv)}` on the 2-core development "
             "machine (shared and noisy: read the figures as upper bounds). Cold = no "
             "result cache; p50/p95 per view over the repetitions. Raw data: the `.json` "
             "beside this file.", ""]
    for size, parts in results.items():
        lines += [f"## {size} orders", "", "| answer | views | median p95 ms | highest p95 ms "
                  "(view) | target ms | met |", "|---|---:|---:|---|---:|---|"]
        for name in ANSWERS:
            rows = parts[name]
            worst = max(rows, key=lambda r: r["p95"])
            target = TARGETS.get(size, {}).get(name)
            met = "" if target is None else ("yes" if worst["p95"] <= target else "**no**")
            lines.append(f"| {name} | {len(rows)} | "
                         f"{measure.percentile([r['p95'] for r in rows], 0.5):.1f} | "
                         f"{worst['p95']:.1f} ({worst['name']}) | "
                         f"{'' if target is None else f'{target:.0f}'} | {met} |")
        lines.append("")
        for name in ANSWERS:
            slow = sorted(parts[name], key=lambda r: -r["p95"])[:5]
            lines += [f"Slowest {name}: " + "; ".join(
                f"{r['name']} {r['p95']:.0f} ms" for r in slow), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench.customers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--random", type=int, default=12, help="random views of `python -m bench`")
    p.add_argument("--database", help="time this database of the bench server instead")
    p.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS-CUSTOMERS.md"))
    args = p.parse_args(argv)
    data = BenchData(load_settings().home)
    results: dict[str, dict[str, list[dict]]] = {}
    if args.database:
        url = make_url(data.admin_url).set(database=args.database)
        results[args.database] = run_engine(create_engine(url, pool_size=4), data.home,
                                            args.random, args.reps)
    else:
        for n in (int(s) for s in args.sizes.split(",") if s):
            engine, _ = data.prepare(n)
            print(f"[{_label(n)}] cohorts, segments, lateness", flush=True)
            results[_label(n)] = run_engine(engine, data.home, args.random, args.reps)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps({"results": results}, indent=1))
    out.write_text(render(results, argv))
    print(out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
