"""Time a whole dashboard's worth of queries per filter change: cold, warm, baseline.

cold:     the query layer on the rollups, no result cache (what a cache miss costs), its
          independent pieces on 3 connections as the service runs them;
warm:     the same through PulseService with its cache already holding the answer;
baseline: the plain path (joins and GROUP BYs on the raw tables at query time, as a
          BI tool re-running each card's SQL would), on 3 connections too; its answers
          must equal cold's.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from dashapp.cache import ResultCache
from dashapp.config import load_settings
from dashapp.filters import Filters
from dashapp.queries import fast, raw, report
from dashapp.service import PulseService


@dataclass
class ViewTiming:
    name: str
    cold_ms: list[float] = field(default_factory=list)
    warm_ms: list[float] = field(default_factory=list)
    baseline_ms: list[float] = field(default_factory=list)
    agrees: bool | None = None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def make_service(engine: Engine, redis_url: str | None) -> PulseService:
    env = {"PULSE_HOME": tempfile.mkdtemp(prefix="pulse-bench-")}
    if redis_url:
        env["REDIS_URL"] = redis_url
    settings = load_settings(env)
    return PulseService(engine, ResultCache(settings))


def run(engine: Engine, views: list[tuple[str, Filters]], reps: int, baseline_names: set[str],
        redis_url: str | None, log=print) -> list[ViewTiming]:
    service = make_service(engine, redis_url)
    with engine.connect() as conn:
        domain = report.load_domain(conn)
    out = []
    for name, f in views:
        f = f.resolve(domain)
        t = ViewTiming(name)
        cold_answer = None
        for _ in range(reps):
            ms, cold_answer = _timed(lambda f=f: report.dashboard_parallel(engine, f, fast))
            t.cold_ms.append(ms)
        service.dashboard(f)  # fill the cache
        for _ in range(reps):
            ms, warm_answer = _timed(lambda f=f: service.dashboard(f))
            t.warm_ms.append(ms)
        assert warm_answer == cold_answer, f"{name}: cached answer differs"
        if name in baseline_names:
            ms, base_answer = _timed(lambda f=f: report.dashboard_parallel(engine, f, raw))
            t.baseline_ms.append(ms)
            t.agrees = base_answer == cold_answer
            if not t.agrees:
                raise AssertionError(f"{name}: fast path and baseline disagree for {f}")
        log(f"  {name:<18} cold {statistics.median(t.cold_ms):8.1f} ms   warm "
            f"{statistics.median(t.warm_ms):6.2f} ms"
            + (f"   baseline {t.baseline_ms[0]:10.1f} ms" if t.baseline_ms else ""))
        out.append(t)
    return out


def summary(timings: list[ViewTiming]) -> dict[str, float]:
    cold = [statistics.median(t.cold_ms) for t in timings]
    warm = [statistics.median(t.warm_ms) for t in timings]
    base = [t.baseline_ms[0] for t in timings if t.baseline_ms]
    cold_same = [statistics.median(t.cold_ms) for t in timings if t.baseline_ms]
    ratios = [b / c for b, c in zip(base, cold_same, strict=True) if c > 0]
    return {
        "views": len(timings),
        "cold_p50": percentile(cold, 0.5), "cold_p95": percentile(cold, 0.95),
        "warm_p50": percentile(warm, 0.5), "warm_p95": percentile(warm, 0.95),
        "baseline_views": len(base),
        "baseline_p50": percentile(base, 0.5), "baseline_p95": percentile(base, 0.95),
        "ratio_p50": percentile(ratios, 0.5) if ratios else float("nan"),
        "ratio_min": min(ratios) if ratios else float("nan"),
    }


def rollup_rows(engine: Engine) -> dict[str, int]:
    from sqlalchemy import text

    from loaders.rollups import all_tables

    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in all_tables()}


def write_plot(path: Path, sizes: list[int], rows: dict[int, dict[str, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for key, label, style in (("cold_p95", "Pulse cold p95", "o-"),
                              ("cold_p50", "Pulse cold p50", "o--"),
                              ("warm_p95", "Pulse warm p95", "s-"),
                              ("baseline_p50", "raw-table baseline p50", "^-")):
        ys = [rows[s][key] for s in sizes]
        ax.plot(sizes, ys, style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("orders in the dataset")
    ax.set_ylabel("ms per dashboard refresh")
    ax.set_title("Latency of a whole dashboard's queries per filter change")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
