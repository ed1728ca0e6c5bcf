"""The page: named blocks (header, filter bar, KPI cards, charts, summaries) composed once.

Why this shape: the layout is static and never touches the database, so the
page renders (with its error banner) even when PostgreSQL is down; callbacks
fill it in. Every element a callback or a test needs has a stable id
(`state-map`, `category-chart`, `payment-chart`, `timeseries-chart`,
`kpi-<field>`, `db-error-banner`, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, get_asset_url, html
from flask import current_app, has_app_context

from ..config import Settings, get_settings
from ..regions import REGION_NAMES, region_map
from . import charts
from .formatting import KPI_LABELS, NONE
from .geo import GeoData, load_geo
from .panels.customers import customers_section
from .panels.forecast import forecast_panel
from .panels.impact import insight_panel
from .panels.orders import card_button, chart_button, orders_panel
from .panels.sellers import sellers_panel
from .panels.shortages import shortages_panel
from .urlstate import quick_picks

#: The KPI cards, in reading order (field names as in METRICS.md).
CARD_FIELDS = ("sales", "orders", "aov", "items_per_order", "customers", "repeat_rate",
               "payments", "avg_review", "on_time_rate", "canceled_rate", "unavailable_rate")
#: Fields with a value element and a change element (the customers card also holds new ones).
KPI_ELEMENTS = (*CARD_FIELDS, "new_customers")

KPI_HELP = {
    "sales": "Sum of item prices of counted orders (not canceled/unavailable)",
    "orders": "Orders that are neither canceled nor unavailable and have items",
    "aov": "Average order value: sales / orders",
    "items_per_order": "Items / orders",
    "customers": "Distinct customers; new = first order ever falls in the range",
    "repeat_rate": "Share of the customers with two or more counted orders in the range",
    "payments": "Sum of all payment values of the counted orders",
    "avg_review": "Mean review score (1-5)",
    "on_time_rate": "Delivered orders that arrived by the estimated date",
    "canceled_rate": "Share of all matching orders with status canceled",
    "unavailable_rate": "Share of all matching orders with status unavailable",
}

MAP_METRIC_OPTIONS = [{"label": KPI_LABELS[m], "value": m} for m in charts.MAP_METRICS]
TOP_N_OPTIONS = [{"label": f"Top {n}", "value": n} for n in (5, 10, 15, 20)]


def _settings() -> Settings:
    """The app's own settings (tests build apps with their own), else the process's."""
    if has_app_context():
        found = current_app.config.get("PULSE_SETTINGS")
        if isinstance(found, Settings):
            return found
    return get_settings()


def graph_config(name: str) -> dict[str, Any]:
    """Plotly toolbar: PNG export named after the chart, no zoom tools the charts don't use.

    `topojsonURL` points plotly geo at our own assets; without it plotly.js
    fetches base maps from a CDN (geo/PROVENANCE.md).
    """
    return {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": f"pulse-{name}", "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "autoScale2d", "zoomIn2d", "zoomOut2d",
                                   "zoom2d", "pan2d", "resetScale2d", "zoomInGeo",
                                   "zoomOutGeo", "resetGeo", "hoverClosestGeo"],
        "topojsonURL": get_asset_url("topojson/"),
    }


# --- blocks -------------------------------------------------------------------------------


def stores(settings: Settings) -> html.Div:
    """Non-visual state: the URL (the filters), data status, meta, the view, the poller."""
    seconds = settings.refresh_seconds
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id="status"),
        dcc.Store(id="meta"),
        dcc.Store(id="view"),
        dcc.Interval(id="refresh", interval=max(seconds, 1) * 1000, disabled=seconds == 0),
        dcc.Download(id="download"),
    ])


def header() -> html.Header:
    return html.Header(className="pulse-header", children=dbc.Container(fluid=True, children=[
        html.Div(className="brand", children=[
            html.Span(className="brand-mark", **{"aria-hidden": "true"}),
            html.Div([
                html.H1("Pulse", className="brand-name"),
                html.Div("Sales dashboard", className="brand-sub"),
            ]),
        ]),
        html.Div(className="data-facts", children=[
            html.Span([html.Span("Data ", className="fact-label"),
                       html.Span(NONE, id="data-range")], className="fact"),
            html.Span([html.Span("As of ", className="fact-label"),
                       html.Span(NONE, id="data-asof")], className="fact"),
            dbc.Badge("Synthetic demo data", id="synthetic-badge", color="warning",
                      className="synthetic-badge", style={"display": "none"},
                      title="Generated by `pulse demo`: no real order, customer or review"),
        ]),
    ]))


def banners() -> html.Div:
    """Messages above everything: database down, a wrong link, nothing matching."""
    return html.Div(className="banners", children=[
        html.Div(id="db-error-banner", role="alert", hidden=True,
                 className="alert alert-danger pulse-alert"),
        html.Div(id="view-notice", role="status", hidden=True,
                 className="alert alert-warning pulse-alert"),
        html.Div(id="empty-notice", role="status", hidden=True,
                 className="alert alert-info pulse-alert", children=[
                     html.Strong(charts.EMPTY_MESSAGE),
                     html.Span(" Widen the date range or remove a filter.")]),
    ])


def _dropdown(name: str, label: str, placeholder: str,
              options: list[dict[str, str]] | None = None, xs: int = 6) -> dbc.Col:
    return dbc.Col(xs=xs, lg=True, className="filter-field", children=[
        html.Label(label, htmlFor=f"f-{name}", className="filter-label"),
        dcc.Dropdown(id=f"f-{name}", options=options or [], value=[], multi=True,
                     placeholder=placeholder, className="filter-dropdown", clearable=True,
                     maxHeight=280),
    ])


def quick_pick_buttons(picks: list[tuple[str, str]], active: Iterable[str] = ()
                       ) -> list[dbc.Button]:
    chosen = set(active)
    return [dbc.Button(label, id={"type": "quick", "key": key}, size="sm",
                       color="primary", outline=key not in chosen, className="quick-pick",
                       n_clicks=0)
            for key, label in picks]


def filter_bar() -> html.Section:
    region_options = [{"label": f"{REGION_NAMES.get(r, r)} ({r})", "value": r}
                      for r in region_map()]
    return html.Section(className="filter-bar card", **{"aria-label": "Filters"}, children=[
        dbc.Row(className="g-2 align-items-end", children=[
            dbc.Col(xs=12, md="auto", className="filter-field", children=[
                html.Label("Date range", htmlFor="f-dates", className="filter-label"),
                dcc.DatePickerRange(id="f-dates", updatemode="bothdates",
                                    display_format="D MMM YYYY", first_day_of_week=1,
                                    start_date_placeholder_text="Start",
                                    end_date_placeholder_text="End",
                                    className="filter-dates"),
            ]),
            dbc.Col(xs=12, md=True, className="filter-field", children=[
                html.Div("Quick picks", className="filter-label", id="quick-label"),
                html.Div(quick_pick_buttons(quick_picks(None, None)), id="quick-picks",
                         className="quick-picks", role="group",
                         **{"aria-labelledby": "quick-label"}),
            ]),
        ]),
        dbc.Row(className="g-2 align-items-end mt-1", children=[
            _dropdown("state", "State", "All states"),
            _dropdown("region", "Region", "All regions", region_options),
            _dropdown("category", "Category", "All categories"),
            _dropdown("payment_type", "Payment type", "All payment types"),
            # its options come from the server as the person types (panels/sellers.py)
            _dropdown("seller", "Seller", "All sellers (type to search)", xs=12),
            dbc.Col(xs=12, lg="auto", className="filter-field", children=[
                dbc.Button("Reset filters", id="reset", color="primary", outline=True,
                           className="reset-button w-100", n_clicks=0),
            ]),
        ]),
        html.Div(id="view-caption", className="view-caption", children=NONE),
    ])


def kpi_card(field: str) -> html.Div:
    extra = []
    if field == "customers":
        extra = [html.Div(className="kpi-sub", children=[
            html.Span("New "), html.Span(NONE, id="kpi-new_customers", className="kpi-subvalue"),
            html.Span(NONE, id="kpi-new_customers-change", className="kpi-change tone-none"),
        ])]
    return html.Div(className="kpi-card", title=KPI_HELP.get(field), children=[
        html.Div(className="kpi-top", children=[
            html.Div(KPI_LABELS[field], className="kpi-label"), card_button(field)]),
        html.Div(NONE, id=f"kpi-{field}", className="kpi-value"),
        html.Div(className="kpi-foot", children=[
            html.Span(NONE, id=f"kpi-{field}-change", className="kpi-change tone-none"),
            html.Span(" vs previous period", className="kpi-vs"),
        ]),
        *extra,
    ])


def kpi_grid() -> html.Section:
    return html.Section(className="kpi-grid", **{"aria-label": "Key figures"},
                        children=[kpi_card(f) for f in CARD_FIELDS])


def csv_button(chart: str) -> dbc.Button:
    return dbc.Button("CSV", id={"type": "csv", "chart": chart}, size="sm", color="light",
                      className="csv-button", n_clicks=0,
                      title="Download the numbers of this chart as CSV")


def panel(title: str, hint: str, body: Any, chart: str, tools: Any = None,
          class_name: str = "") -> dbc.Card:
    """A chart's card: title, one-line hint on how to use it, tools, CSV export."""
    return dbc.Card(className=f"panel h-100 {class_name}", children=[
        html.Div(className="panel-head", children=[
            html.Div([html.H2(title, className="panel-title"),
                      html.Div(hint, className="panel-hint")]),
            html.Div(className="panel-tools", children=[
                *(tools if isinstance(tools, list) else [tools]), csv_button(chart)]),
        ]),
        html.Div(body, className="panel-body"),
    ])


def graph(graph_id: str, name: str, height: int, figure: Any = None) -> dcc.Loading:
    return dcc.Loading(
        type="circle", delay_show=350, overlay_style={"visibility": "visible", "opacity": 0.55},
        children=dcc.Graph(id=graph_id, config=graph_config(name),
                           figure=figure if figure is not None else charts.empty_figure(""),
                           style={"height": f"{height}px"}, className="chart"),
    )


def charts_section(geo: GeoData) -> html.Section:
    map_figure = (charts.map_figure([], "sales", (), geo.ids, geo.names, geo.geojson, geo.key)
                  if geo.geojson is not None and geo.ids else charts.empty_figure(
                      geo.problem or "No map"))
    map_tools = dcc.Dropdown(id="map-metric", options=MAP_METRIC_OPTIONS, value="sales",
                             clearable=False, searchable=False, className="tool-select",
                             style={"minWidth": "11rem"})
    top_tools = dcc.Dropdown(id="category-top", options=TOP_N_OPTIONS,
                             value=charts.DEFAULT_TOP_N, clearable=False, searchable=False,
                             className="tool-select", style={"minWidth": "6.5rem"})
    return html.Section(className="charts", children=[
        dbc.Row(className="g-3", children=[
            dbc.Col(lg=8, children=panel(
                "Monthly sales and orders", "Drag across months to set the date range; "
                "shift-click a month: its orders",
                graph("timeseries-chart", "timeseries", 340), "timeseries")),
            dbc.Col(lg=4, children=panel(
                "Growth", "Sales change month over month and year over year; "
                "shift-click a month: its orders",
                graph("growth-chart", "growth", 340), "growth")),
        ]),
        dbc.Row(className="g-3 mt-0", children=[
            dbc.Col(lg=6, children=panel(
                "Sales by state", "Click a state to filter; click it again to clear; "
                "shift-click: its orders",
                graph("state-map", "map", 430, map_figure), "map",
                [map_tools, chart_button("map")])),
            dbc.Col(lg=6, children=panel(
                "Sales by category", "Click a bar to filter; click it again to clear; "
                "shift-click: its orders",
                graph("category-chart", "categories", 430), "category",
                [top_tools, chart_button("category")])),
        ]),
        dbc.Row(className="g-3 mt-0", children=[
            dbc.Col(lg=6, children=panel(
                "Payment methods", "Share of orders and of value · click a row to filter; "
                "shift-click: its orders",
                graph("payment-chart", "payments", 330), "payment", chart_button("payment"))),
            dbc.Col(lg=6, children=panel(
                "Summary of earnings", "Sales, freight and payments per region",
                html.Div(id="earnings-table", className="table-wrap"), "earnings")),
        ]),
    ])


def summaries() -> html.Section:
    return html.Section(className="summaries mt-3", children=[
        panel("Summary of changes", "Each figure now and in the previous period",
              html.Div(id="changes-table", className="table-wrap"), "changes"),
    ])


def footer() -> html.Footer:
    return html.Footer(className="pulse-footer", children=[
        html.Span("Pulse · open-source sales dashboard · "),
        html.A("REST API", href="/api/v1/openapi.json"),
        html.Span(" (same filters as this page's URL) · PNG export: camera icon on each chart"),
    ])


def build_layout() -> html.Div:
    """The whole page (Dash calls this per page load; it reads no data)."""
    settings = _settings()
    geo = load_geo(str(settings.geojson), settings.geo_key)
    return html.Div(className="pulse", children=[
        stores(settings),
        header(),
        html.Main(className="pulse-main container-fluid", children=[
            banners(),
            filter_bar(),
            kpi_grid(),
            charts_section(geo),
            sellers_panel(),
            summaries(),
            orders_panel(),
            customers_section(),
            insight_panel(),
            forecast_panel(),
            shortages_panel(),
            footer(),
        ]),
    ])
