"""The DuckDB baseline keeps working: its answers equal Pulse's (issue #15 item 5).

`bench/duckdb_baseline.py` reads the Olist CSVs into DuckDB and answers each view with
Pulse's raw-table SQL; on the hand-made tiny dataset (its edge cases: an untranslated
category, canceled and unavailable orders, several payments) its whole-dashboard answers
must equal Pulse's raw backend on PostgreSQL, field by field (the rollup path is held
equal to the raw backend by test_fast_equals_raw, and the benchmark itself checks DuckDB
against the rollup path on every view it times). Correctness only: speed lives in
docs/BENCHMARKS-DUCKDB.md.
"""

from __future__ import annotations

import pytest

duckdb = pytest.importorskip("duckdb", reason="duckdb is in the bench extra: pip install "
                             "-e '.[bench]'")
pytest.importorskip("duckdb_engine", reason="duckdb_engine is in the bench extra")

from bench import duckdb_baseline, workload  # noqa: E402
from dashapp.queries import raw, report  # noqa: E402


def test_duckdb_equals_pulse_raw_backend_on_the_tiny_dataset(tiny_engine, tmp_path):
    import datasets

    folder = datasets.write(datasets.tiny(), tmp_path / "tiny")
    with tiny_engine.connect() as conn:
        domain = report.load_domain(conn)
    scripted = workload.scripted(domain)
    views = [scripted[i] for i in (0, 1, 2, 4)] + workload.random_views(domain, 1, seed=7)
    duck = duckdb_baseline.duck_engine()
    with duck.connect() as dconn, tiny_engine.connect() as pg:
        load = duckdb_baseline.load_csvs(dconn, folder)
        assert load["rows"]["orders"] == pg.exec_driver_sql(
            "SELECT count(*) FROM orders").scalar_one()
        for name, f in views:
            f = f.resolve(domain)
            duckdb_baseline.check_equal(name, report.dashboard(pg, f, raw),
                                        duckdb_baseline.duck_answer(dconn, f))
            pg.rollback()
    duck.dispose()


def test_a_difference_is_named_by_view_and_field():
    a = {"kpis": {"current": {"sales": 1, "orders": 2}}, "state": {"rows": [{"key": "SP"}]}}
    b = {"kpis": {"current": {"sales": 1, "orders": 3}}, "state": {"rows": [{"key": "SP"}]}}
    with pytest.raises(AssertionError, match=r"'one state'.*kpis\.current\.orders.*2.*3"):
        duckdb_baseline.check_equal("one state", a, b)
    duckdb_baseline.check_equal("same", a, a)


def test_postgres_only_sql_is_rewritten_exactly():
    engine = duckdb_baseline.duck_engine()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SET LOCAL work_mem = '64MB'").scalar_one() == 1
        seconds = conn.exec_driver_sql(
            "SELECT extract(epoch FROM b.d - b.t) FROM (SELECT TIMESTAMP '2020-01-02 00:00:00' "
            "AS d, TIMESTAMP '2020-01-01 00:00:01' AS t) b").scalar_one()
    engine.dispose()
    from decimal import Decimal

    assert seconds == Decimal("86399") and isinstance(seconds, Decimal)
