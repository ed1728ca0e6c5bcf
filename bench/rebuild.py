"""Time the derived tables' rebuild (`pulse db refresh` without its commit), side by side.

Why rolled back: the same bench database then serves every run, and two source trees
(this one and an older worktree) take turns on the same data and machine state, which
is the only fair comparison on a shared machine. Each run is a subprocess importing its
tree's code (`cwd` and `PYTHONPATH`), so the trees' modules never mix. A run reports its
seconds, its slowest steps (the loaders' DEBUG lines) and, where the tree logs them,
the time its indexes and its swap took.

The database must be at the newest tree's schema (`pulse db upgrade` from that tree): a
tree rebuilds the tables it knows, so one whose migration adds a table needs it there,
and an older tree leaves it alone.

    PULSE_HOME=/work/bench-home python -m bench.rebuild --database bench_1m_lead \
        --tree ../wt-before --tree . --reps 1 --out docs/BENCHMARKS-LOAD.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

_STEP = re.compile(r"^rollups: ([0-9.]+)s (.*)$")
_PUBLISH = re.compile(r"^publish: derived indexes ([0-9.]+)s, gate to swapped ([0-9.]+)s$")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _child(home: Path, database: str) -> dict:
    """One rebuild in this process's tree, rolled back; what it measured."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from bench.datasets import BenchData
    from loaders import rollups

    handler = _Lines()
    for name in ("loaders.rollups", "loaders.swap"):
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).addHandler(handler)
    data = BenchData(home, log=lambda *_: None)
    engine = create_engine(make_url(data.admin_url).set(database=database))
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        with raw.cursor() as cur:
            rollups.rebuild(cur)
        seconds = time.perf_counter() - started
    finally:
        raw.rollback()
        raw.close()
        engine.dispose()
    steps = sorted(((float(m[1]), m[2][:70]) for m in map(_STEP.match, handler.lines) if m),
                   reverse=True)
    publish = next((m for m in map(_PUBLISH.match, handler.lines) if m), None)
    return {"seconds": round(seconds, 1), "code": str(Path(rollups.__file__).parent.parent),
            "steps_seconds": round(sum(s for s, _ in steps), 1),
            "analyze_seconds": round(sum(s for s, q in steps if q.startswith("ANALYZE")), 1),
            "indexes_seconds": float(publish[1]) if publish else None,
            "swap_seconds": float(publish[2]) if publish else None,
            "slowest": steps[:8]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database", required=True)
    ap.add_argument("--tree", action="append", required=True, help="a source tree to run")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--out", type=Path, help="write the runs as JSON here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    home = Path(os.environ.get("PULSE_HOME", Path.home() / ".pulse"))
    if args.child:
        print(json.dumps(_child(home, args.database)))
        return 0
    from bench import trees  # here: a child runs under an older tree, which may lack it

    runs = trees.take_turns(__file__, args, ["--database", args.database], lambda r: (
        f"{r['seconds']} s (indexes {r['indexes_seconds']} s, swap {r['swap_seconds']} s)"))
    if isinstance(runs, int):
        return runs
    if args.out:
        args.out.write_text(json.dumps({"database": args.database, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
