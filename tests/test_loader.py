"""The loader against a real PostgreSQL: good data loads, bad data changes nothing."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import datasets as ds
import pytest
from dbutil import checksum, counts
from sqlalchemy import text

from loaders import ingest, migrate
from loaders.formats import FILES
from loaders.ingest import LoadError

ROOT = Path(__file__).resolve().parent.parent


def csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_tiny_dataset_loads_with_every_row(engine, tmp_path):
    folder = ds.write(ds.tiny(), tmp_path / "tiny")
    report = ingest.load(engine, folder)
    c = counts(engine)
    assert c["orders"] == 5 and c["order_items"] == 6 and c["order_payments"] == 6
    assert c["order_reviews"] == 4  # review_id repeats across two orders: both kept
    assert c["geolocation"] == 2 and c["products"] == 4
    assert report.data_version > 0
    with engine.connect() as conn:
        msg = conn.execute(text(
            "SELECT review_comment_message FROM order_reviews WHERE review_score = 5")).scalar_one()
        assert msg == 'Chegou antes do prazo, "ótimo",\nrecomendo'
        total = conn.execute(text("SELECT sum(price)::text FROM order_items")).scalar_one()
        assert total == "1496.79"  # exact decimal, not float
        assert conn.execute(text(
            "SELECT customer_zip_code_prefix FROM customers ORDER BY customer_id LIMIT 1"
        )).scalar_one() == "01151"
        meta = conn.execute(text("SELECT synthetic, data_version FROM pulse_meta")).one()
        assert meta.synthetic is False and meta.data_version == report.data_version


def test_zip_archive_and_lost_leading_zeros(engine, tmp_path):
    rows = ds.tiny()
    rows[ds.F_CUSTOMERS][0]["customer_zip_code_prefix"] = "1151"  # spreadsheet ate the zero
    folder = ds.write(rows, tmp_path / "tiny")
    archive = tmp_path / "brazilian-ecommerce.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"brazilian-ecommerce/{f.name}")
    ingest.load(engine, archive)
    with engine.connect() as conn:
        zips = conn.execute(text("SELECT customer_zip_code_prefix FROM customers")).scalars()
        assert "01151" in set(zips)


def test_fully_quoted_files_and_crlf_load(engine, tmp_path):
    folder = ds.write(ds.tiny(), tmp_path / "q", quoting=csv.QUOTE_ALL)
    for f in folder.iterdir():
        f.write_bytes(f.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    ingest.load(engine, folder)
    assert counts(engine)["orders"] == 5


def test_reload_replaces_everything(engine, tmp_path):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    rows = ds.tiny()
    rows[ds.F_ORDERS] = rows[ds.F_ORDERS][:2]
    keep = {r["order_id"] for r in rows[ds.F_ORDERS]}
    for f in (ds.F_ITEMS, ds.F_PAYMENTS, ds.F_REVIEWS):
        rows[f] = [r for r in rows[f] if r["order_id"] in keep]
    first = counts(engine)
    with engine.connect() as conn:
        v1 = conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
    ingest.load(engine, ds.write(rows, tmp_path / "b"))
    c = counts(engine)
    assert first["orders"] == 5 and c["orders"] == 2
    assert c["order_items"] == 3 and c["order_payments"] == 3
    with engine.connect() as conn:
        v2 = conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM pulse_load_log")).scalar_one() == 2
    assert v2 > v1


def _batch() -> dict[str, list[dict[str, str]]]:
    """Next month's orders: one new customer and order, reusing a loaded product."""
    base = ds.tiny()
    cust = dict(base[ds.F_CUSTOMERS][0], customer_id="c" * 32)
    order = dict(base[ds.F_ORDERS][0], order_id="a" * 32, customer_id="c" * 32,
                 order_purchase_timestamp="2020-05-01 10:00:00")
    item = dict(base[ds.F_ITEMS][0], order_id="a" * 32)
    pay = dict(base[ds.F_PAYMENTS][2], order_id="a" * 32, payment_value="72.19")
    return {ds.F_CUSTOMERS: [cust], ds.F_ORDERS: [order], ds.F_ITEMS: [item],
            ds.F_PAYMENTS: [pay]}


def test_append_adds_a_batch_and_twice_changes_nothing(engine, tmp_path):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    batch = ds.write(_batch(), tmp_path / "batch")
    ingest.load(engine, batch, append=True)
    after_first = checksum(engine)
    c = counts(engine)
    assert c["orders"] == 6 and c["order_items"] == 7 and c["order_payments"] == 7
    report = ingest.load(engine, batch, append=True)
    assert checksum(engine) == after_first
    assert all(f.rows_inserted == 0 for f in report.files)
    assert sum(f.rows_skipped for f in report.files) == 4


def test_append_adds_only_new_locations_empty_fields_included(engine, tmp_path):
    """Locations have no key: a row is new unless an identical one is loaded, where two
    empty cities are identical (and an empty one differs from a named one)."""
    geo = ds.tiny()[ds.F_GEO]
    nameless = dict(geo[0], geolocation_city="", geolocation_state="")
    ingest.load(engine, ds.write(dict(ds.tiny(), **{ds.F_GEO: [*geo, nameless]}),
                                 tmp_path / "a"))
    moved = dict(geo[1], geolocation_lng="-46.6391")
    report = ingest.load(engine, ds.write({ds.F_GEO: [*geo, nameless, moved]},
                                          tmp_path / "b"), append=True)
    assert [(f.rows_inserted, f.rows_skipped) for f in report.files] == [(1, 3)]
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT geolocation_lng, geolocation_city FROM geolocation ORDER BY id")).all()
    assert rows == [(-46.6393, "sao paulo"), (-46.639, "são paulo"), (-46.6393, None),
                    (-46.6391, "são paulo")]


def test_append_rejects_a_changed_repeat(engine, tmp_path):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    before = checksum(engine)
    batch = _batch()
    batch[ds.F_ITEMS].append(dict(ds.tiny()[ds.F_ITEMS][0], price="60.00"))  # loaded key, new price
    with pytest.raises(LoadError) as err:
        ingest.load(engine, ds.write(batch, tmp_path / "b"), append=True)
    assert "olist_order_items_dataset.csv, line 3" in str(err.value)
    assert "already loaded with different content" in str(err.value)
    assert checksum(engine) == before


def test_append_may_reference_loaded_rows_but_not_missing_ones(engine, tmp_path):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    before = checksum(engine)
    batch = _batch()
    batch[ds.F_ITEMS][0]["product_id"] = "f" * 32
    with pytest.raises(LoadError) as err:
        ingest.load(engine, ds.write(batch, tmp_path / "b"), append=True)
    assert "product_id 'ffff" in str(err.value)
    assert "nor in the loaded data" in str(err.value)
    assert checksum(engine) == before


# --- bad input: a clear message, and nothing changes --------------------------------------


def _set(file: str, index: int, column: str, value: str):
    def mutate(rows):
        rows[file][index][column] = value
    return mutate


def _drop_file(file: str):
    def mutate(rows):
        del rows[file]
    return mutate


def _rename_column(file: str, old: str, new: str | None, extra: bool = False):
    """Post-write edit of the header line (new=None drops the column)."""
    def edit(folder: Path):
        path = folder / file
        with open(path, newline="", encoding="utf-8-sig") as fh:
            data = list(csv.reader(fh))
        i = data[0].index(old)
        for r in data:
            if new is None:
                del r[i]
            elif extra:
                r.append("x" if r is not data[0] else new)
            else:
                data[0][i] = new
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(data)
    return edit


def _raw(file: str, fn):
    def edit(folder: Path):
        path = folder / file
        path.write_bytes(fn(path.read_bytes()))
    return edit


BAD_INPUTS = {
    "missing file": (_drop_file(ds.F_ORDERS), None,
                     ["olist_orders_dataset.csv", "required file is missing"]),
    "missing column": (None, _rename_column(ds.F_ITEMS, "price", None),
                       ["olist_order_items_dataset.csv, line 1", "missing column(s) 'price'"]),
    "extra column": (None, _rename_column(ds.F_SELLERS, "seller_state", "seller_rating", True),
                     ["olist_sellers_dataset.csv, line 1", "unexpected column(s) 'seller_rating'"]),
    "renamed column": (None, _rename_column(ds.F_ORDERS, "order_status", "status"),
                       ["olist_orders_dataset.csv, line 1", "missing column(s) 'order_status'",
                        "unexpected column(s) 'status'", "renamed?"]),
    "bad number": (_set(ds.F_ITEMS, 2, "price", "19,99"), None,
                   ["olist_order_items_dataset.csv, line 4, column price",
                    "'19,99' is not a number"]),
    "too many decimals": (_set(ds.F_PAYMENTS, 0, "payment_value", "150.005"), None,
                          ["olist_order_payments_dataset.csv, line 2, column payment_value",
                           "at most 2 decimals"]),
    "negative money": (_set(ds.F_ITEMS, 0, "freight_value", "-1.00"), None,
                       ["line 2, column freight_value", "is negative"]),
    "bad date": (_set(ds.F_ORDERS, 1, "order_purchase_timestamp", "2020-02-30 10:00:00"), None,
                 ["olist_orders_dataset.csv, line 3, column order_purchase_timestamp",
                  "is not a valid date"]),
    "not a date": (_set(ds.F_ORDERS, 0, "order_approved_at", "yesterday"), None,
                   ["line 2, column order_approved_at", "'yesterday' is not a timestamp"]),
    "required value missing": (_set(ds.F_CUSTOMERS, 3, "customer_state", ""), None,
                               ["olist_customers_dataset.csv, line 5, column customer_state",
                                "a value is required"]),
    # line 4: the first review's comment spans lines 2 and 3
    "score out of range": (_set(ds.F_REVIEWS, 1, "review_score", "7"), None,
                           ["line 4, column review_score", "must be between 1 and 5"]),
    "bad zip": (_set(ds.F_SELLERS, 0, "seller_zip_code_prefix", "13O23"), None,
                ["olist_sellers_dataset.csv, line 2, column seller_zip_code_prefix",
                 "not a zip code prefix"]),
    "duplicate key": (lambda r: r[ds.F_ITEMS].append(dict(r[ds.F_ITEMS][0])), None,
                      ["olist_order_items_dataset.csv, line 2", "duplicate key (order_id, "
                       "order_item_id)", "line(s) 2, 8"]),
    "dangling reference": (_set(ds.F_ITEMS, 1, "product_id", "e" * 32), None,
                           ["olist_order_items_dataset.csv, line 3, column product_id",
                            "is not in olist_products_dataset.csv"]),
    "order of unknown customer": (_set(ds.F_ORDERS, 4, "customer_id", "d" * 32), None,
                                  ["olist_orders_dataset.csv, line 6, column customer_id",
                                   "is not in olist_customers_dataset.csv"]),
    "empty file": (None, _raw(ds.F_PAYMENTS, lambda b: b""),
                   ["olist_order_payments_dataset.csv", "the file is empty"]),
    "header only orders": (None, _raw(ds.F_ORDERS, lambda b: b.split(b"\n")[0] + b"\n"),
                           ["olist_orders_dataset.csv", "has no orders"]),
    "wrong encoding": (None, _raw(ds.F_CUSTOMERS,
                                  lambda b: b.replace(b"sao paulo", "são paulo".encode(
                                      "latin-1"), 1)),
                       ["olist_customers_dataset.csv, line 2", "not UTF-8"]),
    "truncated last line": (None, _raw(ds.F_PAYMENTS, lambda b: b.rstrip(b"\r\n")[:-20]),
                            ["olist_order_payments_dataset.csv, line 7", "expected 5 fields, "
                             "found 3", "cut short"]),
    "quote left open": (None, _raw(ds.F_SELLERS, lambda b: b.replace(b"campinas", b'"campinas')),
                        ["olist_sellers_dataset.csv, line 2", "never closed"]),
    "stray quote": (None, _raw(ds.F_SELLERS, lambda b: b.replace(b"campinas", b'"camp"inas')),
                    ["olist_sellers_dataset.csv, line 2", "malformed CSV"]),
    "repeated column": (None, _rename_column(ds.F_SELLERS, "seller_city", "seller_state"),
                        ["olist_sellers_dataset.csv, line 1", "repeated column(s) 'seller_state'"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_named_and_changes_nothing(case, engine, tmp_path):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "good"))
    before = checksum(engine)
    mutate, edit, expected = BAD_INPUTS[case]
    rows = ds.tiny()
    if mutate:
        mutate(rows)
    folder = ds.write(rows, tmp_path / "bad")
    if edit:
        edit(folder)
    with pytest.raises(LoadError) as err:
        ingest.load(engine, folder)
    message = str(err.value)
    for part in expected:
        assert part in message, f"{part!r} not in:\n{message}"
    assert checksum(engine) == before


def test_many_problems_are_listed_up_to_a_limit(engine, tmp_path):
    rows = ds.tiny()
    for r in rows[ds.F_ITEMS]:
        r["price"] = "abc"
        r["freight_value"] = "x"
    with pytest.raises(LoadError) as err:
        ingest.load(engine, ds.write(rows, tmp_path / "bad"), max_problems=5)
    assert len(err.value.problems) == 5 and err.value.truncated
    assert "stopped after 5 problems" in str(err.value)
    assert counts(engine)["orders"] == 0


def test_missing_source_path(engine, tmp_path):
    with pytest.raises(LoadError, match="no such file or folder"):
        ingest.load(engine, tmp_path / "nope")


# --- the command line --------------------------------------------------------------------


def _pulse(args: list[str], db_url: str, tmp_path: Path, **kw) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=db_url, PULSE_HOME=str(tmp_path / "home"))
    return subprocess.Popen([sys.executable, "-m", "dashapp.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_cli_load_reports_problems_and_exits_nonzero(db_url, engine, tmp_path):
    rows = ds.tiny()
    rows[ds.F_ITEMS][0]["price"] = "R$ 10"
    folder = ds.write(rows, tmp_path / "bad")
    proc = _pulse(["load", str(folder)], db_url, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "NOT loaded; the database is unchanged" in err
    assert "olist_order_items_dataset.csv, line 2, column price: 'R$ 10' is not a number" in err
    good = ds.write(ds.tiny(), tmp_path / "good")
    proc = _pulse(["load", str(good)], db_url, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "olist_orders_dataset.csv" in out and "replace load" in out
    assert counts(engine)["orders"] == 5


def test_cli_names_an_unreachable_database(tmp_path):
    bad = "postgresql://pulse:secret@127.0.0.1:1/nowhere"
    proc = _pulse(["load", str(tmp_path)], bad, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert "cannot reach postgresql+psycopg2://pulse:***@127.0.0.1:1/nowhere" in err
    assert "secret" not in err


# --- real files and big loads ------------------------------------------------------------


@pytest.fixture(scope="module")
def real_dataset(tmp_path_factory, olist_sample) -> Path:
    import realsample

    out = tmp_path_factory.mktemp("real")
    realsample.build(olist_sample, out)
    return out


def test_real_olist_files_load_with_every_row(engine, real_dataset, olist_sample):
    ingest.load(engine, real_dataset)
    c = counts(engine)
    assert c["products"] == csv_rows(olist_sample / "olist_products_dataset.csv") == 32951
    assert c["sellers"] == 3095
    assert c["product_category_name_translation"] == 71
    assert c["order_payments"] == 103886
    assert c["orders"] == csv_rows(real_dataset / ds.F_ORDERS)
    assert c["order_items"] == csv_rows(real_dataset / ds.F_ITEMS)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT sum(payment_value)::text FROM order_payments"))
        assert total.scalar_one() == "16008872.12"  # the README's figure, to the cent
        no_cat = conn.execute(text(
            "SELECT count(*) FROM products WHERE product_category_name IS NULL")).scalar_one()
        assert no_cat == 610
        assert conn.execute(text(
            "SELECT product_category_name_english FROM product_category_name_translation "
            "WHERE product_category_name = 'beleza_saude'")).scalar_one() == "health_beauty"


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory) -> Path:
    """30k demo orders: a load long enough to be killed half way (its publishing, the
    derived tables' rebuild, takes seconds)."""
    from loaders.demo import DemoSpec, generate

    out = tmp_path_factory.mktemp("demo30k")
    generate(DemoSpec(orders=30_000, seed=5), out)
    return out


@pytest.mark.parametrize("when", ["while reading files", "while publishing"])
def test_kill_9_half_way_leaves_previous_data(when, db_url, engine, big_demo, tmp_path):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "good"))
    before, rows = checksum(engine), counts(engine)
    proc = _pulse(["load", str(big_demo)], db_url, tmp_path)
    trigger = "olist_customers_dataset.csv" if when == "while reading files" else "... publishing"
    seen = []
    deadline = time.monotonic() + 120
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if trigger in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    time.sleep(0.5)  # the server notices the dead client and rolls back
    assert checksum(engine) == before
    # and a later load still works (no lock left behind); a small one says as much
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "again"))
    after = counts(engine)
    assert after.pop("pulse_load_log") == rows.pop("pulse_load_log") + 1
    assert after == rows


def test_demo_dataset_loads_with_every_row_and_is_marked_synthetic(engine, demo_folder):
    report = ingest.load(engine, demo_folder)
    c = counts(engine)
    for spec in FILES:
        assert c[spec.table] == csv_rows(demo_folder / spec.file), spec.file
    assert report.synthetic
    with engine.connect() as conn:
        assert conn.execute(text("SELECT synthetic FROM pulse_meta")).scalar_one() is True


def test_cli_demo_writes_and_loads(db_url, engine, tmp_path):
    out = tmp_path / "demo"
    proc = _pulse(["demo", "--orders", "500", "--seed", "3", "--out", str(out), "--load"],
                  db_url, tmp_path)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "synthetic demo dataset written to" in stdout
    assert csv_rows(out / ds.F_ORDERS) == 500
    assert counts(engine)["orders"] == 500


def test_cli_db_upgrade_is_idempotent(db_url, tmp_path):
    for _ in range(2):
        proc = _pulse(["db", "upgrade"], db_url, tmp_path)
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        assert f"database schema at revision {migrate.head()}" in stdout


def test_replace_keeps_the_migrated_schema_grants_and_sequences(engine, tmp_path):
    """A replace swaps in new tables: they must be what the migrations made, grants and all."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from loaders.schema import Base

    role = f"pulse_reader_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role}"))
        conn.execute(text(f"GRANT SELECT ON orders, customers TO {role}"))
    try:
        ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
        ingest.load(engine, ds.write(ds.tiny(), tmp_path / "b"))
        with engine.connect() as conn:
            def ours(obj, name, type_, reflected, compare_to):  # rollups are not ORM models
                table = name if type_ == "table" else getattr(getattr(obj, "table", None),
                                                              "name", None)
                return table is None or table in Base.metadata.tables

            context = MigrationContext.configure(conn, opts={"include_object": ours})
            diff = [d for d in compare_metadata(context, Base.metadata)
                    if d[0] != "remove_table_comment"]  # pulse_meta's rollup-code stamp
            assert diff == []
            granted = conn.execute(text(
                "SELECT table_name FROM information_schema.role_table_grants "
                "WHERE grantee = :r AND privilege_type = 'SELECT' ORDER BY 1"), {"r": role})
            assert granted.scalars().all() == ["customers", "orders"]
            fks = conn.execute(text(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated "
                "AND conrelid::regclass::text IN ('orders', 'order_items', 'order_payments', "
                "'order_reviews')")).scalar_one()
            assert fks == 6
        extra = ds.tiny()[ds.F_GEO][:1]
        extra[0]["geolocation_lat"] = "-10.0"
        ingest.load(engine, ds.write({ds.F_GEO: extra}, tmp_path / "c"), append=True)
        with engine.connect() as conn:
            ids = conn.execute(text("SELECT id FROM geolocation ORDER BY id")).scalars().all()
            assert len(ids) == 3 and len(set(ids)) == 3
            leftover = conn.execute(text(
                "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%\\_\\_new'"))
            assert leftover.scalar_one() == 0
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_a_check_reads_and_checks_everything_and_loads_nothing(engine, tmp_path):
    """`pulse load --check`: the same reading and the same set-wide checks as a load
    (keys and references, with their lines), then a rollback."""
    folder = ds.write(ds.tiny(), tmp_path / "tiny")
    before = checksum(engine)
    report = ingest.load(engine, folder, check=True)
    assert report.checked_only and report.data_version == 0
    assert "no problem found; nothing was loaded" in report.table()
    assert checksum(engine) == before and counts(engine)["orders"] == 0
    loaded = ingest.load(engine, folder)
    assert [f.rows_read for f in report.files] == [f.rows_read for f in loaded.files]
    rows = ds.tiny()
    rows[ds.F_ITEMS].append(dict(rows[ds.F_ITEMS][0]))
    dupes = ds.write(rows, tmp_path / "dupes")
    before = checksum(engine)
    with pytest.raises(LoadError) as err:
        ingest.load(engine, dupes, check=True)
    assert "olist_order_items_dataset.csv, line 2: duplicate key (order_id, " in str(err.value)
    assert "(also on line(s) 2, 8)" in str(err.value)
    assert checksum(engine) == before
