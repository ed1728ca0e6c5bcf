"""Regions group states: IBGE's five macro-regions of Brazil by default.

A shop elsewhere sets `PULSE_REGIONS` to a JSON object {"region": ["state", ...]}
(e.g. Morocco's regions need none: each state can be its own region).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

BRAZIL: dict[str, tuple[str, ...]] = {
    "N": ("AC", "AM", "AP", "PA", "RO", "RR", "TO"),
    "NE": ("AL", "BA", "CE", "MA", "PB", "PE", "PI", "RN", "SE"),
    "CO": ("DF", "GO", "MS", "MT"),
    "SE": ("ES", "MG", "RJ", "SP"),
    "S": ("PR", "RS", "SC"),
}
REGION_NAMES = {
    "N": "North", "NE": "Northeast", "CO": "Center-West", "SE": "Southeast", "S": "South",
}


@lru_cache(maxsize=1)
def region_map() -> dict[str, tuple[str, ...]]:
    """Region -> states, from PULSE_REGIONS when set (checked), else Brazil's."""
    raw = os.environ.get("PULSE_REGIONS", "").strip()
    if not raw:
        return BRAZIL
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


def region_case_sql(column: str = "state") -> str:
    """A SQL CASE mapping a state column to its region (values are fixed config, not input)."""
    whens = []
    for region, states in region_map().items():
        quoted = ", ".join("'" + s.replace("'", "''") + "'" for s in states)
        whens.append(f"WHEN {column} IN ({quoted}) THEN '" + region.replace("'", "''") + "'")
    return "CASE " + " ".join(whens) + " ELSE 'unknown' END"
