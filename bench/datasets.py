"""Benchmark datasets: generated once, loaded once per size, reused across runs.

Everything lives under PULSE_HOME/bench: the demo CSVs, an embedded PostgreSQL
with one database per size, and the load measurements (a load is only
re-measured when its database is missing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LoadStats:
    orders: int
    rows: int
    seconds: float
    rows_per_second: float
    peak_rss_mb: float
    generate_seconds: float


# What the bench server runs with (see BenchData._tune).
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "effective_cache_size": "12GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "work_mem": "32MB",
}


def _label(orders: int) -> str:
    return f"{orders // 1_000_000}M" if orders >= 1_000_000 else f"{orders // 1000}k"


class BenchData:
    def __init__(self, home: Path, log=print) -> None:
        self.home = home / "bench"
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = log
        from dashapp.db import embedded_server

        # Pulse's own start and stop: pgserver alone would stop the postmaster it saw at
        # start, not the one `_tune`'s restart leaves running (see dashapp/db.py)
        self.server = embedded_server(self.home / "pgdata")
        self.admin_url = self.server.get_uri().replace("postgresql://",
                                                       "postgresql+psycopg2://", 1)
        self._tune()

    def _tune(self) -> None:
        """Give the bench server a production-like configuration, not initdb's minimum.

        initdb sizes a server for a laptop (128 MB of shared buffers, a checkpoint
        every GB of WAL): a 10M-order load would then spend its time checkpointing.
        These are the settings any hosted PostgreSQL with a few GB of RAM ships with;
        the report prints them.
        """
        from pgserver._commands import pg_ctl

        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name, value in SERVER_SETTINGS.items():
                conn.execute(text(f"ALTER SYSTEM SET {name} = '{value}'"))
            conn.execute(text("SELECT pg_reload_conf()"))
            time.sleep(0.5)
            restart = bool(conn.execute(text(
                "SELECT count(*) FROM pg_settings WHERE pending_restart")).scalar_one())
        admin.dispose()
        if restart:
            self.log("restarting the bench PostgreSQL to apply its settings")
            pg_ctl(["-w", "restart"], pgdata=self.server.pgdata, user=self.server.system_user)

    def settings(self) -> dict[str, str]:
        """The live values of the tuned settings, for the report."""
        admin = create_engine(self.admin_url)
        with admin.connect() as conn:
            rows = conn.execute(text(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(:n)"),
                {"n": list(SERVER_SETTINGS)}).all()
        admin.dispose()
        return dict(rows)

    def url(self, orders: int) -> str:
        return make_url(self.admin_url).set(database=f"bench_{_label(orders).lower()}") \
            .render_as_string(hide_password=False)

    def _db_ready(self, orders: int) -> bool:
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        name = make_url(self.url(orders)).database
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).first()
        admin.dispose()
        if not exists:
            return False
        eng = create_engine(self.url(orders))
        try:
            with eng.connect() as conn:
                n = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
            return n == orders
        except Exception:  # noqa: BLE001 - half-made database: rebuild it
            return False
        finally:
            eng.dispose()

    def prepare(self, orders: int, seed: int = 42) -> tuple[Engine, LoadStats]:
        """An engine on a database holding `orders` demo orders, and how the load went."""
        label = _label(orders)
        stats_file = self.home / f"load-{label}.json"
        if self._db_ready(orders) and stats_file.exists():
            self.log(f"[{label}] reusing the loaded database")
            return create_engine(self.url(orders), pool_size=4), \
                LoadStats(**json.loads(stats_file.read_text()))
        folder = self.home / f"demo-{label}"
        gen_seconds = 0.0
        if not (folder / "pulse-dataset.json").exists():
            from loaders.demo import DemoSpec, generate

            self.log(f"[{label}] generating {orders:,} demo orders in {folder}")
            t0 = time.perf_counter()
            generate(DemoSpec(orders=orders, seed=seed), folder)
            gen_seconds = time.perf_counter() - t0
        if not any(folder.glob("*.csv")):
            # dropping first would lose a loaded database for a load that cannot run (a
            # 10M database was lost so: its stats file was missing, its CSVs deleted)
            raise RuntimeError(f"{folder} holds no CSV files to load: delete "
                               f"{folder / 'pulse-dataset.json'} to generate them again")
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        name = make_url(self.url(orders)).database
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.log(f"[{label}] loading with `pulse load` (a separate process, measured)")
        env = dict(os.environ, DATABASE_URL=self.url(orders))
        t0 = time.perf_counter()
        # The load's output goes to a file, not a pipe: a long load's progress could fill
        # a pipe nobody reads until the end, and the file can be watched while it runs
        log_file = self.home / f"load-{label}.log"
        with log_file.open("w") as log_out:
            proc = subprocess.Popen([sys.executable, "-m", "dashapp.cli", "load", str(folder)],
                                    env=env, cwd=ROOT, stdout=log_out,
                                    stderr=subprocess.STDOUT, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        if status != 0:
            raise RuntimeError(f"load of {folder} failed:\n{log_file.read_text()[-4000:]}")
        meta = json.loads((folder / "pulse-dataset.json").read_text())
        rows = sum(meta.get("rows", {}).values()) if isinstance(meta.get("rows"), dict) else 0
        stats = LoadStats(orders=orders, rows=rows, seconds=round(seconds, 1),
                          rows_per_second=round(rows / seconds),
                          peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
                          generate_seconds=round(gen_seconds, 1))
        stats_file.write_text(json.dumps(asdict(stats)))
        self.log(f"[{label}] loaded {rows:,} rows in {seconds:.1f}s "
                 f"(peak loader memory {stats.peak_rss_mb} MB)")
        return create_engine(self.url(orders), pool_size=4), stats
