"""The benchmark keeps working: `python -m bench --smoke` on 20k demo orders.

It asserts agreement (the rollup path and the raw-table baseline return the same
numbers on every view where both ran), never speed: speed lives in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench_home():
    # Under /tmp, not pytest's tmp_path: as root the bench's PostgreSQL runs as pgserver's
    # own user, and any pytest session starting meanwhile makes /tmp/pytest-of-<user>
    # unreachable to it, so pg_ctl could not restart or stop it (see
    # test_dashboard.own_postgres).
    home = Path(tempfile.mkdtemp(prefix="pulse-bench-smoke-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_bench_smoke_runs_and_both_paths_agree(tmp_path, bench_home):
    out = tmp_path / "BENCH.md"
    env = dict(os.environ, PULSE_HOME=str(bench_home))
    env.pop("REDIS_URL", None)
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.with_suffix(".json").read_text())
    views = data["results"]["20000"]["views"]
    assert len(views) == 10
    compared = [v for v in views if v["baseline_ms"]]
    assert len(compared) == 3 and all(v["agrees"] is True for v in compared)
    assert all(v["cold_ms"] and v["warm_ms"] for v in views)
    load = data["results"]["20000"]["load"]
    assert load["orders"] == 20_000 and load["rows"] > 100_000
    report = out.read_text()
    assert "| 20k | 10 |" in report and "exactly the same numbers" in report
    assert (out.parent / "bench-latency.png").stat().st_size > 10_000
