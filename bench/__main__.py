"""`python -m bench`: the benchmark of issue "interactive speed from 100k to 10M orders".

    python -m bench                     # 100k and 1M, writes docs/BENCHMARKS.md
    python -m bench --with-10m          # also 10M (generation and load take a while)
    python -m bench --sizes 100000 --reps 2 --random 5 --no-browser --out /tmp/b.md   # smoke

Datasets and loaded databases are cached under PULSE_HOME/bench between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from . import measure, workload
from .datasets import BenchData, _label

ROOT = Path(__file__).resolve().parent.parent


def _redis() -> tuple[str | None, subprocess.Popen | None]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    binary = shutil.which("redis-server")
    if not binary:
        return None, None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--dir", tempfile.mkdtemp()], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0", proc


def versions() -> dict[str, str]:
    from importlib.metadata import version


    out = {"python": platform.python_version()}
    for pkg in ("dash", "plotly", "pandas", "sqlalchemy", "psycopg2-binary", "flask-caching"):
        out[pkg] = version(pkg)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000",
                   help="comma-separated order counts (default 100000,1000000)")
    p.add_argument("--with-10m", action="store_true", help="add the 10,000,000-order dataset")
    p.add_argument("--reps", type=int, default=5, help="repetitions per view (cold, warm)")
    p.add_argument("--random", type=int, default=50, help="random filter combinations")
    p.add_argument("--baseline-random", type=int, default=5,
                   help="random views also timed on the baseline (it is slow)")
    p.add_argument("--no-browser", action="store_true", help="skip the headless-Chromium part")
    p.add_argument("--clicks", type=int, default=30, help="browser clicks to time")
    p.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    p.add_argument("--baseline-from", metavar="JSON",
                   help="reuse the baseline timings of an earlier run's BENCHMARKS.json "
                        "(the raw path is unchanged and takes an hour at 10M); the report "
                        "says so")
    p.add_argument("--smoke", action="store_true",
                   help="keep the benchmark working: 20k, 1 rep, 3 baseline views, no browser")
    args = p.parse_args(argv)
    if args.smoke:
        # 20k, not 100k: the smoke proves the machinery and the agreement, not speed,
        # and the 100k load alone took two of the test suite's minutes
        args.sizes, args.reps, args.random, args.baseline_random = "20000", 1, 2, 1
        args.no_browser, args.with_10m = True, False

    from dashapp.config import load_settings

    home = load_settings().home
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.with_10m and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    data = BenchData(home)
    redis_url, redis_proc = _redis()
    results: dict[int, dict] = {}
    try:
        for n in sizes:
            engine, load = data.prepare(n)
            with engine.connect() as conn:
                from dashapp.queries import report

                domain = report.load_domain(conn)
            views = workload.scripted(domain) + workload.random_views(domain, args.random)
            scripted_views = workload.scripted(domain)[:2 if args.smoke else None]
            baseline = {name for name, _ in scripted_views}
            baseline |= {name for name, _ in views[8:8 + args.baseline_random]}
            if n >= 1_000_000:  # the baseline needs minutes per view from here on
                keep = 5 if n < 10_000_000 else 2
                baseline = {name for name, _ in workload.scripted(domain)[:keep]}
            earlier = {}
            if args.baseline_from:
                prior = json.loads(Path(args.baseline_from).read_text())
                earlier = {v["name"]: v["baseline_ms"] for v in
                           prior["results"].get(str(n), {}).get("views", []) if v["baseline_ms"]}
                baseline = set()
            print(f"[{_label(n)}] {len(views)} views, {args.reps} reps, "
                  f"baseline on {len(baseline) or len(earlier)}")
            timings = measure.run(engine, views, args.reps, baseline, redis_url)
            for t in timings:
                if t.name in earlier:
                    t.baseline_ms = list(earlier[t.name])
            results[n] = {"load": load.__dict__, "summary": measure.summary(timings),
                          "rollups": measure.rollup_rows(engine),
                          "views": [t.__dict__ for t in timings]}
            engine.dispose()
            # an hour-long run keeps what it measured if a later size fails
            Path(args.out).with_suffix(".partial.json").write_text(json.dumps(
                {str(k): v for k, v in results.items()}, default=str))
        browser = None
        if not args.no_browser:
            from . import browser as browser_bench

            engine, _ = data.prepare(sizes[0])
            browser = browser_bench.run(engine, clicks=args.clicks, redis_url=redis_url)
            engine.dispose()
    finally:
        if redis_proc:
            redis_proc.terminate()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (out.with_suffix(".json")).write_text(json.dumps(
        {"sizes": sizes, "results": {str(k): v for k, v in results.items()},
         "browser": browser}, indent=1, default=str))
    plot = out.parent / "bench-latency.png"
    measure.write_plot(plot, sizes, {n: results[n]["summary"] for n in sizes})
    from .render import render

    out.write_text(render(sizes, results, browser, versions(), redis_url is not None,
                          plot.name, datetime.now(UTC), data.settings(),
                          baseline_from=args.baseline_from))
    print(f"wrote {out} and {plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
