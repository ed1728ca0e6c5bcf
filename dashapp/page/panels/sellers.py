"""The "Sellers" panel: the top sellers of the view, /api/v1/breakdown/seller on the page.

Why it asks `PulseService.sellers`, the API handler's own call: the panel and
`/api/v1/breakdown/seller?<filters>&limit=N` are one cached answer per data version and
filters, so they cannot disagree. The page never runs SQL itself.

The table is computed without the seller filter (as the map is without the state
filter): with a seller selected, the other sellers stay listed and the selection is
highlighted, so the person can compare it and click another. A selected seller outside
the top N is added below them, highlighted, so what is selected is always on screen. A
click on a row toggles that seller in the URL (`seller=<id>`) like a click on a state:
every card follows, a second click clears it.

The filter bar's seller picker searches on the server: 3,095 sellers (the real data) as
options would make the browser index every substring of every id on each redraw.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from ...filters import Filters
from ...queries.sellers import ROW_FIELDS
from ...service import DatabaseUnavailable, NoData, PulseService
from .. import formatting as fmt
from .. import urlstate
from ..drawn import DrawnViews, view_key
from ..formatting import N_
from ..gates import click_store, register_click_gate
from ..i18n import Lang, lang_of
from ..lazy import view_store
from ..problems import panel_message

log = logging.getLogger(__name__)

TOP_OPTIONS = (10, 20, 50)
DEFAULT_TOP = 10
#: Options the seller picker offers at once: enough to pick from, few enough to index.
MAX_OPTIONS = 30
#: A click on a row (gates.py).
SELLER_CLICK = "seller-click"


def seller_label(seller_id: str, state: str | None = None) -> str:
    return f"{fmt.short_id(seller_id)} ({state})" if state else fmt.short_id(seller_id)


def picker_options(sellers: Iterable[tuple[str, str | None]], search: str | None,
                   selected: Iterable[str]) -> list[dict[str, str]]:
    """The picker's options: the selected sellers first (always: the dropdown drops a
    value missing from its options), then up to MAX_OPTIONS matching what was typed
    (any part of the id, or the state); with nothing typed, the first ones."""
    chosen = list(dict.fromkeys(selected))
    states = dict(sellers)
    needle = (search or "").strip().lower()
    out = [{"label": seller_label(s, states.get(s)), "value": s} for s in chosen]
    for seller_id, state in sellers:
        if len(out) >= MAX_OPTIONS + len(chosen):
            break
        if seller_id in chosen:
            continue
        if not needle or needle in seller_id.lower() or needle == (state or "").lower():
            out.append({"label": seller_label(seller_id, state), "value": seller_id})
    return out


def seller_options(selected: Iterable[str]) -> list[dict[str, str]]:
    """Options holding just the selected sellers (the filter bar sends them with the value;
    `picker_options` adds the sellers' states and the matches once the picker asks)."""
    return [{"label": fmt.short_id(s), "value": s} for s in selected]


# --- the table (pure: tests format the API's answer with these) ----------------------------


def row_cells(row: Mapping[str, Any], lang: Lang) -> list[str]:
    """The table's texts for one row: seller, state, sales, orders, AOV, avg review,
    late shipping, canceled."""
    return [fmt.short_id(str(row["key"])), row.get("seller_state") or fmt.NONE,
            fmt.money(row.get("sales"), lang), fmt.integer(row.get("orders"), lang),
            fmt.money(row.get("aov"), lang),
            fmt.kpi_value("avg_review", row.get("avg_review"), lang),
            fmt.percent(row.get("late_shipping_rate"), lang),
            fmt.percent(row.get("canceled_rate"), lang)]


HEADERS = (N_("Seller"), N_("State"), N_("Sales"), N_("Orders"), N_("AOV"), N_("Review"),
           N_("Late shipping"), N_("Canceled"))
#: Columns a phone hides (too narrow for all eight): state, AOV, canceled.
OPTIONAL = (1, 4, 7)


def _row(row: Mapping[str, Any], selected: set[str], lang: Lang) -> html.Tr:
    _ = lang.gettext
    key = str(row["key"])
    active = key in selected
    cells = [html.Td(text, className=" ".join(c for c in (
        "num" if i >= 2 else "", "optional-col" if i in OPTIONAL else "",
        "seller-id" if i == 0 else "") if c) or None)
        for i, text in enumerate(row_cells(row, lang))]
    return html.Tr(
        cells, id={"type": "seller-row", "key": key}, n_clicks=0,
        className="seller-row" + (" selected-row" if active else ""),
        role="button", title=(_("Seller %(key)s: click to clear the filter") if active
                              else _("Seller %(key)s: click to filter by it")) % {"key": key},
        **{"aria-pressed": "true" if active else "false"})


def seller_table(rows: list[Mapping[str, Any]], selected: Iterable[str], lang: Lang) -> Any:
    """The top rows, each clickable, the selected ones shaded."""
    _ = lang.gettext
    if not rows:
        return html.Div(_("No sellers with orders for these filters."),
                        className="empty-table")
    chosen = set(selected)
    head = html.Thead(html.Tr([
        html.Th(lang.place(h), className=" ".join(c for c in (
            "num" if i >= 2 else "", "optional-col" if i in OPTIONAL else "") if c) or None)
        for i, h in enumerate(HEADERS)]))
    return html.Div(className="table-scroll", children=html.Table(
        className="table table-sm table-hover pulse-table seller-table mb-0",
        id="seller-table-rows",
        children=[head, html.Tbody([_row(r, chosen, lang) for r in rows])]))


def export_rows(service: PulseService, filters: Filters, top: int | None
                ) -> tuple[list[dict], list[str]]:
    """The table's rows for CSV (the API's fields), as the panel shows them."""
    rows, _ = panel_rows(service, filters, top if top in TOP_OPTIONS else DEFAULT_TOP)
    return rows, list(ROW_FIELDS)


def panel_rows(service: PulseService, filters: Filters, top: int) -> tuple[list[dict], int]:
    """(rows to show, sellers in all): the top `top` without the seller filter, then any
    selected seller not among them."""
    with service.reader() as reader:  # both in one view of the data
        shown = service.sellers(filters.without("seller"), limit=top, reader=reader)
        rows = list(shown["rows"])
        listed = {r["key"] for r in rows}
        missing = [s for s in filters.sellers if s not in listed]
        if missing:
            rows += service.sellers(filters.with_values("seller", missing),
                                    limit=len(missing), reader=reader)["rows"]
    return rows, int(shown["total"])


# --- the block --------------------------------------------------------------------------------


def sellers_panel(lang: Lang) -> html.Section:
    _ = lang.gettext
    top = dcc.Dropdown(id="seller-top", value=DEFAULT_TOP, clearable=False, searchable=False,
                       options=[{"label": _("Top %(num)d") % {"num": n}, "value": n}
                                for n in TOP_OPTIONS],
                       className="tool-select", style={"minWidth": "6.5rem"})
    return html.Section(className="sellers mt-3", children=dbc.Card(
        className="panel", id="sellers-panel", children=[
            html.Div(className="panel-head", children=[
                html.Div([html.H2(_("Sellers"), className="panel-title"),
                          html.Div(_("Top sellers by sales · click a row to filter; click "
                                     "it again to clear"), className="panel-hint")]),
                html.Div(className="panel-tools", children=[top, dbc.Button(
                    "CSV", id={"type": "csv", "chart": "sellers"}, size="sm",
                    color="light", className="csv-button", n_clicks=0,
                    title=_("Download the rows of this table as CSV"))]),
            ]),
            html.Div(className="panel-body", children=[
                html.Div(fmt.NONE, id="sellers-note", className="panel-hint mb-1"),
                click_store(SELLER_CLICK),
                dcc.Loading(type="circle", delay_show=350, children=html.Div(
                    id="sellers-table", className="table-wrap")),
            ]),
        ]))


# --- callbacks --------------------------------------------------------------------------------


def draw_table(service: PulseService, view: dict, top: int, lang: Lang) -> tuple:
    """The table and its note for a view's filters (the service's cached answers)."""
    filters = Filters.from_json(view["filters"])
    rows, total = panel_rows(service, filters, top)
    count = {"num": fmt.integer(total, lang)}
    note = (lang.ngettext("%(num)s seller with orders for these filters (the seller "
                          "filter aside)", "%(num)s sellers with orders for these filters "
                          "(the seller filter aside)", total) if filters.sellers
            else lang.ngettext("%(num)s seller with orders for these filters",
                               "%(num)s sellers with orders for these filters", total))
    return seller_table(rows, filters.sellers, lang), note % count


def register_seller_callbacks(app: Dash, service: PulseService) -> None:
    """Draw the table for the view, turn a row click into the URL's seller filter, and
    feed the filter bar's seller picker."""
    kept = DrawnViews()  # a table drawn once for a view is sent again as drawn

    @app.callback(
        Output("sellers-table", "children"), Output("sellers-note", "children"),
        Input(view_store("sellers"), "data"), Input("seller-top", "value"), State("lang", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    def draw_sellers(view: dict | None, top: int | None, lang_store: dict | None) -> tuple:
        """The table of the view, as drawn before for the same view (its data version and
        filters), top N and language (page/drawn.py), else drawn now."""
        if not view or view.get("error") or not view.get("filters"):
            raise PreventUpdate
        lang = lang_of(lang_store)
        top = top if top in TOP_OPTIONS else DEFAULT_TOP
        key = view_key({k: v for k, v in view.items() if k != "theme"}, lang=lang_store,
                       top=top)
        try:
            return kept.get_or_draw(key, lambda: draw_table(service, view, top, lang))
        except (DatabaseUnavailable, NoData) as exc:  # never kept: the next view asks again
            log.warning("sellers: %s", exc)
            return html.Div(panel_message(exc, "sellers", lang), className="empty-table"), ""
        except Exception as exc:  # noqa: BLE001 - a bug in one panel must not break the page
            log.exception("sellers failed")
            return html.Div(panel_message(exc, "sellers", lang), className="empty-table"), ""

    # a redrawn table's rows are new components: the gate passes on real clicks only
    register_click_gate(app, "seller-row", "key", SELLER_CLICK)

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input(SELLER_CLICK, "data"), State("url", "search"),
        prevent_initial_call=True,
    )
    def click_seller(click: dict | None, search: str | None) -> str:
        if not click or not click.get("key"):
            raise PreventUpdate
        new = urlstate.build_search(urlstate.toggle(urlstate.parse_search(search), "seller",
                                                    str(click["key"])))
        if urlstate.same_view(new, search):
            raise PreventUpdate
        return new

    @app.callback(
        Output("f-seller", "options", allow_duplicate=True),
        Input("f-seller", "search_value"), Input("f-seller", "value"),
        Input("status", "data"),
        prevent_initial_call=True,
    )
    def seller_picker(search: str | None, value: list[str] | None,
                      status: dict | None) -> list[dict[str, str]]:
        if not status or status.get("error") or not status.get("version"):
            raise PreventUpdate
        try:
            sellers = service.seller_options()
        except (DatabaseUnavailable, NoData) as exc:
            log.warning("seller picker: %s", exc)
            raise PreventUpdate from None
        return picker_options(sellers, search, value or [])
