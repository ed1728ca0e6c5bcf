"""The cold view set of `python -m bench` on one bench database, source trees taking turns.

`python -m bench` times one tree; a change to the query layer is judged against the tree
before it, on the same data, server and minutes. Each turn runs in a subprocess of its
tree (`bench.trees`) and times every view's whole dashboard from the rollups, result
cache bypassed (`report.dashboard_parallel`, as `bench.measure` does cold), `--reps`
times; the report gives each tree's per-view medians and the set's p50/p95 of them, and
checks that the trees' answers agree.

    git worktree add --detach ../wt-before 176652a
    PULSE_HOME=/work/bench-home python -m bench.coldturns --database bench_10m \\
        --tree ../wt-before --tree . --reps 2 --out docs/BENCHMARKS-COLD-10M.json

A tree's code must find the tables it reads: an older tree on a newer database works
(it ignores tables it does not know), not the other way round.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path


def _child(database: str, reps: int, n_random: int) -> dict:
    import gc

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from bench import workload
    from bench.datasets import BenchData
    from bench.measure import percentile
    from dashapp.queries import fast, report

    home = Path(os.environ.get("PULSE_HOME", Path.home() / ".pulse"))
    data = BenchData(home, log=lambda *_: None)
    engine = create_engine(make_url(data.admin_url).set(database=database), pool_size=4)
    with engine.connect() as conn:
        domain = report.load_domain(conn)
    views = workload.scripted(domain) + workload.random_views(domain, n_random)
    gc.freeze()  # as the web process does: no full collection inside a timed answer
    medians, answers = {}, hashlib.sha256()
    for name, f in views:
        f = f.resolve(domain)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            answer = report.dashboard_parallel(engine, f, fast)
            times.append((time.perf_counter() - t0) * 1000)
        medians[name] = round(statistics.median(times), 1)
        answers.update(repr((name, answer)).encode())
    engine.dispose()
    cold = list(medians.values())
    return {"views": len(cold), "cold_p50": round(percentile(cold, 0.5), 1),
            "cold_p95": round(percentile(cold, 0.95), 1), "over_100": sum(c > 100 for c in cold),
            "answers": answers.hexdigest()[:16], "medians": medians}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database", required=True, help="a database of the bench server")
    ap.add_argument("--tree", action="append", required=True, help="a source tree to run")
    ap.add_argument("--reps", type=int, default=1, help="turns of every tree")
    ap.add_argument("--view-reps", type=int, default=3, help="timings per view and turn")
    ap.add_argument("--random", type=int, default=50, help="random views, as `python -m bench`")
    ap.add_argument("--out", type=Path, help="write the runs as JSON here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.database, args.view_reps, args.random)))
        return 0
    from bench import trees

    child_args = ["--database", args.database, "--view-reps", str(args.view_reps),
                  "--random", str(args.random)]
    runs = trees.take_turns(__file__, args, child_args, lambda r: (
        f"cold p50 {r['cold_p50']} ms, p95 {r['cold_p95']} ms, {r['over_100']} views over "
        f"100 ms (answers {r['answers']})"))
    if isinstance(runs, int):
        return runs
    agree = len({r["answers"] for r in runs}) == 1
    print("the trees' answers agree" if agree else "THE TREES' ANSWERS DIFFER", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"database": args.database, "agree": agree,
                                        "runs": runs}, indent=1))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
