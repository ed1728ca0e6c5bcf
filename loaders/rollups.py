"""Derived tables the query layer reads; rebuilt by every load, inside its transaction."""

from __future__ import annotations


def rebuild(cur) -> None:
    """Rebuild every derived table from the live tables (placeholder until the query layer)."""
