"""Tables and short texts the callbacks put on the page (Dash components, no data access).

Why apart from `callbacks`: callbacks stay glue (fetch, pick, hand over), and
how a table or caption looks is decided in one place. The numbers come
already formatted from `charts` / `formatting`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from ..filters import LIST_PARAMS
from ..regions import REGION_NAMES
from . import charts
from . import formatting as fmt

FILTER_DROPDOWNS = LIST_PARAMS
FILTER_LABELS = {"state": "State", "region": "Region", "category": "Category",
                 "payment_type": "Payment", "seller": "Seller"}
FILTER_VALUE: dict[str, Callable[[str], str]] = {
    "state": str, "region": lambda r: REGION_NAMES.get(r, r), "category": str,
    "payment_type": fmt.payment_label, "seller": fmt.short_id}


def table(head: list[Any], rows: list[list[Any]], row_classes: list[str] | None = None,
          numeric_from: int = 1, optional: tuple[int, ...] = ()) -> dbc.Table:
    """A compact table; `optional` columns are hidden on phones (too narrow for all)."""
    def cell(i: int, value: Any, tag: Callable[..., Any] = html.Td) -> Any:
        classes = ["num" if i >= numeric_from else "", "optional-col" if i in optional else ""]
        return tag(value, className=" ".join(c for c in classes if c) or None)

    return dbc.Table(
        [html.Thead(html.Tr([cell(i, h, html.Th) for i, h in enumerate(head)])),
         html.Tbody([html.Tr([cell(i, v) for i, v in enumerate(r)],
                             className=(row_classes or [""] * len(rows))[n] or None)
                     for n, r in enumerate(rows)])],
        hover=True, size="sm", responsive=True, className="pulse-table mb-0",
    )


def money_cell(text: str) -> Any:
    """A table cell's money: `R$ 1,234.56`, with the currency in its own span so a phone can
    drop it from every cell (the column header then says R$) and keep the digits readable."""
    for prefix in ("-R$ ", f"{fmt.CURRENCY} "):
        if text.startswith(prefix):
            return html.Span([html.Span(prefix, className="cur"), text[len(prefix):]])
    return text


def money_header(label: str) -> Any:
    """A money column's header; it names the currency only where the cells drop it (phone)."""
    return html.Span([label, html.Span(f" ({fmt.CURRENCY})", className="cur-head")])


def changes_table(kpis: dict) -> html.Div:
    """Each KPI now and before, in two side-by-side groups (stacked on a phone)."""
    rows = {r["field"]: r for r in charts.changes_rows(kpis)}
    period = kpis.get("previous_period") or {}
    columns = []
    for title, fields in charts.CHANGE_GROUPS:
        body = [[rows[f]["metric"], rows[f]["current"], rows[f]["previous"],
                 html.Span(rows[f]["change"], className=f"kpi-change tone-{rows[f]['tone']}")]
                for f in fields]
        columns.append(dbc.Col(lg=6, children=table([title, "Now", "Previous", "Change"],
                                                    body)))
    return html.Div([
        html.P(["Previous period: ", html.Strong(fmt.date_range(period.get("start"),
                                                                period.get("end")))],
               className="table-caption"),
        dbc.Row(columns, className="g-4"),
    ])


def earnings_table(rows: list[dict]) -> dbc.Table:
    """Summary of earnings per region; the selected region(s) shaded, the total in bold."""
    body = [[r["region"],
             fmt.integer(r["orders"]), money_cell(fmt.money(r["sales"])),
             money_cell(fmt.money(r["freight"])), money_cell(fmt.money(r["payments"]))]
            for r in rows]
    classes = ["total-row" if r["key"] == "total" else ("selected-row" if r["selected"] else "")
               for r in rows]
    head = ["Region", "Orders", money_header("Sales"), money_header("Freight"),
            money_header("Payments")]
    return table(head, body, classes, optional=(1,))


def view_caption(filters: Mapping[str, Any], previous: Mapping[str, Any]) -> list[Any]:
    """Showing <range> compared with <previous range> · the active filters."""
    caption: list[Any] = [
        html.Span("Showing ", className="text-muted"),
        html.Strong(fmt.date_range(filters.get("start"), filters.get("end"))),
        html.Span(" compared with ", className="text-muted"),
        html.Span(fmt.date_range(previous.get("start"), previous.get("end"))),
    ]
    active = [f"{FILTER_LABELS[n]}: {', '.join(FILTER_VALUE[n](v) for v in filters[n])}"
              for n in FILTER_DROPDOWNS if filters.get(n)]
    if active:
        caption += [html.Span(" · ", className="text-muted"),
                    html.Span("; ".join(active), className="active-filters")]
    return caption


def link_notice(notices: list[Mapping[str, str]]) -> list[Any]:
    """The parameters of a link that were ignored, each named with the parser's reason."""
    items = [html.Li([html.Code(n["parameter"]), ": ", n["message"]]) for n in notices]
    return [html.Strong("Part of this link was ignored:"), html.Ul(items, className="mb-0")]
