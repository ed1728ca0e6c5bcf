"""Getting a database ready to serve: migrate it, and give an empty embedded one demo data.

The embedded default exists so that one command on a fresh machine shows a
meaningful dashboard; a configured production database is never filled with
synthetic data behind its owner's back.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text

from loaders import ingest, migrate
from loaders.progress import Progress

from ..config import Settings
from ..db import get_engine

log = logging.getLogger(__name__)


def has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pulse_meta")).scalar_one() > 0


def prepare_database(settings: Settings, progress: Progress | None = None) -> Engine:
    """Migrate; on an empty embedded database, generate and load the demo dataset."""
    progress = progress or Progress(enabled=False)
    engine = get_engine("loader", settings)
    before = migrate.current(engine)
    migrate.upgrade(engine)
    after = migrate.current(engine)
    if after != before:  # alembic's own lines are held back (logsetup.CHATTY): say it once
        log.info("database schema %s revision %s",
                 "created at" if before is None else f"upgraded from {before} to", after)
    if settings.embedded and not has_data(engine):
        from loaders.demo import DemoSpec, generate

        spec = DemoSpec(orders=settings.demo_orders, country=settings.country)
        where = "" if spec.country == "BR" else f"{spec.country.lower()}-"
        out = settings.home / f"demo-{where}{spec.orders}-{spec.seed}"
        progress.stage(f"empty database: generating {spec.orders:,} demo orders in {out}")
        generate(spec, out, progress=lambda stage, done, total: progress.counter(
            f"demo: {stage}", done, total))
        progress.stage("loading the demo dataset")
        report = ingest.load(engine, out, progress=progress)
        progress.emit(report.table())
    return engine
