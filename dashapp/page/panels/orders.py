"""The "Orders" panel: the orders behind a number, one row each, and one order whole.

Why it exists: every card, bar, slice and map state is a sum over orders, and a person
who doubts a number (or wants to act on it) needs the orders themselves. The panel shows
`/api/v1/orders`'s list for the page's view through the same service call
(`PulseService.order_page`), so its total line equals the KPI cards and the API for the
same filters (docs/METRICS.md, "Behind a number: the order list"). The page never runs SQL.

A way in sets a *scope* on top of the view (`orders-scope`):

- a card's "orders" button: the view's orders; for Canceled / Unavailable the orders of
  that status among all the view's orders (the rate's numerator);
- a chart's "Orders" button: the view's orders for the chart's selected values (a tap or
  click selects one), or shift-click on a state, bar or slice (assets/orders.js): that
  value's orders (on the two monthly charts, a month: the view's days of it). The value
  replaces the view's filter of its dimension, exactly as the chart computes its own
  numbers (each chart ignores its own dimension's filter).

Pages are keyset pages: the cursor of every visited page is kept (`orders-pages`), so
Previous goes back to exactly what was shown and Next never repeats a row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from ...filters import FILTER_PARAMS, FilterError, Filters
from ...jsonout import jsonable
from ...queries.orders import OrderQuery
from ...service import DatabaseUnavailable, NoData, PulseService
from .. import formatting as fmt
from ..formatting import N_
from ..gates import click_store, register_click_gate
from ..i18n import Lang, lang_of
from ..lazy import view_store
from ..problems import panel_message
from ..tables import FILTER_LABELS, REGION_ORDERS, filter_value, money_cell, money_header

PAGE_SIZE = 25
#: A click on an earnings row's "orders" link (gates.py).
REGION_CLICK = "region-orders-click"
#: What a scope's value replaces in the view's filters (a state replaces a region too).
SCOPE_CLEARS = {"state": ("state", "region"), "region": ("state", "region"),
                "category": ("category",),
                "payment_type": ("payment_type",)}
#: The charts with an "Orders" button, and the dimension each shows (its selection).
CHART_DIMS = {"map": "state", "category": "category", "payment": "payment_type"}
#: The charts a shift-click opens orders from: those, and the two monthly charts (a
#: month's bar: the view's orders purchased in that month).
PICK_DIMS = {**CHART_DIMS, "timeseries": "month", "growth": "month"}
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
#: Cards whose orders are a status's, not the sales orders.
STATUS_CARDS = {"canceled_rate": "canceled", "unavailable_rate": "unavailable"}
STATUS_LABELS = {"sales": N_("Orders counted in sales"), "canceled": N_("Canceled orders"),
                 "unavailable": N_("Unavailable orders")}
#: An order's status (Olist's words) as the page writes it.
STATUS_NAMES = {"delivered": N_("delivered"), "shipped": N_("shipped"),
                "canceled": N_("canceled"), "unavailable": N_("unavailable"),
                "invoiced": N_("invoiced"), "processing": N_("processing"),
                "created": N_("created"), "approved": N_("approved")}
#: Sortable columns: API sort name -> header.
SORT_HEADERS = {"purchased_at": N_("Purchased"), "sales": N_("Sales"),
                "payments": N_("Payments"), "review": N_("Review"),
                "days_late": N_("Days late")}
DEFAULT_SORT = {"sort": "purchased_at", "order": "desc"}


# --- pure helpers (unit-tested in tests/test_orders_panel.py) ----------------------------


def short_id(order_id: str) -> str:
    """`e481f51c…9d4a`: enough to tell orders apart on screen (the whole id is the row's
    tooltip and the detail's title)."""
    return order_id if len(order_id) <= 14 else f"{order_id[:8]}\u2026{order_id[-4:]}"


def card_scope(field: str) -> dict[str, Any]:
    """The scope a KPI card's "orders" button opens."""
    return {"status": STATUS_CARDS.get(field, "sales"), "dim": None, "keys": [],
            "source": field}


def chart_scope(chart: str, keys: Sequence[str]) -> dict[str, Any]:
    """The scope of a chart's values (none: the chart's whole view)."""
    dim = PICK_DIMS[chart]
    return {"status": "sales", "dim": dim if keys else None,
            "keys": sorted(set(keys)), "source": chart}


def region_scope(region: str) -> dict[str, Any]:
    """The scope of a row of the summary of earnings: that region's orders. The table
    ignores the view's state and region filters, as the map does, so its total row is
    every region's orders (no keys: the view without those filters)."""
    keys = [] if region == "total" else [region]
    return {"status": "sales", "dim": "region", "keys": keys, "source": "earnings"}


def pick_key(chart: str, point: Mapping[str, Any]) -> str | None:
    """The value under a shift-click (a plotly point: the map's `location`, a bar's
    `customdata[0]`); None for the grouped "other" bar, which is no single category."""
    if chart == "map":
        return point.get("location") or None
    if PICK_DIMS.get(chart) == "month":
        month = str(point.get("x") or "")[:7]
        return month if _MONTH.fullmatch(month) else None
    custom = point.get("customdata") or []
    if chart == "category" and (len(custom) < 6 or custom[5]):
        return None
    return str(custom[0]) if custom else None


def scoped(filters: Filters, scope: Mapping[str, Any] | None) -> Filters:
    """The view's filters with the scope's value in place of its dimension's filter."""
    dim = (scope or {}).get("dim")
    if dim == "month" and scope["keys"]:
        return month_range(filters, str(scope["keys"][0]))
    if not dim or dim not in SCOPE_CLEARS:
        return filters
    return filters.without(*SCOPE_CLEARS[dim]).with_values(dim, scope["keys"])


def month_range(filters: Filters, month: str) -> Filters:
    """The view's days of a month (`2020-04`): what its bar on the monthly charts counts
    (a partial month at the range's edge counts only the days inside it)."""
    first = date.fromisoformat(f"{month}-01")
    last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
    start, end = max(filters.start or first, first), min(filters.end or last, last)
    if start > end:  # not a month of the view: the whole month rather than nothing
        start, end = first, last
    return replace(filters, start=start, end=end)


def order_params(view_filters: Mapping[str, Any], scope: Mapping[str, Any] | None,
                 sort: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """The /api/v1/orders parameters of the panel's list: the view's filters (dates
    concrete) with the scope, its status, sort and order."""
    filters = scoped(Filters.from_json(view_filters), scope)
    status = (scope or {}).get("status") or "sales"
    sort = {**DEFAULT_SORT, **(sort or {})}
    return {**filters.to_params(), "status": [status], "sort": [sort["sort"]],
            "order": [sort["order"]]}


def csv_href(params: Mapping[str, Sequence[str]]) -> str:
    """The streamed CSV of the whole list (same origin): every row, not one page."""
    pairs = [("format", "csv")] + [(k, ",".join(v)) for k, v in params.items()
                                   if k not in ("sort", "order") and v]
    return "/api/v1/orders?" + urlencode(pairs, safe=",")


def first_page(params: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The paging state of a new list: page 0, whose cursor is none."""
    return {"params": dict(params), "cursors": [None], "page": 0}


def turn(pages: Mapping[str, Any], step: int, next_cursor: str | None) -> dict[str, Any]:
    """Next (+1) or Previous (-1): every visited page's cursor is kept, so going back shows
    exactly the page shown before, and Next follows the shown page's `next_cursor`."""
    cursors = list(pages["cursors"])
    page = int(pages["page"])
    if step > 0:
        if not next_cursor:
            raise PreventUpdate
        cursors = cursors[:page + 1] + [next_cursor]
        page += 1
    elif page == 0:
        raise PreventUpdate
    else:
        page -= 1
    return {**pages, "cursors": cursors, "page": page}


def toggle_sort(current: Mapping[str, Any] | None, key: str) -> dict[str, str]:
    """A click on a column's header: sort by it (largest / latest first), or flip it."""
    current = {**DEFAULT_SORT, **(current or {})}
    if current["sort"] == key:
        return {"sort": key, "order": "asc" if current["order"] == "desc" else "desc"}
    return {"sort": key, "order": "desc"}


def scope_text(scope: Mapping[str, Any] | None, lang: Lang) -> str:
    """What the scope adds to the view, in words (empty: none)."""
    _ = lang.gettext
    scope = scope or {}
    parts = []
    if scope.get("status") in ("canceled", "unavailable"):
        parts.append(_(STATUS_LABELS[scope["status"]]))
    dim = scope.get("dim")
    if dim == "month" and scope.get("keys"):
        parts.append(_("Month: %(month)s") % {"month": fmt.month(str(scope["keys"][0]), lang)})
    if dim == "region" and not scope.get("keys"):
        parts.append(_("All regions"))
    if dim in FILTER_LABELS and scope.get("keys"):
        values = ", ".join(filter_value(dim, k, lang) for k in scope["keys"])
        parts.append(f"{lang.place(FILTER_LABELS[dim])}: {values}")
    return " · ".join(parts)


# --- layout ---------------------------------------------------------------------------------


def card_button(field: str, lang: Lang) -> html.Button:
    """A KPI card's way in to its orders."""
    _ = lang.gettext
    return html.Button(_("orders") + " \u203a", id={"type": "kpi-orders", "field": field},
                       n_clicks=0, className="kpi-orders",
                       title=_("View the orders behind %(metric)s") % {
                           "metric": _(fmt.KPI_LABELS[field])})


def chart_button(chart: str, lang: Lang) -> dbc.Button:
    """A chart's way in: the orders of its selected values (tap or click one first)."""
    _ = lang.gettext
    return dbc.Button(_("Orders"), id={"type": "chart-orders", "chart": chart}, size="sm",
                      color="light", className="csv-button orders-button", n_clicks=0,
                      title=_("View the orders of the selected value (click one first; "
                              "shift-click views its orders at once)"))


def orders_panel(lang: Lang) -> html.Section:
    _ = lang.gettext
    return html.Section(id="orders-section", className="orders mt-3", children=dbc.Card(
        className="panel", id="orders-panel", children=[
            html.Div(className="panel-head", children=[
                html.Div([html.H2(_("Orders"), className="panel-title"),
                          html.Div(_("The orders behind the numbers of this view · click a "
                                     "column to sort, a row for the whole order"),
                                   className="panel-hint")]),
                html.Div(className="panel-tools", children=html.A(
                    "CSV", id="orders-csv", href="/api/v1/orders?format=csv",
                    className="btn btn-light btn-sm csv-button",
                    title=_("Download every order of this list as CSV"))),
            ]),
            html.Div(className="panel-body", children=[
                html.Div(id="orders-scope-line", className="orders-scope", hidden=True,
                         children=[html.Span(id="orders-scope-text"),
                                   html.Button("\u00d7", id="orders-scope-clear", n_clicks=0,
                                               className="btn-close-scope",
                                               title=_("Remove this scope"),
                                               **{"aria-label": _("Remove this scope")})]),
                html.Div(id="orders-total", className="orders-total"),
                dcc.Loading(type="circle", delay_show=350, children=html.Div(
                    id="orders-table", className="table-scroll")),
                html.Div(className="orders-pager", children=[
                    dbc.Button("\u2039 " + _("Previous"), id="orders-prev", size="sm",
                               color="light", disabled=True, n_clicks=0),
                    html.Span(id="orders-page", className="orders-page-text"),
                    dbc.Button(_("Next") + " \u203a", id="orders-next", size="sm",
                               color="light", disabled=True, n_clicks=0),
                ]),
                detail_modal(),
                dcc.Store(id="orders-scope", data=card_scope("orders")),
                dcc.Store(id="orders-sort", data=DEFAULT_SORT),
                dcc.Store(id="orders-pages"),
                dcc.Store(id="orders-answer"),
                dcc.Store(id="orders-pick"), click_store(REGION_CLICK),
                dcc.Store(id="orders-scrolled"),
            ]),
        ]))


def detail_modal() -> dbc.Modal:
    return dbc.Modal(id="order-modal", size="lg", scrollable=True, is_open=False, children=[
        dbc.ModalHeader(dbc.ModalTitle(id="order-modal-title")),
        dbc.ModalBody(id="order-modal-body"),
    ])


# --- drawing (from the JSON form of the service's answer, as the API returns it) -----------


def when(value: str | None, lang: Lang) -> str:
    """A timestamp as written in the data, `Apr 3, 2020, 14:05` (no zone: none is stored)."""
    return fmt.timestamp(value, lang) if value else fmt.NONE


def review_text(value: float | None, lang: Lang) -> str:
    return fmt.number(value, lang, 1)


def late_text(days: int | None, lang: Lang) -> str:
    """`+3` late, `\u22122` early, `0` on the day."""
    if days is None:
        return fmt.NONE
    text = fmt.integer(abs(days), lang)
    return f"+{text}" if days > 0 else (fmt.MINUS + text if days < 0 else text)


def _header(key: str | None, label: Any, sort: Mapping[str, Any], numeric: bool,
            lang: Lang) -> html.Th:
    cls = "num" if numeric else None
    if key is None:
        return html.Th(label, className=cls)
    active = sort.get("sort") == key
    mark = ("\u25bc" if sort.get("order") == "desc" else "\u25b2") if active else ""
    return html.Th(className=cls, **{"aria-sort": ("descending" if sort.get("order") == "desc"
                                                    else "ascending") if active else "none"},
                   children=html.Button([label, html.Span(mark, className="sort-mark")],
                                        id={"type": "orders-sort", "key": key}, n_clicks=0,
                                        className="sort-button" + (" active" if active else ""),
                                        title=lang.gettext("Sort by %(column)s") % {
                                            "column": lang.gettext(SORT_HEADERS[key]).lower()}))


def columns(lang: Lang) -> tuple[tuple[str | None, Any, bool], ...]:
    """The list's columns: (sort key or None, header, numeric)."""
    _ = lang.gettext
    return (
        (None, _("Order"), False), ("purchased_at", _("Purchased"), False),
        (None, lang.place("State"), False), (None, _("Status"), False), (None, _("Items"), True),
        ("sales", money_header(_("Sales"), lang), True),
        (None, money_header(_("Freight"), lang), True),
        ("payments", money_header(_("Payments"), lang), True),
        (None, _("Categories"), False), (None, _("Payment types"), False),
        ("review", _("Review"), True), ("days_late", _("Days late"), True),
    )


def status_name(status: str | None, lang: Lang) -> str:
    return lang.gettext(STATUS_NAMES[status]) if status in STATUS_NAMES else (status or "")


def order_row(row: Mapping[str, Any], lang: Lang, numeric: Sequence[bool]) -> html.Tr:
    order_id = str(row["order_id"])
    money = [money_cell(fmt.money(row[name], lang), lang)
             for name in ("sales", "freight", "payments")]
    cells = [
        html.Code(short_id(order_id)), when(row.get("purchased_at"), lang), row.get("state"),
        status_name(row.get("status"), lang), fmt.integer(row.get("items"), lang), *money,
        ", ".join(row.get("categories") or ()) or fmt.NONE,
        ", ".join(fmt.payment_label(p, lang.gettext) for p in row.get("payment_types") or ())
        or fmt.NONE,
        review_text(row.get("review"), lang), late_text(row.get("days_late"), lang),
    ]
    return html.Tr(id={"type": "order-row", "id": order_id}, n_clicks=0, role="button",
                   className="order-row",
                   title=lang.gettext("Order %(id)s: click for the whole order") % {
                       "id": order_id},
                   children=[html.Td(c, className="num" if num else None)
                             for c, num in zip(cells, numeric, strict=True)])


def orders_table(rows: Sequence[Mapping[str, Any]], sort: Mapping[str, Any], lang: Lang
                 ) -> Any:
    _ = lang.gettext
    if not rows:
        return html.Div(className="empty-table orders-empty", children=[
            html.Strong(_("No orders in this view.")),
            html.Span(_(" Widen the date range, remove a filter or the scope above."))])
    cols = columns(lang)
    numeric = [num for _key, _label, num in cols]
    return html.Table(id="orders-grid",
                      className="table table-sm table-hover pulse-table orders-table mb-0",
                      children=[html.Thead(html.Tr([_header(k, lbl, sort, num, lang)
                                                    for k, lbl, num in cols])),
                                html.Tbody([order_row(r, lang, numeric) for r in rows])])


def total_line(total: Mapping[str, Any], status: str, lang: Lang) -> list[Any]:
    """`1,234 orders · Sales R$ … · Freight R$ … · Payments R$ …` for the whole list."""
    _ = lang.gettext
    count = int(total.get("orders") or 0)
    noun = {"canceled": lang.ngettext("canceled order", "canceled orders", count),
            "unavailable": lang.ngettext("unavailable order", "unavailable orders", count)
            }.get(status) or lang.ngettext("order", "orders", count)
    parts: list[Any] = [html.Strong(fmt.integer(total.get("orders"), lang),
                                    id="orders-total-orders"), f" {noun}"]
    for name in ("sales", "freight", "payments"):
        parts += [html.Span(" \u00b7 ", className="text-muted"),
                  f"{_(fmt.KPI_LABELS[name])} ",
                  html.Strong(fmt.money(total.get(name), lang), id=f"orders-total-{name}")]
    return parts


def page_text(answer: Mapping[str, Any], lang: Lang) -> str:
    """`Orders 26–50 of 1,234`."""
    total = int((answer.get("total") or {}).get("orders") or 0)
    shown = len(answer.get("rows") or ())
    if not shown:
        return ""
    first = int(answer.get("page") or 0) * PAGE_SIZE + 1
    return lang.gettext("Orders %(first)s\u2013%(last)s of %(total)s") % {
        "first": fmt.integer(first, lang), "last": fmt.integer(first + shown - 1, lang),
        "total": fmt.integer(total, lang)}


def _facts(pairs: Sequence[tuple[str, Any]]) -> html.Dl:
    return html.Dl(className="order-facts", children=[
        part for label, value in pairs for part in (html.Dt(label), html.Dd(value))])


def detail_body(order: Mapping[str, Any], lang: Lang) -> list[Any]:
    """One order whole: status and every timestamp, the customer, items, payments,
    reviews (the JSON of /api/v1/orders/<id>)."""
    _ = lang.gettext
    customer = order.get("customer") or {}
    items = [[str(i.get("order_item_id")), html.Code(short_id(str(i.get("product_id")))),
              i.get("category") or fmt.NONE, html.Code(short_id(str(i.get("seller_id")))),
              money_cell(fmt.money(i.get("price"), lang), lang),
              money_cell(fmt.money(i.get("freight"), lang), lang),
              when(i.get("shipping_limit"), lang)] for i in order.get("items") or ()]
    payments = [[str(p.get("sequential")), fmt.payment_label(str(p.get("type")), _),
                 fmt.integer(p.get("installments"), lang),
                 money_cell(fmt.money(p.get("value"), lang), lang)]
                for p in order.get("payments") or ()]
    reviews = [[str(r.get("score")), r.get("title") or fmt.NONE, r.get("message") or fmt.NONE,
                when(r.get("created_at"), lang), when(r.get("answered_at"), lang)]
               for r in order.get("reviews") or ()]
    return [
        _facts([(_("Status"), status_name(order.get("status"), lang)),
                (_("Purchased"), when(order.get("purchased_at"), lang)),
                (_("Approved"), when(order.get("approved_at"), lang)),
                (_("To carrier"), when(order.get("delivered_carrier_at"), lang)),
                (_("Delivered"), when(order.get("delivered_at"), lang)),
                (_("Estimated"), when(order.get("estimated_at"), lang)),
                (_("Days late"), late_text(order.get("days_late"), lang)),
                (_("Customer"), html.Code(customer.get("customer_unique_id") or fmt.NONE)),
                (_("City"), f"{customer.get('city') or fmt.NONE} ({customer.get('state')})")]),
        _section(_("Items"), ["#", _("Product"), _("Category"), _("Seller"),
                              money_header(_("Price"), lang), money_header(_("Freight"), lang),
                              _("Ship by")], items, "order-items", lang),
        _section(_("Payments"), ["#", _("Type"), _("Installments"),
                                 money_header(_("Value"), lang)], payments, "order-payments",
                 lang),
        _section(_("Reviews"), [_("Score"), _("Title"), _("Message"), _("Written"),
                                _("Answered")], reviews, "order-reviews", lang),
    ]


def _section(title: str, head: list[Any], rows: list[list[Any]], table_id: str, lang: Lang
             ) -> html.Div:
    body: Any = html.P(lang.gettext("None."), className="text-muted") if not rows else html.Div(
        className="table-scroll", children=html.Table(
            id=table_id, className="table table-sm pulse-table mb-0", children=[
                html.Thead(html.Tr([html.Th(h) for h in head])),
                html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])]))
    return html.Div(className="order-section", children=[html.H3(title), body])


# --- asking the service -----------------------------------------------------------------------


def fetch_page(service: PulseService, pages: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """One page of the list and its totals, as JSON (what the API would answer), or an
    error message: the page always says something rather than keeping an old list."""
    params = pages["params"]
    page = int(pages["page"])
    try:
        with service.reader() as reader:
            filters = service.parse({k: v for k, v in params.items() if k in FILTER_PARAMS},
                                    reader=reader)
            query = OrderQuery(filters, status=params["status"][0], sort=params["sort"][0],
                               order=params["order"][0])
            body = service.order_page(query, PAGE_SIZE, pages["cursors"][page], reader=reader)
    except (FilterError, DatabaseUnavailable, NoData) as exc:
        return {"status": "error", "message": panel_message(exc, "order list", lang)}
    return {"status": "ok", "page": page, "order_status": query.status,
            "sort": {"sort": query.sort, "order": query.order}, **jsonable(body)}


def fetch_order(service: PulseService, order_id: str) -> dict[str, Any] | None:
    return jsonable(service.order_detail(order_id))


# --- callbacks ----------------------------------------------------------------------------------


def register_orders_callbacks(app: Dash, service: PulseService) -> None:
    """The ways in (scope), paging, fetching, drawing, the detail: one concern each."""
    register_ways_in(app)
    register_paging(app)
    register_list(app, service)
    register_detail(app, service)


def register_ways_in(app: Dash) -> None:
    # the earnings table's links are redrawn with every view: the gate passes on clicks only
    register_click_gate(app, REGION_ORDERS, "region", REGION_CLICK)

    @app.callback(
        Output("orders-scope", "data"),
        Input({"type": "kpi-orders", "field": ALL}, "n_clicks"),
        Input({"type": "chart-orders", "chart": ALL}, "n_clicks"),
        Input(REGION_CLICK, "data"),
        Input("orders-pick", "data"), Input("orders-scope-clear", "n_clicks"),
        State("view", "data"), State("orders-scope", "data"),
        prevent_initial_call=True,
    )
    def choose_scope(_cards: list, _charts: list, region: dict | None, pick: dict | None,
                     _clear: int | None, view: dict | None, current: dict | None) -> dict:
        """Which orders the panel lists; `n` changes at every way in, so the page scrolls
        to the panel even when the scope is the one already shown."""
        trigger = ctx.triggered_id
        if not trigger or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        n = int((current or {}).get("n", 0)) + 1
        if trigger == "orders-scope-clear":
            return {**card_scope("orders"), "n": n, "scroll": False}
        if trigger == "orders-pick":
            key = pick_key(str(pick["chart"]), pick.get("point") or {})
            if key is None:
                raise PreventUpdate
            return {**chart_scope(str(pick["chart"]), [key]), "n": n, "scroll": True}
        if trigger["type"] == "kpi-orders":
            return {**card_scope(trigger["field"]), "n": n, "scroll": True}
        if trigger == REGION_CLICK:
            return {**region_scope((region or {})["key"]), "n": n, "scroll": True}
        dim = CHART_DIMS[trigger["chart"]]
        selected = ((view or {}).get("filters") or {}).get(dim) or []
        return {**chart_scope(trigger["chart"], selected), "n": n, "scroll": True}

    app.clientside_callback(
        ClientsideFunction(namespace="pulseOrders", function_name="scrollToOrders"),
        Output("orders-scrolled", "data"), Input("orders-scope", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("orders-scope-text", "children"), Output("orders-scope-line", "hidden"),
        Input("orders-scope", "data"), State("lang", "data"),
    )
    def show_scope(scope: dict | None, lang_store: dict | None) -> tuple:
        lang = lang_of(lang_store)
        text = scope_text(scope, lang)
        return ([html.Span(lang.gettext("Scope "), className="text-muted"),
                 html.Strong(text)] if text else [], not text)


def register_paging(app: Dash) -> None:

    @app.callback(
        Output("orders-pages", "data"),
        Input(view_store("orders"), "data"), Input("orders-scope", "data"),
        Input("orders-sort", "data"),
        Input("orders-prev", "n_clicks"), Input("orders-next", "n_clicks"),
        State("orders-pages", "data"), State("orders-answer", "data"), State("view", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    def paging(_shown: dict | None, scope: dict | None, sort: dict | None, _prev: int | None,
               _next: int | None, pages: dict | None, answer: dict | None,
               view: dict | None) -> dict:
        """A new list starts at its first page; Previous/Next walk the kept cursors.

        The panel's view store only says when to start (lazy.py); the list is always the
        current view's: a way in (a card's orders link) sets the scope before the panel
        has scrolled on screen, while its store may still hold an older view."""
        if not view or view.get("error") or not view.get("filters"):
            raise PreventUpdate
        trigger = ctx.triggered_id
        if trigger in ("orders-prev", "orders-next") and pages:
            shown = answer if (answer or {}).get("page") == pages["page"] else {}
            return turn(pages, 1 if trigger == "orders-next" else -1,
                        (shown or {}).get("next_cursor"))
        return first_page(order_params(view["filters"], scope, sort))

    @app.callback(
        Output("orders-sort", "data"),
        Input({"type": "orders-sort", "key": ALL}, "n_clicks"), State("orders-sort", "data"),
        prevent_initial_call=True,
    )
    def sort_by(_clicks: list, current: dict | None) -> dict:
        trigger = ctx.triggered_id
        if not trigger or not ctx.triggered[0].get("value"):
            raise PreventUpdate  # the header was redrawn, nobody clicked
        return toggle_sort(current, trigger["key"])

    @app.callback(Output("orders-csv", "href"), Input("orders-pages", "data"))
    def csv_link(pages: dict | None) -> str:
        if not pages:
            raise PreventUpdate
        return csv_href(pages["params"])


def register_list(app: Dash, service: PulseService) -> None:

    @app.callback(Output("orders-answer", "data"), Input("orders-pages", "data"),
                  State("lang", "data"))
    def fetch_orders(pages: dict | None, lang_store: dict | None) -> dict:
        if not pages:
            raise PreventUpdate
        return fetch_page(service, pages, lang_of(lang_store))

    @app.callback(
        Output("orders-table", "children"), Output("orders-total", "children"),
        Output("orders-page", "children"), Output("orders-prev", "disabled"),
        Output("orders-next", "disabled"),
        Input("orders-answer", "data"), State("lang", "data"),
    )
    def draw_orders(answer: dict | None, lang_store: dict | None) -> tuple:
        if not answer:
            raise PreventUpdate
        lang = lang_of(lang_store)
        if answer.get("status") != "ok":
            return (html.Div(answer.get("message"), className="empty-table"), [], "", True,
                    True)
        return (orders_table(answer["rows"], answer["sort"], lang),
                total_line(answer["total"], answer["order_status"], lang),
                page_text(answer, lang), not answer.get("page"), not answer.get("next_cursor"))


def register_detail(app: Dash, service: PulseService) -> None:

    @app.callback(
        Output("order-modal", "is_open"), Output("order-modal-title", "children"),
        Output("order-modal-body", "children"),
        Input({"type": "order-row", "id": ALL}, "n_clicks"), State("lang", "data"),
        prevent_initial_call=True,
    )
    def open_order(_clicks: list, lang_store: dict | None) -> tuple:
        trigger = ctx.triggered_id
        if not trigger or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        lang = lang_of(lang_store)
        order_id = str(trigger["id"])
        title = [lang.gettext("Order") + " ", html.Code(order_id, id="order-modal-id")]
        try:
            order = fetch_order(service, order_id)
        except (DatabaseUnavailable, NoData) as exc:
            return True, title, panel_message(exc, "order", lang)
        if order is None:
            return True, title, lang.gettext("This order is no longer in the loaded data.")
        return True, title, detail_body(order, lang)
