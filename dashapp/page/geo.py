"""The map's GeoJSON, read once per process (not per callback, not per page view).

Why here: the file goes to the browser once, inside the page's initial map
figure, and every later map update is a small patch of the trace values (see
`callbacks.map_patch`). `PULSE_GEOJSON` / `PULSE_GEO_KEY` swap in another
country's regions.

Why simplified: the vendored Brazil file has ~34,000 points (4 decimals,
~11 m). Drawn 400-800 px wide, one pixel is 5-10 km, so plotly.js spends
seconds (measured: ~2 s per draw on a 2-core machine) drawing detail nobody
can see. A Douglas-Peucker pass with a 0.01 degree (~1 km) tolerance keeps
~9,000 points, halves the draw time and changes no visible pixel. Remote
specks are dropped too: a part smaller than 1% of its region's main part and
more than 1 degree away from it (Brazil: Fernando de Noronha, Trindade, Sao
Pedro e Sao Paulo, Atol das Rocas) is a sub-pixel dot that would make
`fitbounds="locations"` frame empty ocean (geo/PROVENANCE.md, "Known
limitations"). The file itself stays untouched.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .charts import feature_ids

log = logging.getLogger(__name__)

#: Display tolerance in degrees (GeoJSON coordinates are WGS84 lon/lat by RFC 7946).
TOLERANCE = 0.01

Point = list[float]


@dataclass(frozen=True)
class GeoData:
    """The map's regions: the GeoJSON, where its ids are, and each id's name."""

    geojson: dict[str, Any] | None
    key: str
    ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    problem: str | None = field(default=None, compare=False)


def _distance(p: Point, a: Point, b: Point) -> float:
    """Distance of p from the segment a-b (a point when a == b)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))


def simplify_line(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker, iterative (rings have thousands of points: no deep recursion).

    Keeps the first and last point and every point farther than `tolerance`
    from the simplified line, in the original order (so winding is kept).
    """
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        lo, hi = stack.pop()
        worst, where = -1.0, -1
        for i in range(lo + 1, hi):
            d = _distance(points[i], points[lo], points[hi])
            if d > worst:
                worst, where = d, i
        if where > 0 and worst > tolerance:
            keep[where] = True
            stack.append((lo, where))
            stack.append((where, hi))
    return [p for p, k in zip(points, keep, strict=True) if k]


def _simplify_ring(ring: list[Point], tolerance: float, exterior: bool) -> list[Point] | None:
    if len(ring) < 4:
        return ring
    # split a closed ring in two halves so the baseline is never a zero-length segment
    mid = len(ring) // 2
    out = simplify_line(ring[: mid + 1], tolerance)[:-1] + simplify_line(ring[mid:], tolerance)
    if len(out) >= 4:
        return out
    return ring if exterior else None  # never lose a region; tiny holes may go


def _area(ring: list[Point]) -> float:
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))) / 2


def _box(ring: list[Point]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def drop_remote_specks(polygons: list[list[list[Point]]], share: float = 0.01,
                       distance: float = 1.0) -> list[list[list[Point]]]:
    """Parts under `share` of the main part's area lying `distance` degrees beyond its box."""
    if len(polygons) < 2:
        return polygons
    main = max(polygons, key=lambda p: _area(p[0]))
    x0, y0, x1, y1 = _box(main[0])
    big = _area(main[0])
    kept = []
    for polygon in polygons:
        a0, b0, a1, b1 = _box(polygon[0])
        remote = a1 < x0 - distance or a0 > x1 + distance or b1 < y0 - distance \
            or b0 > y1 + distance
        if polygon is main or not (remote and _area(polygon[0]) < share * big):
            kept.append(polygon)
    return kept


def simplify_geojson(geojson: dict[str, Any], tolerance: float = TOLERANCE) -> dict[str, Any]:
    """A copy with every (Multi)Polygon simplified and its remote specks dropped; ids and
    properties untouched."""
    out = copy.deepcopy(geojson)
    for feature in out.get("features", []):
        geometry = feature.get("geometry") or {}
        kind = geometry.get("type")
        if kind == "Polygon":
            polygons = [geometry["coordinates"]]
        elif kind == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            continue
        simplified = []
        for polygon in polygons:
            rings = [_simplify_ring(r, tolerance, i == 0) for i, r in enumerate(polygon)]
            simplified.append([r for r in rings if r])
        if kind == "MultiPolygon":
            simplified = drop_remote_specks(simplified)
        geometry["coordinates"] = simplified[0] if kind == "Polygon" else simplified
    return out


def count_points(geojson: dict[str, Any]) -> int:
    total = 0
    for feature in geojson.get("features", []):
        geometry = feature.get("geometry") or {}
        polygons = ([geometry.get("coordinates", [])] if geometry.get("type") == "Polygon"
                    else geometry.get("coordinates", []))
        total += sum(len(r) for p in polygons for r in p)
    return total


@lru_cache(maxsize=4)
def load_geo(path: str | Path, key: str = "id") -> GeoData:
    """Read, simplify for display and index a GeoJSON file; a broken file gives an empty
    map with a reason (logged once), never a failing page."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.error("map: cannot read GeoJSON %s: %s", path, exc)
        return GeoData(None, key, problem=f"the map file {path.name} cannot be read")
    ids, names = feature_ids(raw, key)
    if not ids:
        log.error("map: no feature of %s has an id at %r (PULSE_GEO_KEY)", path, key)
        return GeoData(raw, key, problem=f"no region of {path.name} has an id at {key!r}")
    geojson = simplify_geojson(raw)
    log.debug("map: %s, %d regions, %d -> %d points for display", path.name, len(ids),
              count_points(raw), count_points(geojson))
    return GeoData(geojson, key, tuple(ids), tuple(names))
