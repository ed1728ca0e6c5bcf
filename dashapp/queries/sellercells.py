"""Reading the seller cells (loaders/rollups.py: `agg_seller_pair`, `agg_seller_item`,
`agg_seller_payment`) for a filter set: which level, which rows.

Shared by the seller breakdown (`queries.sellers`: every seller of a view) and the
seller-filtered dashboard (`queries.sellerfilter`: a few sellers' sums), which read the
same cells with the same filter terms. Sets are matched through their dimension tables, as
arrays computed once, so that each (dimension, day) index is usable.
"""

from __future__ import annotations

from typing import Any

from loaders.rollups import SELLER_CATSETS, SELLER_ITEM, Fact

from ..filters import Filters
from .spans import span_rows

#: A pair all of whose categories (the seller's in the order) are selected: its item
#: sums count whole.
WHOLE = (f"catset_id = ANY(ARRAY(SELECT catset_id FROM {SELLER_CATSETS} "
         "WHERE categories <@ CAST(:cats AS text[])))")
#: A pair with an item in a selected category: it counts, whole or in part.
MEETS = (f"catset_id = ANY(ARRAY(SELECT catset_id FROM {SELLER_CATSETS} "
         "WHERE categories && CAST(:cats AS text[])))")
PAYSETS = ("payset_id = ANY(ARRAY(SELECT payset_id FROM dim_payset "
           "WHERE types && CAST(:pays AS text[])))")


def conditions(filters: Filters, params: dict[str, Any]) -> tuple[set[str], list[str]]:
    """The dimensions the filters need and their WHERE terms, for any table keyed like
    the pairs (seller, state, the seller's category set, payment set)."""
    needs, where = {"seller_id"}, []
    states = filters.effective_states()
    if states is not None:
        needs.add("state")
        where.append("state = ANY(:states)")
        params["states"] = list(states)
    if filters.sellers:
        where.append("seller_id = ANY(:sellers)")
        params["sellers"] = list(filters.sellers)
    if filters.categories:
        params["cats"] = list(filters.categories)
        needs.add("catset_id")
        where.append(MEETS)
    if filters.payment_types:
        needs.add("payset_id")
        params["pays"] = list(filters.payment_types)
        where.append(PAYSETS)
    return needs, where


def fact_rows(filters: Filters, fact: Fact, params: dict[str, Any],
              needs: frozenset[str] | set[str] = frozenset(), by_day: bool = False,
              parts_only: bool = True) -> str:
    """The rows of `fact` for the filters, at the smallest level holding them and `needs`
    (a grouping's): whole months from `_m`, the edge days (each side its own range, so the
    day index reads those days only) from `_d`; `by_day` reads days only (a weekly or
    daily grouping). Under a category filter `agg_seller_item` gives the selected
    categories' items of the pairs not counted whole (`parts_only`), or of every pair
    that holds several categories."""
    wanted, where = conditions(filters, params)
    if fact is SELLER_ITEM and filters.categories:
        where.append("category = ANY(:cats)")
        if parts_only:
            where.append(f"NOT {WHOLE}")
    level = fact.level_for(wanted | set(needs))
    return span_rows(fact.table(level, "d"), fact.table(level, "m"),
                     " AND ".join(where) or "TRUE", filters, params, by_day)
