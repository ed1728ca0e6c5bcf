"""docs/BENCHMARKS.md from measured results: numbers only come from a run."""

from __future__ import annotations

import os
import platform
from datetime import datetime

from .datasets import _label

TARGETS = {
    "cold_p95_100k": 50.0, "cold_p95_10m": 150.0, "warm_p95": 5.0, "ratio_10m": 20.0,
    "click_p95_100k": 500.0, "load_10m_s": 900.0, "load_mem_mb": 2048.0,
}


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _f(x: float, digits: int = 1) -> str:
    return "n/a" if x != x else f"{x:,.{digits}f}"  # NaN check


def render(sizes, results, browser, versions, redis: bool, plot: str, when: datetime,
           server: dict[str, str] | None = None, baseline_from: str | None = None) -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        "# Benchmarks",
        "",
        f"Measured {when:%Y-%m-%d %H:%M} UTC by `python -m bench` on this project's "
        "development machine; every figure below comes from that run (raw data in "
        "`BENCHMARKS.json`). The machine is shared and noisy: compare the approaches "
        "side by side (same run, same data), not across runs.",
        "",
        f"- machine: {os.cpu_count()} cores ({_cpu()}), {mem_gb:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        "- PostgreSQL 16 (embedded `pgserver`"
        + (", " + ", ".join(f"{k}={v}" for k, v in sorted((server or {}).items()))
           if server else "")
        + "), result cache: " + ("Redis" if redis else "filesystem"),
        "- " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        "",
        "A *view* is one filter change; its time is everything one dashboard refresh needs "
        "(KPIs now and for the previous period, the monthly series, breakdowns by state, "
        "region, category and payment type). **cold**: the query layer on the rollup tables, "
        "result cache bypassed. **warm**: the same through the cached service (a hit). "
        "**baseline**: the same answers from joins and GROUP BYs on the raw tables at query "
        "time, as a BI tool re-running each card's SQL does; it returned exactly the same "
        "numbers as cold on every view where it ran."
        + (f" **The baseline timings in this report are reused from an earlier run "
           f"(`--baseline-from {baseline_from}`)**: the raw path did not change, and "
           "re-running it takes over half an hour at 10M orders." if baseline_from else ""),
        "",
        "## Latency per view (ms)",
        "",
        "| orders | views | cold p50 | cold p95 | warm p50 | warm p95 | baseline views | "
        "baseline p50 | baseline p95 | baseline / cold (median) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        s = results[n]["summary"]
        lines.append(
            f"| {_label(n)} | {s['views']} | {_f(s['cold_p50'])} | {_f(s['cold_p95'])} | "
            f"{_f(s['warm_p50'], 2)} | {_f(s['warm_p95'], 2)} | {s['baseline_views']} | "
            f"{_f(s['baseline_p50'], 0)} | {_f(s['baseline_p95'], 0)} | "
            f"{_f(s['ratio_p50'], 0)}x |")
    lines += ["", f"![latency against data size]({plot})", "", "## Loading", "",
              "| orders | rows in the 9 files | load (s) | rows/s | loader peak memory (MB) |",
              "|---:|---:|---:|---:|---:|"]
    for n in sizes:
        ld = results[n]["load"]
        lines.append(f"| {_label(n)} | {ld['rows']:,} | {ld['seconds']:,.1f} | "
                     f"{ld['rows_per_second']:,} | {ld['peak_rss_mb']:,.0f} |")
    lines += ["", "## Rollup sizes (rows)", "", "| table | " + " | ".join(
        _label(n) for n in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for t in results[sizes[0]]["rollups"]:
        lines.append(f"| {t} | " + " | ".join(
            f"{results[n]['rollups'][t]:,}" for n in sizes) + " |")
    lines += ["", "## In the browser", ""]
    if browser:
        lines += [
            f"Headless Chromium on the {_label(sizes[0])} dataset: time from a click on a "
            "state of the map until every KPI card and chart has redrawn, over "
            f"{browser['clicks']} clicks: median **{browser['p50']:.0f} ms**, "
            f"p95 **{browser['p95']:.0f} ms**.",
        ]
    else:
        lines.append("Not measured in this run (`--no-browser`).")
    lines += ["", "## Targets", ""]
    lines += _targets(sizes, results, browser)
    return "\n".join(lines) + "\n"


def _targets(sizes, results, browser) -> list[str]:
    out = ["| target | measured | met |", "|---|---:|:---:|"]

    def row(name: str, value: float, limit: float, higher_is_better: bool = False) -> None:
        ok = (value >= limit) if higher_is_better else (value <= limit)
        out.append(f"| {name} | {_f(value)} | {'yes' if ok else '**no**'} |")

    if 100_000 in results:
        row("cold p95 <= 50 ms at 100k", results[100_000]["summary"]["cold_p95"], 50)
    if 10_000_000 in results:
        s = results[10_000_000]["summary"]
        row("cold p95 <= 100 ms at 10M (issue #15)", s["cold_p95"], 100)
        row("baseline / cold >= 20 at 10M", s["ratio_p50"], 20, higher_is_better=True)
        row("10M load <= 600 s (issue #15)", results[10_000_000]["load"]["seconds"], 600)
    row("warm p95 <= 5 ms (all sizes)", max(results[n]["summary"]["warm_p95"] for n in sizes), 5)
    row("loader memory <= 2048 MB", max(results[n]["load"]["peak_rss_mb"] for n in sizes), 2048)
    if browser:
        row("click-to-redrawn p95 <= 500 ms at 100k", browser["p95"], 500)
    missing = [s for s in (100_000, 10_000_000) if s not in results]
    if missing:
        out.append("")
        out.append("Not run at " + ", ".join(_label(s) for s in missing) + " in this run.")
    return out
