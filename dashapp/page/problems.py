"""What the page says when the data cannot be read: one mapping for every panel.

A dead database and an empty one are different problems with different remedies
(wait, or load data), so they get different words; anything else is a bug, logged
on the server and shown as a short apology, never a traceback.
"""

from __future__ import annotations

from ..service import DatabaseUnavailable, NoData


def view_error(exc: Exception) -> dict[str, str]:
    """The view store's `error`: {"kind": "db" | "nodata" | "internal", "message"}."""
    if isinstance(exc, DatabaseUnavailable):
        return {"kind": "db", "message": str(exc)}
    if isinstance(exc, NoData):
        return {"kind": "nodata", "message": str(exc)}
    return {"kind": "internal",
            "message": "This view could not be computed (the error is logged on the server)."}


def panel_message(exc: Exception, what: str) -> str:
    """One line for a panel (`what`: "forecast", "impact", ...) that could not be drawn."""
    if isinstance(exc, DatabaseUnavailable):
        return f"The database is unreachable; the {what} will show again when it is back."
    if isinstance(exc, NoData):
        return f"No data is loaded yet; the {what} will show once data is loaded."
    return f"The {what} could not be computed for this view."
