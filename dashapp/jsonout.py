"""Turning query results into JSON and CSV: money to 2 decimals, rates as fractions."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def jsonable(value: Any) -> Any:
    """Decimals (always money here) rounded half-up to the cent, as JSON numbers."""
    if isinstance(value, Decimal):
        return float(value.quantize(CENT, rounding=ROUND_HALF_UP))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    columns = columns or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if (v := jsonable(r.get(c))) is None else v for c in columns])
    return out.getvalue()
