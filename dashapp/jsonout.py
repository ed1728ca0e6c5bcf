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


def decimal_text(value: float | int, decimal: str) -> str:
    """A number as a spreadsheet of a locale reads it: its decimal mark, no grouping, never
    an exponent (`1e-05` would be text there)."""
    text = format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
    return text.replace(".", decimal)


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None,
           delimiter: str = ",", decimal: str = ".") -> str:
    """CSV of JSON-ready values; `delimiter` and `decimal` for a spreadsheet in a locale
    that writes `1234,56` (then `;` separates fields)."""
    columns = columns or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", delimiter=delimiter)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([csv_value(jsonable(r.get(c)), decimal) for c in columns])
    return out.getvalue()


def csv_value(value: Any, decimal: str = ".") -> Any:
    """One JSON-ready value as a CSV cell: null empty, numbers with `decimal`."""
    if value is None:
        return ""
    if decimal != "." and isinstance(value, float | int) and not isinstance(value, bool):
        return decimal_text(value, decimal)
    return value
