"""Whole-list CSV written by PostgreSQL (COPY) is byte for byte what the Python writer
wrote: `csv.writer` over the rows' values through `api.common.csv_cell`, in both styles
(default, and `;` with decimal commas). Each cell rule on edge values (rounding half-up,
trailing zeros, microseconds, NULL against empty text, quoting), then the order lists
and customer lists of the tiny and demo datasets against the Python rows
(`queries.stream.RowStream`)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from dashapp.api.common import CsvStyle, csv_cell
from dashapp.filters import Filters
from dashapp.queries import csvtext, customerlist, customers, orders, report
from dashapp.queries.stream import CopyStream

STYLES = [CsvStyle(), CsvStyle(";", ",")]


def python_csv(header: tuple[str, ...], rows: list[list], style: CsvStyle) -> bytes:
    """What the API wrote before COPY: the reference."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", delimiter=style.delimiter)
    writer.writerow(header)
    writer.writerows([csv_cell(v, style) for v in row] for row in rows)
    return out.getvalue().encode()


def copied(engine, sql: str, params: dict, style: CsvStyle) -> bytes:
    return b"".join(CopyStream(engine, sql, params, style.delimiter).chunks())


_VALUES = """(VALUES
    ('a,b', 0.005, 11, 3, TIMESTAMP '2020-03-02 10:00:00', DATE '2020-03-02', -11,
     ARRAY['health_beauty', 'x,y']),
    ('say "hi"', 1.005, 4, 1, TIMESTAMP '2020-03-02 10:00:00.5', DATE '0999-01-31', 0,
     ARRAY['a']),
    ('', 2.675, 0, 0, NULL, NULL, NULL, ARRAY[]::text[]),
    (NULL, 159, 14, 3, TIMESTAMP '0999-12-31 23:59:59.000001', DATE '2021-12-31', 7,
     ARRAY['', 'b']),
    (E'line\\nbreak', 33.2, 7, 2, TIMESTAMP '2021-06-30 00:00:00', NULL, 2147483647, NULL),
    ('ção;x', 1234567.89, 13, 7, TIMESTAMP '2018-01-01 23:59:59.1', DATE '2018-01-01', -1,
     ARRAY['a|b']),
    ('=1+2', 9999999999999.99, 5, 5, NULL, NULL, NULL, ARRAY['unknown']),
    (' sp ', 0, 9, 2, TIMESTAMP '2020-02-29 12:00:00', DATE '2020-02-29', 1, ARRAY['z']),
    ('x', 0.004, 1, 4, NULL, NULL, NULL, NULL),
    ('y', 12.345, 2, 3, NULL, NULL, NULL, NULL),
    ('z', 100.10, 3, 7, NULL, NULL, NULL, NULL),
    ('w', 99.995, 10, 3, NULL, NULL, NULL, NULL)
) v(t, m, s, n, ts, d, i, l)"""


@pytest.mark.parametrize("style", STYLES, ids=["default", "pt_BR"])
def test_each_cell_is_written_like_the_python_writer(engine, style):
    columns = [("t", "text", "r.t"), ("m", "money", "r.m"),
               ("review", "float", "r.s::float8 / NULLIF(r.n, 0)"), ("ts", "timestamp", "r.ts"),
               ("d", "date", "r.d"), ("i", "int", "r.i"), ("l", "list", "r.l")]
    assert {kind for _, kind, _ in columns} == set(csvtext.KINDS)
    source = f"SELECT * FROM {_VALUES} ORDER BY m"
    sql = csvtext.cells_sql(columns, source, style.decimal)
    with engine.connect() as conn:
        raw = conn.execute(text(source)).all()
    rows = [[t, m, float(s) / n if n else None, ts, d, i, items]
            for t, m, s, n, ts, d, i, items in raw]
    header = tuple(name for name, _, _ in columns)
    assert copied(engine, sql, {}, style) == python_csv(header, rows, style)
    assert orders.LIST_SEPARATOR == "|"  # what the `list` cells join with


@pytest.mark.parametrize("style", STYLES, ids=["default", "pt_BR"])
def test_every_mean_of_review_scores_is_written_like_python(engine, style):
    """Means of up to 60 review rows: the shortest round-trip digits of the double."""
    source = "SELECT n, s FROM generate_series(1, 60) n, generate_series(n, 5 * n) s ORDER BY n, s"
    sql = csvtext.cells_sql([("review", "float", "r.s::float8 / r.n")], source,
                            style.decimal)
    rows = [[float(s) / n] for n in range(1, 61) for s in range(n, 5 * n + 1)]
    assert copied(engine, sql, {}, style) == python_csv(("review",), rows, style)


def _domain(engine):
    with engine.connect() as conn:
        return report.load_domain(conn)


ORDER_LISTS = [
    {}, {"status": "all", "sort": "review", "order": "asc"},
    {"status": "all", "sort": "payments"}, {"sort": "days_late", "order": "asc"},
    {"status": "canceled"}, {"sort": "sales", "categories": ("health_beauty",)},
    {"states": ("SP", "RJ"), "payment_types": ("voucher",)},
]


def _order_query(domain, spec: dict) -> orders.OrderQuery:
    keys = {k: spec[k] for k in ("status", "sort", "order") if k in spec}
    f = Filters(**{k: v for k, v in spec.items() if k not in keys}).resolve(domain)
    return orders.OrderQuery(f, **keys)


@pytest.mark.parametrize("dataset", ["tiny", "demo"])
def test_order_lists_are_byte_identical(request, dataset):
    engine = request.getfixturevalue(f"{dataset}_engine")
    domain = _domain(engine)
    for spec in ORDER_LISTS:
        query = _order_query(domain, spec)
        stream = orders.OrderStream(engine, query)
        rows = [[row[f] for f in orders.ROW_FIELDS]
                for batch in stream.batches() for row in batch]
        for style in STYLES:
            sql, params = orders.export_sql(query, style.decimal)
            assert copied(engine, sql, params, style) == \
                python_csv(orders.ROW_FIELDS, rows, style), (spec, style)
        assert rows or dataset == "tiny", spec


def test_customer_lists_are_byte_identical(demo_engine):
    domain = _domain(demo_engine)
    for segment in customers.SEGMENTS:
        for f in (Filters(), Filters(states=("SP",))):
            query = customerlist.CustomerQuery(f.resolve(domain), segment)
            stream = customerlist.CustomerStream(demo_engine, query)
            rows = [[row[k] for k in customerlist.ROW_FIELDS]
                    for batch in stream.batches() for row in batch]
            assert rows, (segment, f)
            for style in STYLES:
                sql, params = customerlist.export_sql(query, style.decimal)
                assert copied(demo_engine, sql, params, style) == \
                    python_csv(customerlist.ROW_FIELDS, rows, style), (segment, style)
