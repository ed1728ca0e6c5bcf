"""The "Customers" section: who buys, whether they come back, and what lateness costs.

Why it follows the `view` store and asks `PulseService.cohorts` / `.segments` /
`.lateness` / `.customer_page` with the view's filters: those are the calls behind
`/api/v1/customers/cohorts`, `/segments`, `/customers?segment=` and
`/api/v1/delivery/lateness`, cached per data version and filters, so the section and the
API cannot disagree, and a click on the map or a bar (which rewrites the URL, hence the
view) redraws this section like every other card. The page never runs SQL and never
imports the API; the CSV links point at the API on the same origin.

The callbacks, one per concern: the heatmap, the segments, the lateness chart (each from
the view); a segment's list state (a click opens it, Previous/Next turn keyset pages, a
new view starts it again at page 1, Close hides it); the list drawn from that state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ...filters import FilterError, Filters
from ...queries.customerlist import CustomerQuery
from ...service import DatabaseUnavailable, NoData, PulseService
from .. import charts
from .. import formatting as fmt
from ..i18n import Lang, lang_of
from ..lazy import view_store
from ..problems import panel_message
from ..tables import money_cell, money_header
from . import customer_charts as cc

log = logging.getLogger(__name__)

PAGE_SIZE = 25
#: Below this width the heatmap scrolls sideways in its card rather than squeeze its cells.
COHORT_MIN_WIDTH = 640
#: The section's API twins, for its CSV links (same origin, same parameter names).
API = {"cohorts": "/api/v1/customers/cohorts", "segments": "/api/v1/customers/segments",
       "lateness": "/api/v1/delivery/lateness", "list": "/api/v1/customers"}


# --- pure helpers (tests/test_customer_charts.py) ------------------------------------------


def api_href(what: str, view_filters: Mapping[str, Any], **extra: str) -> str:
    """A same-origin CSV link of the API twin for the view's filters (dates concrete, so
    the file holds what the page shows; each value its own parameter, as a category name
    may hold a comma)."""
    pairs = [(k, v) for k, v in extra.items()]
    pairs += [(k, v) for k, values in Filters.from_json(view_filters).to_params().items()
              for v in values]
    return f"{API[what]}?{urlencode([*pairs, ('format', 'csv')])}"


def first_page(segment: str, view_filters: Mapping[str, Any]) -> dict[str, Any]:
    """A segment's list from its first page (its cursor is none)."""
    return {"segment": segment, "filters": dict(view_filters), "cursors": [None], "page": 0}


def turn(state: Mapping[str, Any], step: int, next_cursor: str | None) -> dict[str, Any]:
    """Next (+1) follows the shown page's `next_cursor`; Previous (-1) goes back to the
    cursor kept for the page before, so it shows exactly what was shown."""
    cursors, page = list(state["cursors"]), int(state["page"])
    if step > 0:
        if not next_cursor:
            raise PreventUpdate
        cursors, page = cursors[:page + 1] + [next_cursor], page + 1
    elif page == 0:
        raise PreventUpdate
    else:
        page -= 1
    return {**state, "cursors": cursors, "page": page}


def shown_range(page: int, rows: int, total: int, lang: Lang) -> str:
    """`Showing 26–50 of 1,234`."""
    if not rows:
        return lang.gettext("No customers in this segment")
    first = page * PAGE_SIZE + 1
    return lang.gettext("Showing %(first)s\u2013%(last)s of %(total)s") % {
        "first": fmt.integer(first, lang), "last": fmt.integer(first + rows - 1, lang),
        "total": fmt.integer(total, lang)}


def days_text(days: int | None, lang: Lang) -> str:
    return fmt.days(days, lang, 0)


# --- layout ----------------------------------------------------------------------------------


def _card(title: str, hint: str, body: list, what: str, lang: Lang) -> dbc.Card:
    """A titled card like the page's chart panels, its CSV a link to the API twin
    (`customers-<what>-csv`, its filters set by the chart's callback)."""
    return dbc.Card(className="panel h-100", id=f"customers-{what}-card", children=[
        html.Div(className="panel-head", children=[
            html.Div([html.H2(title, className="panel-title"),
                      html.Div(hint, className="panel-hint")]),
            html.Div(className="panel-tools", children=html.A(
                "CSV", id=f"customers-{what}-csv", href=API[what], className="btn btn-light btn-sm "
                "csv-button",
                title=lang.gettext("Download these numbers as CSV (the API, same filters)"))),
        ]),
        html.Div(body, className="panel-body"),
    ])


def _graph(graph_id: str, name: str, height: int, lang: Lang, min_width: int = 0
           ) -> dcc.Loading:
    """A chart; `min_width`: narrower screens scroll it sideways inside its card (a year
    of cohort columns cannot be read at a phone's width)."""
    style = {"height": f"{height}px", **({"minWidth": f"{min_width}px"} if min_width else {})}
    return dcc.Loading(type="circle", delay_show=350, children=dcc.Graph(
        id=graph_id, figure=charts.empty_figure("", lang), style=style,
        className="chart", config={"displaylogo": False, "responsive": True,
                                   "locale": lang.plotly,
                                   "modeBarButtonsToRemove": ["lasso2d", "select2d"],
                                   "toImageButtonOptions": {"format": "png", "scale": 2,
                                                            "filename": f"pulse-{name}"}}))


def segment_legend(lang: Lang) -> html.Ul:
    """What each segment means (the fixed thresholds), under the bars."""
    _ = lang.gettext
    return html.Ul(className="segment-legend small text-muted mb-0 mt-2", children=[
        html.Li([html.Strong(_(cc.SEGMENT_LABELS[k])), f": {_(rule)}"])
        for k, rule in cc.SEGMENT_RULES.items()] + [
        html.Li(_("Days count from a customer's last order in the range to its end."))])


def list_panel(lang: Lang) -> html.Div:
    """A segment's customers, below the charts: hidden until a bar is clicked."""
    _ = lang.gettext
    return html.Div(id="customers-list-panel", hidden=True, className="mt-3", children=dbc.Card(
        className="panel", children=[
            html.Div(className="panel-head", children=[
                html.Div([html.H2(id="customers-list-title", className="panel-title"),
                          html.Div(id="customers-list-rule", className="panel-hint")]),
                html.Div(className="panel-tools", children=[
                    html.A("CSV", id="customers-list-csv", href=API["list"],
                           className="btn btn-light btn-sm csv-button",
                           title=_("Download every customer of this segment as CSV")),
                    dbc.Button(_("Close"), id="customers-list-close", size="sm",
                               color="light", n_clicks=0, className="csv-button")]),
            ]),
            html.Div(className="panel-body", children=[
                html.Div(className="orders-total", children=[
                    html.Span(fmt.NONE, id="customers-list-total",
                              className="fw-semibold"), " " + _("customers"),
                    html.Span(id="customers-list-sums")]),
                html.Div(id="customers-list-table", className="table-scroll"),
                html.Div(className="d-flex align-items-center gap-2 mt-2", children=[
                    dbc.Button("\u2039 " + _("Previous"), id="customers-list-prev",
                               size="sm", color="light", n_clicks=0, disabled=True),
                    dbc.Button(_("Next") + " \u203a", id="customers-list-next", size="sm",
                               color="light", n_clicks=0, disabled=True),
                    html.Span(id="customers-list-range", className="small text-muted"),
                ]),
            ]),
        ]))


def customers_section(lang: Lang) -> html.Section:
    """The section: retention heatmap; segments beside reviews by delay; a segment's list."""
    _ = lang.gettext
    return html.Section(id="customers-section", className="customers mt-3", children=[
        dcc.Store(id="customers-list-state"),
        dcc.Store(id="customers-list-next-cursor"),
        html.H2(_("Customers"), className="section-title h5 mt-2 mb-2"),
        dbc.Row(className="g-3", children=[dbc.Col(xs=12, children=_card(
            _("Do customers come back?"),
            _("Rows: the month of a customer's first order (customers in it); columns: "
              "months since; cells: the share who bought again that month"),
            [html.Div(_graph("customers-cohorts", "cohorts", 380, lang, COHORT_MIN_WIDTH),
                      className="chart-scroll", style={"overflowX": "auto"})],
            "cohorts", lang))]),
        dbc.Row(className="g-3 mt-0", children=[
            dbc.Col(xs=12, lg=6, children=_card(
                _("Customer segments"), _("By how often and how recently they bought "
                                          "\u00b7 click a bar to list its customers"),
                [_graph("customers-segments", "segments", 300, lang), segment_legend(lang)],
                "segments", lang)),
            dbc.Col(xs=12, lg=6, children=_card(
                _("Reviews by delivery delay"), _("Average review and share of 1\u20132 star "
                                                  "reviews, by days early or late against "
                                                  "the estimated date"),
                [_graph("customers-lateness", "lateness", 300, lang),
                 html.Div(id="customers-lateness-summary", className="small mt-2")],
                "lateness", lang)),
        ]),
        list_panel(lang),
    ])


# --- data ------------------------------------------------------------------------------------


def view_filters(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """The shown view's filters (as JSON); nothing to draw without a good view."""
    if not view or view.get("error") or not view.get("filters"):
        raise PreventUpdate
    return dict(view["filters"])


def answer(service: PulseService, filters: Mapping[str, Any],
           question: Callable[..., Any], lang: Lang) -> tuple[Any, str | None]:
    """(the service's answer, None) or (None, a line saying why not): a dead database or a
    bug in this section leaves the rest of the page drawn."""
    try:
        with service.reader() as reader:
            return question(Filters.from_json(filters), reader=reader), None
    except FilterError as exc:  # e.g. a cursor of another list: cannot happen from the page
        return None, exc.message
    except (DatabaseUnavailable, NoData) as exc:
        log.warning("customers section: %s", exc)
        return None, panel_message(exc, "customer figures", lang)
    except Exception as exc:  # noqa: BLE001 - one section must not break the page
        log.exception("customers section failed")
        return None, panel_message(exc, "customer figures", lang)


def list_rows(rows: Sequence[Mapping[str, Any]], lang: Lang) -> html.Table:
    """The page's rows: id shortened (whole in the tooltip), dates as a table writes them."""
    _ = lang.gettext
    head = [_("Customer"), lang.place("State"), _("Orders"), money_header(_("Sales"), lang),
            _("First order"), _("Last order"), _("Since last")]
    optional = {4}
    return html.Table(className="table table-sm table-hover pulse-table mb-0",
                      id="customers-list", children=[
        html.Thead(html.Tr([html.Th(h, className=" ".join(
            (["num"] if 2 <= i <= 3 or i == 6 else []) + (
                ["optional-col"] if i in optional else [])) or None)
            for i, h in enumerate(head)])),
        html.Tbody([html.Tr(className="customer-row", children=[
            html.Td(cc.short_id(str(r["customer_unique_id"])),
                    title=str(r["customer_unique_id"]), className="customer-id"),
            html.Td(r.get("state") or fmt.NONE),
            html.Td(fmt.integer(r.get("orders"), lang), className="num"),
            html.Td(money_cell(fmt.money(r.get("sales"), lang), lang), className="num"),
            html.Td(fmt.short_date(r.get("first_order"), lang), className="optional-col"),
            html.Td(fmt.short_date(r.get("last_order"), lang)),
            html.Td(days_text(r.get("recency"), lang), className="num"),
        ]) for r in rows]),
    ])


# --- callbacks -------------------------------------------------------------------------------


def register_customer_callbacks(app: Dash, service: PulseService) -> None:
    """The three charts follow the view; the list follows its own state."""

    @app.callback(
        Output("customers-cohorts", "figure"), Output("customers-cohorts", "style"),
        Output("customers-cohorts-csv", "href"),
        Input(view_store("customers"), "data"), Input("lang", "data"), State("theme", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    @charts.themed_callback
    def draw_cohorts(view: dict | None, lang_store: dict | None) -> tuple:
        filters = view_filters(view)
        lang = lang_of(lang_store)
        found, problem = answer(service, filters, service.cohorts, lang)
        if found is None:
            return charts.empty_figure(problem or "", lang), no_update, no_update
        return (cc.cohort_figure(found, lang), {"height": f"{cc.cohort_height(found)}px",
                                          "minWidth": f"{COHORT_MIN_WIDTH}px"},
                api_href("cohorts", filters))

    @app.callback(
        Output("customers-segments", "figure"), Output("customers-segments-csv", "href"),
        Input(view_store("customers"), "data"), Input("lang", "data"), State("theme", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    @charts.themed_callback
    def draw_segments(view: dict | None, lang_store: dict | None) -> tuple:
        filters = view_filters(view)
        lang = lang_of(lang_store)
        found, problem = answer(service, filters, service.segments, lang)
        if found is None:
            return charts.empty_figure(problem or "", lang), no_update
        return cc.segment_figure(found, lang), api_href("segments", filters)

    @app.callback(
        Output("customers-lateness", "figure"), Output("customers-lateness-summary",
                                                       "children"),
        Output("customers-lateness-csv", "href"),
        Input(view_store("customers"), "data"), Input("lang", "data"), State("theme", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    @charts.themed_callback
    def draw_lateness(view: dict | None, lang_store: dict | None) -> tuple:
        filters = view_filters(view)
        lang = lang_of(lang_store)
        found, problem = answer(service, filters, service.lateness, lang)
        if found is None:
            return charts.empty_figure(problem or "", lang), "", no_update
        return (cc.lateness_figure(found, lang), cc.lateness_summary(found, lang),
                api_href("lateness", filters))

    register_list_callbacks(app, service)


def register_list_callbacks(app: Dash, service: PulseService) -> None:
    """A segment's list: its state (which segment, filters, visited cursors), then the
    page drawn from it."""

    @app.callback(
        Output("customers-list-state", "data"), Output("customers-segments", "clickData"),
        Input("customers-segments", "clickData"), Input(view_store("customers"), "data"),
        Input("customers-list-prev", "n_clicks"), Input("customers-list-next", "n_clicks"),
        Input("customers-list-close", "n_clicks"),
        State("customers-list-state", "data"), State("customers-list-next-cursor", "data"),
        prevent_initial_call=True,
    )
    def list_state(click: dict | None, view: dict | None, _prev: int, _next: int,
                   _close: int, state: dict | None, next_cursor: str | None) -> tuple:
        trigger = ctx.triggered_id
        if trigger == "customers-segments":
            points = (click or {}).get("points") or []
            custom = points[0].get("customdata") if points else None
            if not custom or custom[0] not in cc.SEGMENT_LABELS:
                raise PreventUpdate
            return first_page(str(custom[0]), view_filters(view)), None
        if not state:
            raise PreventUpdate
        if trigger == "customers-list-close":
            return None, no_update
        if trigger == view_store("customers"):  # new filters: same segment, new view, page 1
            return first_page(state["segment"], view_filters(view)), no_update
        return turn(state, 1 if trigger == "customers-list-next" else -1, next_cursor), \
            no_update

    @app.callback(
        Output("customers-list-panel", "hidden"), Output("customers-list-title", "children"),
        Output("customers-list-rule", "children"), Output("customers-list-total", "children"),
        Output("customers-list-sums", "children"), Output("customers-list-table", "children"),
        Output("customers-list-range", "children"), Output("customers-list-prev", "disabled"),
        Output("customers-list-next", "disabled"), Output("customers-list-csv", "href"),
        Output("customers-list-next-cursor", "data"),
        Input("customers-list-state", "data"), State("lang", "data"),
    )
    def draw_list(state: dict | None, lang_store: dict | None) -> tuple:
        if not state:
            return (True, *(no_update,) * 10)
        lang = lang_of(lang_store)
        _ = lang.gettext
        segment, page = state["segment"], int(state["page"])
        query = CustomerQuery(Filters.from_json(state["filters"]), segment)
        head = (False, _("%(segment)s customers") % {"segment": _(cc.SEGMENT_LABELS[segment])},
                _(cc.SEGMENT_RULES[segment]))
        csv = api_href("list", state["filters"], segment=segment)

        def ask(filters: Filters, reader: Any) -> dict:
            return service.customer_page(query, PAGE_SIZE, state["cursors"][page], reader)

        found, problem = answer(service, state["filters"], ask, lang)
        if found is None:
            return (*head, fmt.NONE, "", html.Div(problem, className="empty-table"), "",
                    True, True, csv, None)
        total, rows = found["total"], found["rows"]
        sums = " \u00b7 " + _("%(orders)s orders \u00b7 %(sales)s in sales") % {
            "orders": fmt.integer(total["orders"], lang), "sales": fmt.money(total["sales"], lang)}
        table = list_rows(rows, lang) if rows else html.Div(
            _("No customers in this segment."), className="empty-table")
        return (*head, fmt.integer(total["customers"], lang), sums, table,
                shown_range(page, len(rows), int(total["customers"]), lang), page == 0,
                not found["next_cursor"], csv, found["next_cursor"])
