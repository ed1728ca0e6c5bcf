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
from .formatting import N_
from .i18n import Lang

FILTER_DROPDOWNS = LIST_PARAMS
FILTER_LABELS = {"state": N_("State"), "region": N_("Region"), "category": N_("Category"),
                 "payment_type": N_("Payment"), "seller": N_("Seller")}
#: The regions' names as the catalogs hold them (regions.REGION_NAMES: Brazil's, then
#: Morocco's groups of regions).
REGION_LABELS = (N_("North"), N_("Northeast"), N_("Center-West"), N_("Southeast"),
                 N_("South"), N_("East"), N_("Atlantic Center"), N_("Center-South"))


def filter_value(name: str, value: str, lang: Lang) -> str:
    """A filter's value as a person reads it: a region or payment type by its name."""
    if name == "region":
        return lang.gettext(REGION_NAMES.get(value, value))
    if name == "payment_type":
        return fmt.payment_label(value, lang.gettext)
    if name == "seller":
        return fmt.short_id(value)
    return value


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


def money_cell(text: str, lang: Lang) -> Any:
    """A table cell's money (`R$ 1.234,56`, `1 234,56 MAD`), the currency symbol in its own
    span so a phone can drop it from every cell (the column header then names it) and
    keep the digits readable. The symbol is the locale's, wherever the locale puts it."""
    symbol = lang.currency_symbol
    before, found, after = text.partition(symbol)
    if not found:
        return text
    return html.Span([before, html.Span(symbol, className="cur"), after])


def money_header(label: str, lang: Lang) -> Any:
    """A money column's header; it names the currency only where the cells drop it (phone)."""
    return html.Span([label, html.Span(f" ({lang.currency_symbol})", className="cur-head")])


def changes_table(kpis: dict, lang: Lang) -> html.Div:
    """Each KPI now and before, in two side-by-side groups (stacked on a phone)."""
    _ = lang.gettext
    rows = {r["field"]: r for r in charts.changes_rows(kpis, lang)}
    period = kpis.get("previous_period") or {}
    columns = []
    for title, fields in charts.CHANGE_GROUPS:
        body = [[rows[f]["metric"], rows[f]["current"], rows[f]["previous"],
                 html.Span(rows[f]["change"], className=f"kpi-change tone-{rows[f]['tone']}")]
                for f in fields]
        columns.append(dbc.Col(lg=6, children=table(
            [_(title), _("Now"), _("Previous"), _("Change")], body)))
    return html.Div([
        html.P([_("Previous period: "),
                html.Strong(fmt.date_range(period.get("start"), period.get("end"), lang))],
               className="table-caption"),
        dbc.Row(columns, className="g-4"),
    ])


#: The id type of a region row's way in to its orders (panels/orders.py listens to it).
REGION_ORDERS = "region-orders"


def region_cell(row: Mapping[str, Any], lang: Lang) -> Any:
    """A region's name with its way in to the orders it sums (the total row: every
    region's), like the cards' "orders" buttons."""
    _ = lang.gettext
    key = row["key"]
    what = _("all regions") if key == "total" else row["region"]
    return html.Span([row["region"], " ", html.Button(
        _("orders") + " \u203a", id={"type": REGION_ORDERS, "region": key}, n_clicks=0,
        className="kpi-orders region-orders",
        title=_("View the orders of %(what)s") % {"what": what})])


def earnings_table(rows: list[dict], lang: Lang) -> dbc.Table:
    """Summary of earnings per region; the selected region(s) shaded, the total in bold."""
    _ = lang.gettext
    body = [[region_cell(r, lang), fmt.integer(r["orders"], lang),
             *[money_cell(fmt.money(r[name], lang), lang)
               for name in ("sales", "freight", "payments")]]
            for r in rows]
    classes = ["total-row" if r["key"] == "total" else ("selected-row" if r["selected"] else "")
               for r in rows]
    head = [lang.place("Region"), _("Orders"), money_header(_("Sales"), lang),
            money_header(_("Freight"), lang), money_header(_("Payments"), lang)]
    return table(head, body, classes, optional=(1,))


def view_caption(filters: Mapping[str, Any], previous: Mapping[str, Any], lang: Lang
                 ) -> list[Any]:
    """Showing <range> compared with <previous range> · the active filters."""
    _ = lang.gettext
    caption: list[Any] = [
        html.Span(_("Showing "), className="text-muted"),
        html.Strong(fmt.date_range(filters.get("start"), filters.get("end"), lang)),
        html.Span(_(" compared with "), className="text-muted"),
        html.Span(fmt.date_range(previous.get("start"), previous.get("end"), lang)),
    ]
    active = [f"{lang.place(FILTER_LABELS[n])}: "
              f"{', '.join(filter_value(n, v, lang) for v in filters[n])}"
              for n in FILTER_DROPDOWNS if filters.get(n)]
    if active:
        caption += [html.Span(" · ", className="text-muted"),
                    html.Span("; ".join(active), className="active-filters")]
    return caption


def notice_reason(notice: Mapping[str, Any], lang: Lang) -> str:
    """The parser's reason in the reader's language: its template from the catalog (the
    templates live in dashapp/filters.py), filled with the same values; the API's English
    words where the notice has no template."""
    template, values = notice.get("template"), notice.get("values")
    if not template or not isinstance(values, Mapping):
        return str(notice.get("message", ""))
    try:
        return lang.gettext(template) % values
    except (KeyError, TypeError, ValueError):  # a catalog entry that lost a placeholder
        return str(notice.get("message", ""))


def link_notice(notices: list[Mapping[str, Any]], lang: Lang) -> list[Any]:
    """The parameters of a link that were ignored, each named with the parser's reason."""
    items = [html.Li([html.Code(n["parameter"]), ": ", notice_reason(n, lang)])
             for n in notices]
    return [html.Strong(lang.gettext("Part of this link was ignored:")),
            html.Ul(items, className="mb-0")]
