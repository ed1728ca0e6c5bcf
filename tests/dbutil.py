"""Database helpers for tests: checksums and row counts of every table."""

from __future__ import annotations

from sqlalchemy import Engine, text

from loaders.schema import Base


def table_names() -> list[str]:
    return sorted(Base.metadata.tables)


def checksum(engine: Engine) -> dict[str, str]:
    """An order-independent digest of every table's content (rows and values)."""
    out = {}
    with engine.connect() as conn:
        for name in table_names():
            out[name] = conn.execute(
                text(
                    f"SELECT count(*)::text || ':' || coalesce(md5(string_agg(h, '' ORDER BY h)),"
                    f" '') FROM (SELECT md5(t::text) AS h FROM {name} t) s"
                )
            ).scalar_one()
    return out


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in table_names()
        }
