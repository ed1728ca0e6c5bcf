"""The benchmark keeps working: `python -m bench --smoke` on 100k demo orders.

It asserts agreement (the rollup path and the raw-table baseline return the same
numbers on every view where both ran), never speed: speed lives in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_runs_and_both_paths_agree(tmp_path):
    out = tmp_path / "BENCH.md"
    env = dict(os.environ, PULSE_HOME=str(tmp_path / "home"))
    env.pop("REDIS_URL", None)
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.with_suffix(".json").read_text())
    views = data["results"]["100000"]["views"]
    assert len(views) == 10
    compared = [v for v in views if v["baseline_ms"]]
    assert len(compared) == 3 and all(v["agrees"] is True for v in compared)
    assert all(v["cold_ms"] and v["warm_ms"] for v in views)
    load = data["results"]["100000"]["load"]
    assert load["orders"] == 100_000 and load["rows"] > 500_000
    report = out.read_text()
    assert "| 100k | 10 |" in report and "exactly the same numbers" in report
    assert (out.parent / "bench-latency.png").stat().st_size > 10_000
