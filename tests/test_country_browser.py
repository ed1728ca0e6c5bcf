"""Pulse for Morocco in a real browser (`PULSE_COUNTRY=MA`): run with `pytest --headless`.

What this proves, against the REST API as the reference (as tests/test_dashboard.py does
for Brazil): the map draws Morocco's 16 regions, a real click on a region filters every
KPI card to `/api/v1/kpis?state=<that region>` and a second click clears it, the region
summary groups by the Moroccan preset, and the page loads nothing from another origin.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import click_map_location, foreign, query_of, requested_urls, wait_until
from langs import FR_MA
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from test_dashboard import (  # noqa: F401 - dash_duo is a fixture
    dash_duo,
    expected_kpis,
    open_page,
    page_query,
    wait_for_kpis,
)

from dashapp.config import load_settings
from dashapp.web.app import create_app
from loaders import ingest
from loaders.demo import DemoSpec, generate

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def morocco_engine(pg_admin_url: str, template_db: str, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[Engine]:
    """A small Moroccan demo (3,000 orders) in a database of its own."""
    folder = tmp_path_factory.mktemp("demo-ma") / "demo"
    generate(DemoSpec(orders=3000, seed=11, country="MA"), folder)
    name = f"pulse_ma_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    engine = create_engine(make_url(pg_admin_url).set(database=name))
    ingest.load(engine, folder)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def morocco_app(morocco_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PULSE_COUNTRY", "MA")  # the region grouping is process-wide
    monkeypatch.delenv("PULSE_REGIONS", raising=False)
    settings = load_settings({"PULSE_COUNTRY": "MA", "PULSE_HOME": str(tmp_path),
                              "PULSE_REFRESH_SECONDS": "2"})
    return create_app(settings, engine=morocco_engine)


def test_morocco_map_click_filters_every_card(dash_duo: Any, morocco_app: Any  # noqa: F811
                                              ) -> None:
    app = morocco_app
    driver = open_page(dash_duo, app)
    totals = expected_kpis(app, lang=FR_MA)  # the preset's language and money
    assert totals["sales"].endswith("\xa0MAD"), totals["sales"]
    wait_for_kpis(driver, totals)

    # the map is Morocco: every region of the GeoJSON in the base trace, by its id
    fc = json.loads((ROOT / "geo" / "morocco-regions.geojson").read_text(encoding="utf-8"))
    ids = sorted(f["id"] for f in fc["features"])
    drawn = driver.execute_script(
        "const gd = document.querySelector('#state-map .js-plotly-plot');"
        "return [gd.data[0].locations, gd.data[1].locations];")
    assert sorted(drawn[0]) == ids
    with_orders = app.server.test_client().get(
        f"/api/v1/breakdown/state?{page_query(app)}").get_json()["rows"]
    assert sorted(drawn[1]) == sorted(r["key"] for r in with_orders)

    # a big region and the smallest busy one: each click filters every card, then clears
    for region in ("MK", "GC"):
        click_map_location(driver, region)
        wait_for_kpis(driver, expected_kpis(app, f"state={region}", FR_MA))
        assert query_of(driver.current_url) == {"state": [region]}
        click_map_location(driver, region)
        wait_for_kpis(driver, totals)
        assert query_of(driver.current_url) == {}

    # a region and a group of regions combine; the summary of earnings uses the groups
    click_map_location(driver, "RZ")
    wait_for_kpis(driver, expected_kpis(app, "state=RZ", FR_MA))
    table = wait_until(lambda: driver.find_element("id", "earnings-table").text)
    for name in ("Centre atlantique", "Nord", "Est", "Centre-Sud", "Sud", "Total"):  # fr_MA
        assert name in table, table
    driver.get(dash_duo.server_url + "/?region=CE&state=GC")
    wait_for_kpis(driver, expected_kpis(app, "region=CE&state=GC", FR_MA))

    urls = requested_urls(driver.get_log("performance"))
    assert any("/assets/topojson/world_110m.json" in u for u in urls), urls
    assert foreign(urls, dash_duo.server_url) == []
    assert dash_duo.get_logs() == [], "the browser console logged errors"
