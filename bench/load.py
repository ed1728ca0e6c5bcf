"""Time whole loads (`pulse load`, replace) of one dataset, source trees side by side.

Why side by side: a load takes minutes and this machine is shared, so a figure alone
says little; two or three trees taking turns on the same dataset, the same server and
the same hour say what a change did. Each run is a subprocess importing its tree's code
(`cwd` and `PYTHONPATH`), loading into a new database on the bench server (`bench.datasets`),
which it drops afterwards. A run reports its seconds, how long each file took to stage and
by which path (`copy`: bytes straight to COPY; `checked`: the Python reader), the rest
(keys, derived tables, swap) as `publish_seconds`, and the loader's peak memory.

    pulse demo --orders 100000 --out /work/data/demo100k
    PULSE_HOME=/work/bench-home python -m bench.load --folder /work/data/demo100k \\
        --tree ../wt-before --tree . --reps 2 --out docs/BENCHMARKS-LOAD-100k.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

DATABASE = "bench_load"


def _child(home: Path, folder: Path) -> dict:
    """One load of `folder` into a new database with this process's tree; what it took."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bench.datasets import BenchData
    from loaders import ingest, migrate

    data = BenchData(home, log=lambda *_: None)
    admin = create_engine(data.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    engine = create_engine(make_url(data.admin_url).set(database=DATABASE))
    try:
        migrate.upgrade(engine)
        started = time.perf_counter()
        report = ingest.load(engine, folder)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()
    files = [{"file": f.file, "rows": f.rows_read, "seconds": round(f.seconds, 2),
              "path": getattr(f, "path", "checked")} for f in report.files]
    staged = sum(f["seconds"] for f in files)
    return {"seconds": round(seconds, 1), "stage_seconds": round(staged, 1),
            "publish_seconds": round(seconds - staged, 1),
            "rows": sum(f["rows"] for f in files),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "files": files}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, required=True, help="an Olist-format dataset")
    ap.add_argument("--tree", action="append", required=True, help="a source tree to run")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write the runs as JSON here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    home = Path(os.environ.get("PULSE_HOME", Path.home() / ".pulse"))
    folder = args.folder.resolve()
    if args.child:
        print(json.dumps(_child(home, folder)))
        return 0
    from bench import trees  # here: a child runs under an older tree, which may lack it

    runs = trees.take_turns(__file__, args, ["--folder", str(folder)], lambda r: (
        f"{r['seconds']} s (staging {r['stage_seconds']} s, publishing "
        f"{r['publish_seconds']} s, peak {r['peak_rss_mb']} MB)"))
    if isinstance(runs, int):
        return runs
    if args.out:
        args.out.write_text(json.dumps({"folder": str(folder), "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
