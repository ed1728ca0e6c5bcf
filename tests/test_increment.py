"""An append updates the derived tables exactly as a rebuild from scratch would
(loaders/increment.py): the same rows in every table, the ids (category, payment and
seller sets, customer keys) compared through what they stand for, since an append numbers
new ones after the held ones."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import customer_data as cd
import datasets as ds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from loaders import customerfacts, increment, ingest, rollups

Rows = dict[str, list[dict[str, str]]]
_BY_ORDER = (ds.F_ITEMS, ds.F_PAYMENTS, ds.F_REVIEWS)
_SHARED = (ds.F_TRANSLATION, ds.F_GEO, ds.F_SELLERS, ds.F_PRODUCTS)


def split(rows: Rows, cutoff: str) -> tuple[Rows, Rows]:
    """The orders purchased before `cutoff` with their rows and customers, and the rest:
    the later orders with theirs (their customers staged again only when new)."""
    old_ids = {o["order_id"] for o in rows[ds.F_ORDERS] if o["order_purchase_timestamp"] < cutoff}
    old: Rows = {f: list(rows[f]) for f in _SHARED if f in rows}
    new: Rows = {}
    old[ds.F_ORDERS] = [o for o in rows[ds.F_ORDERS] if o["order_id"] in old_ids]
    new[ds.F_ORDERS] = [o for o in rows[ds.F_ORDERS] if o["order_id"] not in old_ids]
    for f in _BY_ORDER:
        old[f] = [r for r in rows[f] if r["order_id"] in old_ids]
        new[f] = [r for r in rows[f] if r["order_id"] not in old_ids]
    old_customers = {o["customer_id"] for o in old[ds.F_ORDERS]}
    old[ds.F_CUSTOMERS] = [c for c in rows[ds.F_CUSTOMERS] if c["customer_id"] in old_customers]
    new[ds.F_CUSTOMERS] = [c for c in rows[ds.F_CUSTOMERS]
                           if c["customer_id"] not in old_customers]
    return old, new


def snapshot(engine) -> dict[str, list[str]]:
    """Every derived table's rows, sorted, with each id replaced by what it stands for."""
    with engine.connect() as conn:
        def pairs(sql: str) -> dict:
            return dict(conn.execute(text(sql)).all())

        catsets = pairs("SELECT catset_id, categories FROM dim_catset")
        seller_catsets = pairs(f"SELECT catset_id, categories FROM {rollups.SELLER_CATSETS}")
        paysets = pairs("SELECT payset_id, types FROM dim_payset")
        sellersets = pairs("SELECT sellerset_id, sellers FROM dim_sellerset")
        people = pairs(
            f"SELECT DISTINCT s.customer_key, c.customer_unique_id FROM {rollups.SELLER_TABLE} s "
            "JOIN orders o ON o.order_id = s.order_id "
            "JOIN customers c ON c.customer_id = o.customer_id "
            "WHERE s.customer_key IS NOT NULL")
        seller_tables = {t for f in rollups.SELLER_FACTS for t, _, _ in f.tables()}
        seller_tables.add(rollups.SELLER_MULTI)  # its catset_id is the seller's set too
        out = {}
        for table in rollups.all_tables() + customerfacts.tables():
            if table == rollups.KEYS_TABLE:
                continue
            result = conn.execute(text(f"SELECT * FROM {table}"))
            names = list(result.keys())
            ids = {"catset_id": seller_catsets if table in seller_tables else catsets,
                   "payset_id": paysets, "sellerset_id": sellersets,
                   "customer_key": people}
            if table.startswith("dim_") and names[0] in ids:  # a set: the set itself
                ids = {}
                names, rows = names[1:], [r[1:] for r in result]
            else:
                rows = list(result)
            out[table] = sorted(
                repr(tuple(_value(ids[n][v] if n in ids and v is not None else v)
                           for n, v in zip(names, row, strict=True)))
                for row in rows)
    return out


def _value(v):
    """Numbers by value: a sum the append updated reads 0.00 where a rebuild's reads 0."""
    return v.normalize() if isinstance(v, Decimal) else v


def assert_same(appended: dict, rebuilt: dict) -> None:
    differing = {t: (len(appended[t]), len(rebuilt[t])) for t in rebuilt
                 if appended[t] != rebuilt[t]}
    assert differing == {}, f"tables differing (appended rows, rebuilt rows): {differing}"


def _quirks() -> Rows:
    """The customers' dataset plus, in May 2021: a new customer's order whose categories
    (health and a category never sold before) and payment types (boleto and voucher) are
    new sets, from a new seller; and a second review of a loaded order (L's January one)."""
    rows = cd.rows()
    product = dict(rows[ds.F_PRODUCTS][0], product_id=cd.H(590),
                   product_category_name="livros_tecnicos")
    seller = dict(rows[ds.F_SELLERS][0], seller_id=cd.H(490), seller_state="PE")
    rows[ds.F_PRODUCTS].append(product)
    rows[ds.F_SELLERS].append(seller)
    customer = dict(rows[ds.F_CUSTOMERS][0], customer_id=cd.H(1901),
                    customer_unique_id=cd.H(791), customer_state="PE")
    rows[ds.F_CUSTOMERS].append(customer)
    when = "2021-05-10 09:00:00"
    rows[ds.F_ORDERS].append({
        "order_id": cd.H(901), "customer_id": cd.H(1901), "order_status": "delivered",
        "order_purchase_timestamp": when, "order_approved_at": when,
        "order_delivered_carrier_date": "2021-05-11 09:00:00",
        "order_delivered_customer_date": "2021-05-20 09:00:00",
        "order_estimated_delivery_date": "2021-05-18 00:00:00"})
    for k, (prod, sell, price) in enumerate([(cd.HEALTH, cd.S1, "12.50"),
                                             (cd.H(590), cd.H(490), "30.00")], start=1):
        rows[ds.F_ITEMS].append({
            "order_id": cd.H(901), "order_item_id": str(k), "product_id": prod,
            "seller_id": sell, "shipping_limit_date": "2021-05-10 12:00:00", "price": price,
            "freight_value": "2.25"})
    for k, (kind, value) in enumerate([("boleto", "20.00"), ("voucher", "27.00")], start=1):
        rows[ds.F_PAYMENTS].append({
            "order_id": cd.H(901), "payment_sequential": str(k), "payment_type": kind,
            "payment_installments": "1", "payment_value": value})
    for order, n, score in ((cd.H(901), 2901, 2), (cd.H(812), 2902, 4)):
        rows[ds.F_REVIEWS].append({
            "review_id": cd.H(n), "order_id": order, "review_score": str(score),
            "review_comment_title": "", "review_comment_message": "",
            "review_creation_date": "2021-05-21 00:00:00", "review_answer_timestamp": ""})
    return rows


def test_the_merge_knows_every_derived_table_once():
    """A derived table the append does not list would keep its old rows."""
    ways = [set(increment.sum_tables()), set(increment.row_tables()),
            increment.special_tables()]
    tables = set(rollups.all_tables()) | set(customerfacts.tables())
    assert set().union(*ways) == tables
    assert sum(len(w) for w in ways) == len(tables)


def test_an_append_updates_every_derived_table_as_a_rebuild_would(engine, tmp_path):
    rows = _quirks()
    old, new = split(rows, "2021-03-01")
    new[ds.F_REVIEWS].append(next(r for r in rows[ds.F_REVIEWS] if r["review_id"] == cd.H(2902)))
    old[ds.F_REVIEWS].remove(new[ds.F_REVIEWS][-1])
    # what the new rows hold: A's March order after their January one, a set never seen
    assert {cd.order_id(802), cd.H(901)} <= {o["order_id"] for o in new[ds.F_ORDERS]}
    assert cd.order_id(801) in {o["order_id"] for o in old[ds.F_ORDERS]}
    assert cd.order_id(812) in {o["order_id"] for o in old[ds.F_ORDERS]}

    ingest.load(engine, ds.write(rows, tmp_path / "whole"))
    rebuilt = snapshot(engine)
    ingest.load(engine, ds.write(old, tmp_path / "old"))
    with engine.connect() as conn:
        sets_before = conn.execute(text("SELECT count(*) FROM dim_catset")).scalar_one()
    report = ingest.load(engine, ds.write(new, tmp_path / "new"), append=True)
    assert report.derived == "updated"
    appended = snapshot(engine)
    assert_same(appended, rebuilt)
    with engine.connect() as conn:
        # the new set was numbered after the held ones, whose ids stayed
        assert conn.execute(text("SELECT count(*) FROM dim_catset")).scalar_one() > sets_before
        keys = conn.execute(text(f"SELECT max(customer_key) FROM {rollups.SELLER_TABLE}")
                            ).scalar_one()
        assert conn.execute(text(f"SELECT next_customer_key FROM {rollups.KEYS_TABLE}")
                            ).scalar_one() > keys


def test_a_second_append_and_a_repeated_one_stay_equal_to_a_rebuild(engine, tmp_path):
    rows = _quirks()
    first, later = split(rows, "2021-02-01")
    middle, last = split({**later, **{f: rows[f] for f in _SHARED}}, "2021-04-01")
    for f in _SHARED:
        middle.pop(f, None)
        last.pop(f, None)
    ingest.load(engine, ds.write(rows, tmp_path / "whole"))
    rebuilt = snapshot(engine)
    ingest.load(engine, ds.write(first, tmp_path / "first"))
    ingest.load(engine, ds.write(middle, tmp_path / "middle"), append=True)
    batch = ds.write(last, tmp_path / "last")
    assert ingest.load(engine, batch, append=True).derived == "updated"
    assert_same(snapshot(engine), rebuilt)
    again = ingest.load(engine, batch, append=True)  # nothing new: nothing changes
    assert sum(f.rows_inserted for f in again.files) == 0
    assert_same(snapshot(engine), rebuilt)


def test_new_translations_rebuild_instead(engine, tmp_path):
    """A translation renames the category of loaded items too: not an append's few orders."""
    rows = _quirks()
    old, new = split(rows, "2021-03-01")
    new[ds.F_TRANSLATION] = [{"product_category_name": "livros_tecnicos",
                              "product_category_name_english": "books_technical"}]
    rows[ds.F_TRANSLATION] = rows[ds.F_TRANSLATION] + new[ds.F_TRANSLATION]
    ingest.load(engine, ds.write(rows, tmp_path / "whole"))
    rebuilt = snapshot(engine)
    ingest.load(engine, ds.write(old, tmp_path / "old"))
    report = ingest.load(engine, ds.write(new, tmp_path / "new"), append=True)
    assert report.derived == "rebuilt"
    assert_same(snapshot(engine), rebuilt)


def _read(folder: Path) -> Rows:
    out = {}
    for name in ds.HEADERS:
        path = folder / name
        if path.exists():
            with open(path, newline="", encoding="utf-8-sig") as fh:
                out[name] = list(csv.DictReader(fh))
    return out


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.integers(min_value=30, max_value=700))
def test_appending_demo_data_at_any_day_equals_a_rebuild(engine, demo_folder, tmp_path, days):
    """Demo data cut at a random day: the later orders appended onto the earlier ones."""
    rows = _read(demo_folder)
    first = min(o["order_purchase_timestamp"] for o in rows[ds.F_ORDERS])[:10]
    cutoff = (date.fromisoformat(first) + timedelta(days=days)).isoformat()
    old, new = split(rows, cutoff)
    for f in _SHARED:
        new.pop(f, None)
    folder = tmp_path / f"cut{days}"
    ingest.load(engine, ds.write(rows, folder / "whole"))
    rebuilt = snapshot(engine)
    ingest.load(engine, ds.write(old, folder / "old"))
    assert ingest.load(engine, ds.write(new, folder / "new"), append=True).derived == "updated"
    assert_same(snapshot(engine), rebuilt)

