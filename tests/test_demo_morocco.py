"""The Moroccan demo dataset (`pulse demo --country MA`): same format and generator as
Brazil's, Moroccan regions that are the map's feature ids, French categories, dirhams.

Why: the map silently drops a region whose code is not a feature id, so every region
code the data holds is checked against geo/morocco-regions.geojson; and the dataset must
go through `pulse load` (the strict reader, then the load) with zero problems, like
the Brazilian one (tests/test_demo.py).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from statistics import median

import pytest
from sqlalchemy import create_engine, text

from dashapp.config import load_settings, set_settings
from loaders import demo_morocco
from loaders.demo import DemoSpec, category_tilt, generate

ROOT = Path(__file__).resolve().parents[1]
N = 12_000


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, strict=True))


def feature_ids() -> set[str]:
    fc = json.loads((ROOT / "geo" / "morocco-regions.geojson").read_text(encoding="utf-8"))
    return {f["id"] for f in fc["features"]}


def inside(point: tuple[float, float], ring: list[list[float]]) -> bool:
    """Even-odd rule: is (lon, lat) inside the ring?"""
    x, y = point
    hit = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


@pytest.fixture(scope="module")
def ma(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("demo-ma")
    counts = generate(DemoSpec(orders=N, seed=5, country="MA"), out)
    names = ("olist_customers_dataset.csv", "olist_sellers_dataset.csv",
             "olist_geolocation_dataset.csv", "olist_products_dataset.csv",
             "olist_order_items_dataset.csv", "olist_order_payments_dataset.csv",
             "olist_order_reviews_dataset.csv", "product_category_name_translation.csv")
    return {"dir": out, "counts": counts, **{n: read(out, n) for n in names}}


def test_every_region_code_is_a_feature_id_of_the_map(ma: dict) -> None:
    ids = feature_ids()
    customers = Counter(r["customer_state"] for r in ma["olist_customers_dataset.csv"])
    assert set(customers) == ids  # all 16 regions have customers, nothing else
    assert {r["seller_state"] for r in ma["olist_sellers_dataset.csv"]} <= ids
    assert {r["geolocation_state"] for r in ma["olist_geolocation_dataset.csv"]} <= ids
    assert 0.26 < customers["GC"] / N < 0.34  # Grand Casablanca leads, as assumed (30%)
    assert customers.most_common(1)[0][0] == "GC"


def test_cities_lie_in_their_regions_and_codes_do_not_overlap() -> None:
    fc = json.loads((ROOT / "geo" / "morocco-regions.geojson").read_text(encoding="utf-8"))
    rings = {f["id"]: f["geometry"]["coordinates"][0] for f in fc["features"]}
    spans = []
    for row in demo_morocco.CITIES.strip().splitlines():
        region, city, lo, hi, lat, lng, _ = row.split("|")
        assert inside((float(lng), float(lat)), rings[region]), (city, region)
        assert len(lo) == len(hi) == 5 and int(lo) <= int(hi)
        spans.append((int(lo), int(hi), city))
    spans.sort()
    for (_, hi, a), (lo, _, b) in zip(spans, spans[1:], strict=False):
        assert hi < lo, (a, b)


def test_moroccan_cities_french_categories_and_dirhams(ma: dict) -> None:
    cities = {r["customer_city"] for r in ma["olist_customers_dataset.csv"]}
    assert {"casablanca", "rabat", "marrakech", "fes", "tanger", "dakhla"} <= cities
    geo_cities = {r["geolocation_city"] for r in ma["olist_geolocation_dataset.csv"]}
    assert {"fes", "fès"} <= geo_cities  # the accent quirk, in French
    assert any(r["seller_city"].endswith(", maroc") for r in ma["olist_sellers_dataset.csv"])

    translation = {r["product_category_name"]: r["product_category_name_english"]
                   for r in ma["product_category_name_translation.csv"]}
    assert translation["beaute_sante"] == "health_beauty"
    assert translation["caftans_djellabas"] == "fashion_traditional_clothing"
    used = {r["product_category_name"] for r in ma["olist_products_dataset.csv"]} - {""}
    assert used - set(translation) == {"ustensiles_cuisine_preparation", "pc_gaming"}

    items = ma["olist_order_items_dataset.csv"]
    price = median(Decimal(r["price"]) for r in items)
    freight = median(Decimal(r["freight_value"]) for r in items)
    assert 120 < price < 220, price  # Brazil's median is 60-95 reais
    assert 20 < freight < 50, freight

    pays = ma["olist_order_payments_dataset.csv"]
    kinds = Counter(r["payment_type"] for r in pays)
    assert "boleto" not in kinds
    assert 0.60 < kinds["cash_on_delivery"] / len(pays) < 0.72
    cards = [int(r["payment_installments"]) for r in pays if r["payment_type"] == "credit_card"]
    assert 1.0 <= sum(cards) / len(cards) < 1.6  # instalments are rare in Morocco

    messages = " ".join(r["review_comment_message"] for r in ma["olist_order_reviews_dataset.csv"])
    assert "livr" in messages and "Não" not in messages


def test_same_generator_same_ground_truth(ma: dict, tmp_path: Path) -> None:
    """The pandemic tilt and the calendar are the generator's own: health goes up with the
    pandemic in both countries; the same spec gives the same bytes."""
    from datetime import date

    peak = date(2020, 4, 1)
    assert category_tilt("beaute_sante", peak, 1.0, "MA") == pytest.approx(
        category_tilt("beleza_saude", peak, 1.0))
    again = tmp_path / "again"
    generate(DemoSpec(orders=N, seed=5, country="MA"), again)
    for name in ma["counts"]:
        assert (again / name).read_bytes() == (ma["dir"] / name).read_bytes(), name
    marker = json.loads((again / "pulse-dataset.json").read_text(encoding="utf-8"))
    assert marker["country"] == "MA" and marker["orders"] == N
    with pytest.raises(ValueError, match="country must be one of BR, MA"):
        DemoSpec(country="FR").validate()


def test_the_strict_reader_finds_no_problem(ma: dict) -> None:
    from loaders.csvread import ProblemList, read_rows
    from loaders.formats import BY_FILE

    for name, spec in BY_FILE.items():
        problems = ProblemList(limit=5)
        with open(ma["dir"] / name, "rb") as fh:
            n = sum(1 for _ in read_rows(spec, fh, problems))
        assert not problems, [str(p) for p in problems.items]
        assert n == ma["counts"][name]


def test_pulse_demo_country_ma_load(db_url: str, tmp_path: Path, monkeypatch, capsys) -> None:
    """`pulse demo --country MA --load`: written, then loaded by `pulse load`'s own
    command with zero problems; the API answers per Moroccan region and group."""
    from dashapp import cli
    from dashapp.web.app import create_app

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PULSE_COUNTRY", "MA")
    set_settings(None)
    out = tmp_path / "demo-ma"
    try:
        assert cli.main(["demo", "--orders", "2500", "--seed", "3", "--out", str(out),
                         "--load"]) == 0
    finally:
        set_settings(None)
    printed = capsys.readouterr()
    assert "NOT loaded" not in printed.err and "(synthetic data)" in printed.out
    assert json.loads((out / "pulse-dataset.json").read_text())["country"] == "MA"

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            states = set(conn.execute(text(
                "SELECT DISTINCT customer_state FROM customers")).scalars())
            orders = conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
        assert states <= feature_ids() and len(states) >= 14
        assert orders == 2500
        settings = load_settings({"PULSE_COUNTRY": "MA", "PULSE_HOME": str(tmp_path / "home")})
        client = create_app(settings, engine=engine).server.test_client()
        total = client.get("/api/v1/kpis").get_json()["current"]["sales"]
        regions = client.get("/api/v1/breakdown/region").get_json()["rows"]
        assert {r["key"] for r in regions} == {"NO", "ES", "CE", "CS", "SU"}
        assert sum(Decimal(str(r["sales"])) for r in regions) == Decimal(str(total))
        gc = client.get("/api/v1/kpis?state=GC").get_json()["current"]
        ce = client.get("/api/v1/kpis?region=CE").get_json()["current"]
        assert 0 < Decimal(str(gc["sales"])) < Decimal(str(ce["sales"])) < Decimal(str(total))
    finally:
        engine.dispose()
