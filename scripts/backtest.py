"""Backtests and calibration of the insight models on demo data; writes docs/INSIGHT.md.

Why a script: the numbers in docs/INSIGHT.md must be reproducible by anyone, from the
same generator and the same code path the API uses. It generates demo datasets with and
without the pandemic, loads each into a throw-away PostgreSQL (the embedded one, or the
server named by --admin-url), and reads them through the query layer exactly as
/api/v1/forecast and /api/v1/impact do. A simulation study of the impact interval (daily
counts drawn the way the generator draws them, no database) completes the picture.

    python scripts/backtest.py                     # default demo size, print the tables
    python scripts/backtest.py --write             # ... and replace them in docs/INSIGHT.md
    python scripts/backtest.py --orders 40000 --calibration-seeds 100

Takes a few minutes (loading 2 x 100k orders is most of it).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashapp.filters import Filters  # noqa: E402
from dashapp.insight import forecast, reports  # noqa: E402
from dashapp.insight.impact import estimate_impact  # noqa: E402
from dashapp.queries import report  # noqa: E402
from loaders import demo, ingest, migrate  # noqa: E402
from loaders.demo import PANDEMIC_START, DemoSpec, expected_daily_orders, generate  # noqa: E402

DOC = ROOT / "docs" / "INSIGHT.md"
START, END = "<!-- backtest:start -->", "<!-- backtest:end -->"
HORIZONS = (1, 3, 6)


# --- ground truth (docs/DEMO_DATA.md) ----------------------------------------------------


def _sales_share(h: float) -> float:
    p = demo._STATUS_P.copy()
    p[demo._UNAVAILABLE] *= 1 + 2.5 * h
    p = p / p.sum()
    keep = np.ones(len(p), bool)
    keep[[demo._CANCELED, demo._UNAVAILABLE]] = False
    return float((p * (1 - demo._NO_ITEMS_P))[keep].sum())


def true_lift(strength: float, event: date, days: int, sales_orders: bool = True) -> float:
    """Lift of (sales) orders over [event, event + days) against the pre-event curve."""
    ds = [event + timedelta(days=k) for k in range(days) if event + timedelta(days=k)
          <= date(2021, 12, 31)]
    b = np.array([demo.baseline_weight(d) for d in ds])
    m = np.array([demo.pandemic_multiplier(d, strength) for d in ds])
    if not sales_orders:
        return float((b * m).sum() / b.sum() - 1)
    q = np.array([_sales_share(demo.supply_shock(d) * strength) for d in ds])
    return float((b * m * q).sum() / (b * _sales_share(0.0)).sum() - 1)


# --- databases -------------------------------------------------------------------------


def _admin_url(arg: str | None, workdir: Path) -> tuple[str, object | None]:
    if arg:
        return arg, None
    import pgserver

    server = pgserver.get_server(workdir / "pg", cleanup_mode="stop")
    return server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1), server


def load_demo(admin_url: str, spec: DemoSpec, workdir: Path) -> tuple[Engine, str]:
    name = f"pulse_bt_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(make_url(admin_url).set(database=name))
    migrate.upgrade(engine)
    folder = workdir / name
    generate(spec, folder)
    ingest.load(engine, folder)
    return engine, name


def drop(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- the studies -----------------------------------------------------------------------


def forecast_rows(bundle: dict, label: str) -> list[str]:
    rows = []
    for metric in ("sales", "orders"):
        b = forecast.bundle_from_dict(bundle[metric])
        for h in HORIZONS:
            scores = forecast.score(b.errors, h)
            chosen = forecast.choose(scores)
            naive = next(s for s in scores if s.model == "seasonal_naive")
            cells = []
            for s in scores:
                mark = "**" if s.model == chosen.model else ""
                cells.append(f"{mark}{s.mape:.1%} / {s.mase:.3f}{mark}")
            beats = "yes" if chosen.mase < naive.mase else "no"
            rows.append(f"| {label} | {metric} | {h} | " + " | ".join(cells)
                        + f" | {chosen.model} | {beats} |")
    return rows


def impact_rows(engine: Engine, strength: float, label: str) -> tuple[list[str], float]:
    with engine.connect() as conn:
        f = Filters().resolve(report.load_domain(conn))
        rows = []
        elapsed = 0.0
        for after in (91, 182, 365):
            params = reports.ImpactParams(after_days=after)
            started = time.perf_counter()
            body = reports.impact(conn, f, params)
            elapsed = max(elapsed, time.perf_counter() - started)
            truth = true_lift(strength, PANDEMIC_START, after)
            inside = body["lift_low"] <= truth <= body["lift_high"]
            rows.append(f"| {label} | {after} | {truth:+.1%} | {body['lift']:+.1%} | "
                        f"[{body['lift_low']:+.1%}, {body['lift_high']:+.1%}] | "
                        f"{'yes' if inside else '**no**'} | "
                        f"{'yes' if body['significant'] else 'no'} |")
    return rows, elapsed


def calibration_rows(orders: int, seeds: int) -> list[str]:
    """Simulated datasets (one multinomial draw of the generator's expected daily orders
    each): how often the 95% interval holds the truth, and how often it claims an effect."""
    rows = []
    for strength in (1.0, 0.0):
        lam = expected_daily_orders(DemoSpec(orders=orders, pandemic=strength))
        p = np.array(list(lam.values())) / orders
        index = pd.DatetimeIndex(list(lam))
        for after in (91, 182, 365):
            truth = true_lift(strength, PANDEMIC_START, after, sales_orders=False)
            covered = significant = 0
            widths = []
            for seed in range(seeds):
                y = pd.Series(np.random.default_rng(seed).multinomial(orders, p).astype(float),
                              index=index)
                imp = estimate_impact(y, PANDEMIC_START, post_days=after, with_series=False)
                covered += imp.lift_low <= truth <= imp.lift_high
                significant += imp.significant
                widths.append(imp.lift_high - imp.lift_low)
            rows.append(f"| {strength:g} | {after} | {truth:+.1%} | {covered}/{seeds} "
                        f"({covered / seeds:.0%}) | {significant}/{seeds} | "
                        f"{np.mean(widths):.1%} |")
    return rows


def generator_rows(orders: int, seeds: int, workdir: Path) -> list[str]:
    """Real generator output (CSV files, no database): daily sales orders counted as
    METRICS.md counts them (status neither canceled nor unavailable, at least one item)."""
    rows = []
    after = reports.DEFAULT_AFTER_DAYS
    index = pd.date_range("2019-01-01", "2021-12-31")
    for strength in (1.0, 0.0):
        truth = true_lift(strength, PANDEMIC_START, after)
        covered = significant = 0
        errors = []
        for seed in range(seeds):
            folder = workdir / f"gen-{strength}-{seed}"
            generate(DemoSpec(orders=orders, seed=seed, pandemic=strength), folder)
            o = pd.read_csv(folder / "olist_orders_dataset.csv",
                            usecols=["order_id", "order_status", "order_purchase_timestamp"])
            items = pd.read_csv(folder / "olist_order_items_dataset.csv", usecols=["order_id"])
            sales = o[~o.order_status.isin(["canceled", "unavailable"])
                      & o.order_id.isin(set(items.order_id))]
            day = pd.to_datetime(sales.order_purchase_timestamp).dt.normalize()
            y = day.value_counts().reindex(index, fill_value=0).sort_index().astype(float)
            imp = estimate_impact(y, PANDEMIC_START, post_days=after, with_series=False)
            covered += imp.lift_low <= truth <= imp.lift_high
            significant += imp.significant
            errors.append(imp.lift - truth)
        rows.append(f"| {strength:g} | {after} | {truth:+.1%} | {covered}/{seeds} "
                    f"({covered / seeds:.0%}) | {significant}/{seeds} | "
                    f"{np.mean(errors):+.1%} |")
    return rows


def _env_prefix() -> str:
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    return f"OPENBLAS_NUM_THREADS={threads} " if threads else ""


def render(args: argparse.Namespace, fc: list[str], imp: list[str], cal: list[str],
           timings: dict[str, float], gen: list[str]) -> str:
    models = " | ".join(forecast.MODELS)
    out = [
        START,
        f"Generated by `{_env_prefix()}python scripts/backtest.py --orders {args.orders} "
        f"--seed {args.seed} "
        f"--calibration-seeds {args.calibration_seeds} --generator-seeds "
        f"{args.generator_seeds}` on {date.today().isoformat()}.",
        "",
        f"**Forecast backtest** (national series, demo data of {args.orders:,} orders, seed "
        f"{args.seed}; rolling origin over the last 12 months, every step up to the "
        "horizon; each cell MAPE / MASE; **bold** = chosen):",
        "",
        f"| data | series | horizon | {models} | chosen | beats seasonal naive |",
        "|---|---|---:|" + "---:|" * len(forecast.MODELS) + "---|---|",
        *fc,
        "",
        "**Event impact on the same data** (event 2020-03-11, baseline = all 435 days "
        "before it, 95% interval, metric: sales orders):",
        "",
        "| data | days after | true lift | estimate | interval | truth inside | "
        "significant |",
        "|---|---:|---:|---:|---|---|---|",
        *imp,
        "",
        f"**Calibration of the impact interval** ({args.calibration_seeds} simulated datasets "
        f"of {args.calibration_orders:,} orders per row, daily counts drawn as the generator "
        "draws them):",
        "",
        "| pandemic | days after | true lift | interval holds the truth | significant | "
        "mean width |",
        "|---:|---:|---:|---|---|---:|",
        *cal,
        "",
        *([f"**On real generator output** ({args.generator_seeds} datasets of "
           f"{args.calibration_orders:,} orders per row, seeds 0..{args.generator_seeds - 1}, "
           "daily sales orders from the CSV files):",
           "",
           "| pandemic | days after | true lift | interval holds the truth | significant | "
           "mean error |",
           "|---:|---:|---:|---|---|---:|",
           *gen, ""] if gen else []),
        f"Timings on this run (whole /impact answer with 12 + 12 group fits, and the "
        f"forecast backtest of both series, {args.orders:,} orders): impact "
        f"{timings['impact']:.2f} s, forecast {timings['forecast']:.2f} s.",
        END,
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--calibration-seeds", type=int, default=40)
    ap.add_argument("--calibration-orders", type=int, default=40_000)
    ap.add_argument("--generator-seeds", type=int, default=0,
                    help="also check the interval on this many generated datasets (slow)")
    ap.add_argument("--admin-url", help="PostgreSQL maintenance URL (default: embedded)")
    ap.add_argument("--write", action="store_true", help=f"replace the tables in {DOC}")
    args = ap.parse_args(argv)

    fc: list[str] = []
    imp: list[str] = []
    timings = {"impact": 0.0, "forecast": 0.0}
    with tempfile.TemporaryDirectory(prefix="pulse-backtest-") as tmp:
        workdir = Path(tmp)
        admin_url, server = _admin_url(args.admin_url, workdir)
        try:
            for strength, label in ((1.0, "pandemic"), (0.0, "no event")):
                spec = DemoSpec(orders=args.orders, seed=args.seed, pandemic=strength)
                print(f"loading {label} ({args.orders:,} orders) ...", file=sys.stderr)
                engine, name = load_demo(admin_url, spec, workdir)
                try:
                    with engine.connect() as conn:
                        f = Filters().resolve(report.load_domain(conn))
                        started = time.perf_counter()
                        bundle = reports.forecast_bundle(conn, f)
                        timings["forecast"] = max(timings["forecast"],
                                                  time.perf_counter() - started)
                    fc += forecast_rows(bundle, label)
                    rows, elapsed = impact_rows(engine, strength, label)
                    imp += rows
                    timings["impact"] = max(timings["impact"], elapsed)
                finally:
                    engine.dispose()
                    drop(admin_url, name)
        finally:
            if server is not None:
                server.cleanup()  # type: ignore[attr-defined]
        print("simulating the impact interval ...", file=sys.stderr)
        cal = calibration_rows(args.calibration_orders, args.calibration_seeds)
        gen = generator_rows(args.calibration_orders, args.generator_seeds, workdir) \
            if args.generator_seeds else []
    block = render(args, fc, imp, cal, timings, gen)
    print(block)
    if args.write:
        doc = DOC.read_text()
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        if not pattern.search(doc):
            raise SystemExit(f"{DOC} has no {START} ... {END} block to replace")
        DOC.write_text(pattern.sub(lambda _: block, doc))
        print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
