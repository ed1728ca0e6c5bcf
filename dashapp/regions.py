"""Regions group states: a preset grouping per country (`PULSE_COUNTRY`), or your own.

Brazil (the default) uses IBGE's five macro-regions. Morocco (`PULSE_COUNTRY=MA`) uses the
16 pre-2015 regions of its map (geo/morocco-regions.geojson, whose `properties.region`
holds the same grouping) gathered into five areas. A shop elsewhere sets `PULSE_REGIONS`
to a JSON object {"region": ["state", ...]}, which wins over the preset.

Why the environment and not `Settings`: filters, charts and queries ask for the grouping
without a settings object in hand (it is process-wide, like the data). The two values are
read at each call and the parsed grouping cached per pair, so a test that sets
`PULSE_COUNTRY` sees its grouping without clearing a cache.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from .config import country_code

BRAZIL: dict[str, tuple[str, ...]] = {
    "N": ("AC", "AM", "AP", "PA", "RO", "RR", "TO"),
    "NE": ("AL", "BA", "CE", "MA", "PB", "PE", "PI", "RN", "SE"),
    "CO": ("DF", "GO", "MS", "MT"),
    "SE": ("ES", "MG", "RJ", "SP"),
    "S": ("PR", "RS", "SC"),
}
MOROCCO: dict[str, tuple[str, ...]] = {
    "NO": ("GB", "TH", "TO"),  # Gharb, Taza-Al Hoceima, Tanger-Tetouan
    "ES": ("FB", "MT", "OR"),  # Fes, Meknes-Tafilalet, Oriental
    "CE": ("CO", "DA", "GC", "RZ"),  # the Atlantic axis: Casablanca, Rabat, Chaouia, Doukkala
    "CS": ("MK", "TD"),  # Marrakech, Tadla-Azilal
    "SU": ("GE", "LB", "OD", "SM"),  # Souss-Massa-Draa and the Saharan regions
}
#: The grouping each `PULSE_COUNTRY` selects (config.COUNTRIES has the same keys).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {"BR": BRAZIL, "MA": MOROCCO}
#: Display names of every preset's regions (their codes do not collide across countries);
#: a region of your own `PULSE_REGIONS` shows its code.
REGION_NAMES = {
    "N": "North", "NE": "Northeast", "CO": "Center-West", "SE": "Southeast", "S": "South",
    "NO": "North", "ES": "East", "CE": "Atlantic Center", "CS": "Center-South", "SU": "South",
}


def region_map() -> dict[str, tuple[str, ...]]:
    """Region -> states: PULSE_REGIONS when set (checked), else the country's preset."""
    return _region_map(os.environ.get("PULSE_COUNTRY", ""),
                       os.environ.get("PULSE_REGIONS", "").strip())


@lru_cache(maxsize=8)
def _region_map(country: str, raw: str) -> dict[str, tuple[str, ...]]:
    if not raw:
        return PRESETS[country_code({"PULSE_COUNTRY": country})]
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in data.values()
        ):
            raise ValueError
    except ValueError:
        raise ValueError(
            'PULSE_REGIONS must be a JSON object like {"N": ["AC", "AM"], ...}'
        ) from None
    return {str(k): tuple(v) for k, v in data.items()}


class RegionCase:
    """A SQL CASE mapping a state column to its region, written out each time it is
    formatted into a query (values are fixed config, not input).

    Why not a plain string: the query modules build their GROUP BY expressions once, at
    import, and the grouping must follow `PULSE_COUNTRY` / `PULSE_REGIONS` as
    `region_map()` does, not the values seen when the module was first imported.
    """

    def __init__(self, column: str) -> None:
        self.column = column

    def __str__(self) -> str:
        whens = []
        for region, states in region_map().items():
            quoted = ", ".join("'" + s.replace("'", "''") + "'" for s in states)
            whens.append(f"WHEN {self.column} IN ({quoted}) THEN '"
                         + region.replace("'", "''") + "'")
        return "CASE " + " ".join(whens) + " ELSE 'unknown' END"


def region_case_sql(column: str = "state") -> RegionCase:
    """The region of `column`, for the query modules' GROUP BY expressions."""
    return RegionCase(column)
