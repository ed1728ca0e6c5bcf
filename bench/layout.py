"""`python -m bench.layout`: what one page load's `/_dash-layout` costs the web process.

    PULSE_HOME=/work/bench-home python -m bench.layout --database bench_1m_lead --reps 15

Every page load fetches the layout; it reads no data, so its cost is the tree's JSON
(issue #15 asks for at most 30 ms). Timed through Flask's test client in this process,
per language: the first request (the language's JSON made) and the median of the rest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from dashapp.config import load_settings
from dashapp.web.app import create_app

from .datasets import BenchData

LANGUAGES = ("en", "pt-BR", "fr")


def measure(database: str, reps: int) -> list[dict]:
    data = BenchData(load_settings().home, log=lambda *a: None)
    engine = create_engine(make_url(data.admin_url).set(database=database))
    app = create_app(load_settings({"PULSE_HOME": tempfile.mkdtemp(prefix="pulse-layout-"),
                                    "PULSE_AUTH": "off"}), engine=engine)
    client = app.server.test_client()
    out = []
    for lang in LANGUAGES:
        times, size = [], 0
        for _ in range(reps):
            t0 = time.perf_counter()
            resp = client.get("/_dash-layout", headers={"Accept-Language": lang})
            times.append((time.perf_counter() - t0) * 1000)
            size = len(resp.data)
        out.append({"language": lang, "bytes": size, "first_ms": round(times[0], 1),
                    "median_ms": round(statistics.median(times[1:]), 2)})
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.layout", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", required=True, help="a database of the bench server")
    p.add_argument("--reps", type=int, default=15)
    args = p.parse_args(argv)
    for row in measure(args.database, max(2, args.reps)):
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
