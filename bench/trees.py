"""Source trees taking turns on the same data: the runner `bench.load` and
`bench.rebuild` share.

Why subprocesses: each run imports its own tree's modules (`cwd` and `PYTHONPATH`), so
an older worktree's code runs as it was, never mixed with this one's. The child is the
calling script itself, run by path (an older tree may not have it), with `--child`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def take_turns(script: str, args: argparse.Namespace, child_args: list[str],
               describe: Callable[[dict], str]) -> list[dict] | int:
    """Each tree once per repetition, in the order given; each run's JSON (its last
    line of output) with the repetition, the tree and the load average before it, or a
    failed child's exit status (its errors printed)."""
    runs = []
    for rep in range(1, args.reps + 1):
        for tree in (Path(t).resolve() for t in args.tree):
            load = os.getloadavg()[0]
            proc = subprocess.run(
                [sys.executable, str(Path(script).resolve()), "--child", *child_args,
                 "--tree", str(tree)],
                cwd=tree, env=dict(os.environ, PYTHONPATH=str(tree)), capture_output=True,
                text=True, check=False)
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            run = {"rep": rep, "tree": str(tree), "load_before": round(load, 2),
                   **json.loads(proc.stdout.strip().splitlines()[-1])}
            runs.append(run)
            print(f"rep {rep} {tree}: {describe(run)}, load before {run['load_before']}",
                  flush=True)
    return runs
