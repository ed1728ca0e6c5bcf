"""The page: named blocks (header, filter bar, KPI cards, charts, summaries) composed once
per language.

Why this shape: the layout never touches the database, so the page renders (with its
error banner) even when PostgreSQL is down; callbacks fill it in. Every element a
callback or a test needs has a stable id (`state-map`, `category-chart`,
`payment-chart`, `timeseries-chart`, `kpi-<field>`, `db-error-banner`, ...).

Why a function of the language: Dash asks for the layout per page load, and its texts
are the request's language (`i18n.choose`: the URL's `lang=`, the cookie, the setting,
the browser). The tree of a language depends on nothing else, so it is built once per
language and settings and served from the cache afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dash_bootstrap_components as dbc
from dash import Dash, dcc, get_asset_url, html
from flask import Response, current_app, has_app_context, has_request_context, request
from plotly.io.json import to_json_plotly

from ..config import Settings, get_settings
from ..regions import REGION_NAMES, region_map
from . import charts
from .formatting import KPI_LABELS, N_, NONE
from .gates import stores as gate_stores
from .geo import GeoData, load_geo
from .i18n import COOKIE, Lang, bcp47, choose, lang_for
from .lazy import lazy
from .lazy import stores as lazy_stores
from .panels.customers import customers_section
from .panels.forecast import forecast_panel
from .panels.impact import insight_panel
from .panels.orders import card_button, chart_button, orders_panel
from .panels.sellers import sellers_panel
from .panels.shortages import shortages_panel
from .savedviews import views_menu
from .urlstate import quick_picks, with_lang

#: The KPI cards, in reading order (field names as in METRICS.md).
CARD_FIELDS = ("sales", "orders", "aov", "items_per_order", "customers", "repeat_rate",
               "payments", "avg_review", "on_time_rate", "canceled_rate", "unavailable_rate")
#: Fields with a value element and a change element (the customers card also holds new ones).
KPI_ELEMENTS = (*CARD_FIELDS, "new_customers")

KPI_HELP = {
    "sales": N_("Sum of item prices of counted orders (not canceled/unavailable)"),
    "orders": N_("Orders that are neither canceled nor unavailable and have items"),
    "aov": N_("Average order value: sales / orders"),
    "items_per_order": N_("Items / orders"),
    "customers": N_("Distinct customers; new = first order ever falls in the range"),
    "repeat_rate": N_("Share of the customers with two or more counted orders in the range"),
    "payments": N_("Sum of all payment values of the counted orders"),
    "avg_review": N_("Mean review score (1-5)"),
    "on_time_rate": N_("Delivered orders that arrived by the estimated date"),
    "canceled_rate": N_("Share of all matching orders with status canceled"),
    "unavailable_rate": N_("Share of all matching orders with status unavailable"),
}
TOP_N = (5, 10, 15, 20)
#: The date picker's field format (moment.js tokens): numbers where the bundled picker
#: would write English month names (it carries no other language's).
DATE_DISPLAY = {"en": "MMM D, YYYY"}


def _settings() -> Settings:
    """The app's own settings (tests build apps with their own), else the process's."""
    if has_app_context():
        found = current_app.config.get("PULSE_SETTINGS")
        if isinstance(found, Settings):
            return found
    return get_settings()


def request_lang(settings: Settings) -> Lang:
    """The language of the request being served: the page's own URL (Dash fetches the
    layout from `/_dash-layout`, whose Referer is the page; the page's own request carries
    `lang=` itself), the cookie, then the setting or the browser (`i18n.choose`)."""
    if not has_request_context():
        return lang_for(settings.locale, settings.currency)
    url_lang = request.args.get("lang")
    if url_lang is None and request.referrer:
        url_lang = (parse_qs(urlsplit(request.referrer).query).get("lang") or [None])[0]
    code = choose(url_lang, request.cookies.get(COOKIE),
                  request.headers.get("Accept-Language"), settings.locale,
                  settings.locale_set)
    return lang_for(code, settings.currency)


def graph_config(name: str, lang: Lang) -> dict[str, Any]:
    """Plotly toolbar: PNG export named after the chart, no zoom tools the charts don't use,
    its texts and month names in the reader's language (assets/vendor/plotly-locale-*.js).

    `topojsonURL` points plotly geo at our own assets; without it plotly.js
    fetches base maps from a CDN (geo/PROVENANCE.md).
    """
    return {
        "displaylogo": False,
        "responsive": True,
        "locale": lang.plotly,
        "toImageButtonOptions": {"format": "png", "filename": f"pulse-{name}", "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "autoScale2d", "zoomIn2d", "zoomOut2d",
                                   "zoom2d", "pan2d", "resetScale2d", "zoomInGeo",
                                   "zoomOutGeo", "resetGeo", "hoverClosestGeo"],
        "topojsonURL": get_asset_url("topojson/"),
    }


# --- blocks -------------------------------------------------------------------------------


def stores(settings: Settings, lang: Lang) -> html.Div:
    """Non-visual state: the URL (the filters), the language, data status, meta, the view,
    the poller."""
    seconds = settings.refresh_seconds
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id="lang", data={"locale": lang.code, "currency": lang.currency}),
        dcc.Store(id="status"),
        dcc.Store(id="meta"),
        dcc.Store(id="view"),
        *lazy_stores(),
        *gate_stores(),
        dcc.Interval(id="refresh", interval=max(seconds, 1) * 1000, disabled=seconds == 0),
        dcc.Download(id="download"),
        # the light/dark choice, remembered in the browser (callbacks.register_theme)
        dcc.Store(id="theme", storage_type="local"),
    ])


def theme_switch(lang: Lang) -> html.Div:
    """The light/dark switch (its own block: the header's other tools sit beside it). Its
    label names the theme it switches to; both labels ride on the button, in the page's
    language, for the clientside callback that flips them."""
    _ = lang.gettext
    return html.Div(className="theme-tools", children=[
        html.Button(_("Dark theme"), id="theme-switch", n_clicks=0, type="button",
                    className="btn btn-sm btn-outline-light theme-switch",
                    title=_("Switch between the light and the dark theme"),
                    **{"aria-pressed": "false", "data-dark": _("Dark theme"),
                       "data-light": _("Light theme")}),
    ])


def language_menu(lang: Lang, settings: Settings) -> dbc.DropdownMenu:
    """The header's language switch: one link per language, each the current URL with
    `lang=` (a callback keeps the filters in the links), so a switch is a page load in
    the new language with the same view, and the cookie remembers it."""
    codes = sorted({*("en", "pt_BR", "fr"), settings.locale}, key=("en", "pt_BR", "fr",
                                                                     "fr_MA").index)
    items = [dbc.DropdownMenuItem(lang_for(code, settings.currency).name,
                                  id={"type": "lang-link", "code": code},
                                  href=with_lang("", bcp47(code)), external_link=True,
                                  active=code == lang.code)
             for code in codes]
    return dbc.DropdownMenu(
        [dbc.DropdownMenuItem(lang.gettext("Language"), header=True), *items],
        id="lang-menu", label=lang.name, size="sm", color="light", align_end=True,
        class_name="lang-menu", toggle_class_name="lang-toggle")


def header(lang: Lang, settings: Settings) -> html.Header:
    _ = lang.gettext
    return html.Header(className="pulse-header", children=dbc.Container(fluid=True, children=[
        html.Div(className="brand", children=[
            html.Span(className="brand-mark", **{"aria-hidden": "true"}),
            html.Div([
                html.H1("Pulse", className="brand-name"),
                html.Div(_("Sales dashboard"), className="brand-sub"),
            ]),
        ]),
        html.Div(className="data-facts", children=[
            html.Span([html.Span(_("Data "), className="fact-label"),
                       html.Span(NONE, id="data-range")], className="fact"),
            html.Span([html.Span(_("As of "), className="fact-label"),
                       html.Span(NONE, id="data-asof")], className="fact"),
            dbc.Badge(_("Synthetic demo data"), id="synthetic-badge", color="warning",
                      className="synthetic-badge", style={"display": "none"},
                      title=_("Generated by `pulse demo`: no real order, customer or "
                              "review")),
            views_menu(lang),
            language_menu(lang, settings),
        ]),
        theme_switch(lang),
    ]))


def banners(lang: Lang) -> html.Div:
    """Messages above everything: database down, a wrong link, nothing matching."""
    _ = lang.gettext
    return html.Div(className="banners", children=[
        html.Div(id="db-error-banner", role="alert", hidden=True,
                 className="alert alert-danger pulse-alert"),
        html.Div(id="view-notice", role="status", hidden=True,
                 className="alert alert-warning pulse-alert"),
        html.Div(id="empty-notice", role="status", hidden=True,
                 className="alert alert-info pulse-alert", children=[
                     html.Strong(_(charts.EMPTY_MESSAGE)),
                     html.Span(_(" Widen the date range or remove a filter."))]),
    ])


def _dropdown(name: str, label: str, placeholder: str,
              options: list[dict[str, str]] | None = None, xs: int = 6) -> dbc.Col:
    return dbc.Col(xs=xs, lg=True, className="filter-field", children=[
        html.Label(label, htmlFor=f"f-{name}", className="filter-label"),
        dcc.Dropdown(id=f"f-{name}", options=options or [], value=[], multi=True,
                     placeholder=placeholder, className="filter-dropdown", clearable=True,
                     maxHeight=280),
    ])


def quick_pick_buttons(picks: list[tuple[str, str]], lang: Lang, active: Iterable[str] = ()
                       ) -> list[dbc.Button]:
    chosen = set(active)
    return [dbc.Button(lang.gettext(label), id={"type": "quick", "key": key}, size="sm",
                       color="primary", outline=key not in chosen, className="quick-pick",
                       n_clicks=0)
            for key, label in picks]


def filter_bar(lang: Lang) -> html.Section:
    _ = lang.gettext
    region_options = [{"label": f"{_(REGION_NAMES.get(r, r))} ({r})", "value": r}
                      for r in region_map()]
    return html.Section(className="filter-bar card", **{"aria-label": _("Filters")}, children=[
        dbc.Row(className="g-2 align-items-end", children=[
            dbc.Col(xs=12, md="auto", className="filter-field", children=[
                html.Label(_("Date range"), htmlFor="f-dates", className="filter-label"),
                dcc.DatePickerRange(id="f-dates", updatemode="bothdates",
                                    display_format=DATE_DISPLAY.get(lang.code, "DD/MM/YYYY"),
                                    first_day_of_week=lang.week_start,
                                    start_date_placeholder_text=_("Start"),
                                    end_date_placeholder_text=_("End"),
                                    className="filter-dates"),
            ]),
            dbc.Col(xs=12, md=True, className="filter-field", children=[
                html.Div(_("Quick picks"), className="filter-label", id="quick-label"),
                html.Div(quick_pick_buttons(quick_picks(None, None), lang), id="quick-picks",
                         className="quick-picks", role="group",
                         **{"aria-labelledby": "quick-label"}),
            ]),
        ]),
        dbc.Row(className="g-2 align-items-end mt-1", children=[
            _dropdown("state", lang.place("State"), lang.place("All states")),
            _dropdown("region", lang.place("Region"), lang.place("All regions"),
                      region_options),
            _dropdown("category", _("Category"), _("All categories")),
            _dropdown("payment_type", _("Payment type"), _("All payment types")),
            # its options come from the server as the person types (panels/sellers.py)
            _dropdown("seller", _("Seller"), _("All sellers (type to search)"), xs=12),
            dbc.Col(xs=12, lg="auto", className="filter-field", children=[
                dbc.Button(_("Reset filters"), id="reset", color="primary", outline=True,
                           className="reset-button w-100", n_clicks=0),
            ]),
        ]),
        html.Div(id="view-caption", className="view-caption", children=NONE),
    ])


def kpi_card(field: str, lang: Lang) -> html.Div:
    _ = lang.gettext
    extra = []
    if field == "customers":
        extra = [html.Div(className="kpi-sub", children=[
            html.Span(_("New ")),
            html.Span(NONE, id="kpi-new_customers", className="kpi-subvalue"),
            html.Span(NONE, id="kpi-new_customers-change", className="kpi-change tone-none"),
        ])]
    wide = " kpi-card-wide" if field == "sales" else ""  # the biggest number, two columns
    return html.Div(className="kpi-card" + wide, title=_(KPI_HELP[field]), children=[
        html.Div(className="kpi-top", children=[
            html.Div(_(KPI_LABELS[field]), className="kpi-label"), card_button(field, lang)]),
        html.Div(NONE, id=f"kpi-{field}", className="kpi-value"),
        html.Div(className="kpi-foot", children=[
            html.Span(NONE, id=f"kpi-{field}-change", className="kpi-change tone-none"),
            html.Span(_(" vs previous period"), className="kpi-vs"),
        ]),
        *extra,
        *([html.Div("", id="kpi-sales-target", className="kpi-sub kpi-target")]
          if field == "sales" else []),
    ])


def kpi_grid(lang: Lang) -> html.Section:
    return html.Section(className="kpi-grid", **{"aria-label": lang.gettext("Key figures")},
                        children=[kpi_card(f, lang) for f in CARD_FIELDS])


def csv_button(chart: str, lang: Lang) -> dbc.Button:
    return dbc.Button("CSV", id={"type": "csv", "chart": chart}, size="sm", color="light",
                      className="csv-button", n_clicks=0,
                      title=lang.gettext("Download the numbers of this chart as CSV"))


def panel(title: str, hint: str, body: Any, chart: str, lang: Lang, tools: Any = None,
          class_name: str = "") -> dbc.Card:
    """A chart's card: title, one-line hint on how to use it, tools, CSV export."""
    return dbc.Card(className=f"panel h-100 {class_name}", children=[
        html.Div(className="panel-head", children=[
            html.Div([html.H2(title, className="panel-title"),
                      html.Div(hint, className="panel-hint")]),
            html.Div(className="panel-tools", children=[
                *(tools if isinstance(tools, list) else [tools]), csv_button(chart, lang)]),
        ]),
        html.Div(body, className="panel-body"),
    ])


def grain_toggle(lang: Lang) -> html.Div:
    """Month or Day for the sales-over-time chart; the choice lives in the URL (`grain=`,
    urlstate.with_grain), like the filters, so a link or a saved view keeps it."""
    _ = lang.gettext
    return html.Div(role="radiogroup", **{"aria-label": _("Time grain")}, children=dbc.RadioItems(
        id="timeseries-grain", value="month", inline=True,
        options=[{"label": _("Month"), "value": "month"}, {"label": _("Day"), "value": "day"}],
        class_name="btn-group btn-group-sm choice-group", input_class_name="btn-check",
        label_class_name="btn btn-outline-primary btn-sm",
        label_checked_class_name="active"))


def graph(graph_id: str, name: str, height: int, lang: Lang, figure: Any = None
          ) -> dcc.Loading:
    return dcc.Loading(
        type="circle", delay_show=350, overlay_style={"visibility": "visible", "opacity": 0.55},
        children=dcc.Graph(id=graph_id, config=graph_config(name, lang),
                           figure=figure if figure is not None else charts.empty_figure(
                               "", lang),
                           style={"height": f"{height}px"}, className="chart"),
    )


def charts_section(geo: GeoData, lang: Lang) -> html.Section:
    _ = lang.gettext
    map_figure = (charts.map_figure([], "sales", (), geo.ids, lang, geo.names, geo.geojson,
                                    geo.key)
                  if geo.geojson is not None and geo.ids else charts.empty_figure(
                      geo.problem or _("No map"), lang))
    map_tools = dcc.Dropdown(id="map-metric", value="sales",
                             options=[{"label": _(KPI_LABELS[m]), "value": m}
                                      for m in charts.MAP_METRICS],
                             clearable=False, searchable=False, className="tool-select",
                             style={"minWidth": "11rem"})
    top_tools = dcc.Dropdown(id="category-top", value=charts.DEFAULT_TOP_N,
                             options=[{"label": _("Top %(num)d") % {"num": n}, "value": n}
                                      for n in TOP_N],
                             clearable=False, searchable=False,
                             className="tool-select", style={"minWidth": "6.5rem"})
    return html.Section(className="charts", children=[
        dbc.Row(className="g-3", children=[
            dbc.Col(lg=8, children=panel(
                _("Sales and orders over time"),
                _("By month or by day; drag across bars to set the date range; "
                  "shift-click a bar: its month's orders"),
                graph("timeseries-chart", "timeseries", 340, lang), "timeseries", lang,
                grain_toggle(lang))),
            dbc.Col(lg=4, children=panel(
                _("Growth"), _("Sales change month over month and year over year; "
                               "shift-click a month: its orders"),
                graph("growth-chart", "growth", 340, lang), "growth", lang)),
        ]),
        dbc.Row(className="g-3 mt-0", children=[
            dbc.Col(lg=6, children=panel(
                lang.place("Sales by state"),
                lang.place("Click a state to filter; click it again to clear; "
                           "shift-click: its orders"),
                graph("state-map", "map", 430, lang, map_figure), "map", lang,
                [map_tools, chart_button("map", lang)])),
            dbc.Col(lg=6, children=panel(
                _("Sales by category"), _("Click a bar to filter; click it again to clear; "
                                          "shift-click: its orders"),
                graph("category-chart", "categories", 430, lang), "category", lang,
                [top_tools, chart_button("category", lang)])),
        ]),
        dbc.Row(className="g-3 mt-0", children=[
            dbc.Col(lg=6, children=panel(
                _("Payment methods"), _("Share of orders and of value · click a row to "
                                        "filter; shift-click: its orders"),
                graph("payment-chart", "payments", 330, lang), "payment", lang,
                chart_button("payment", lang))),
            dbc.Col(lg=6, children=panel(
                _("Summary of earnings"), lang.place("Sales, freight and payments per region"),
                html.Div(id="earnings-table", className="table-wrap"), "earnings", lang)),
        ]),
    ])


def summaries(lang: Lang) -> html.Section:
    _ = lang.gettext
    return html.Section(className="summaries mt-3", children=[
        panel(_("Summary of changes"), _("Each figure now and in the previous period"),
              html.Div(id="changes-table", className="table-wrap"), "changes", lang),
    ])


def footer(lang: Lang) -> html.Footer:
    _ = lang.gettext
    return html.Footer(className="pulse-footer", children=[
        html.Span(_("Pulse · open-source sales dashboard · ")),
        html.A(_("REST API"), href="/api/v1/openapi.json"),
        html.Span(_(" (same filters as this page's URL) · PNG export: camera icon on each "
                    "chart")),
    ])


def build_layout() -> html.Div:
    """The whole page in the request's language (Dash calls this per page load; it reads
    no data, and a language's tree is built once: `page_for`)."""
    settings = _settings()
    return page_for(request_lang(settings), settings)


def register_layout(app: Dash) -> None:
    """The page, and `/_dash-layout` answered from its JSON kept per language.

    Every page load asks for the layout, and its tree is the same for everyone reading
    one language (`page_for`: no data, no user in it), yet Dash turned it into ~440 KB
    of JSON on each request (`Dash.serve_layout`: `to_json_plotly(get_layout())`): 70-120
    ms of a web process's CPU per page load, before any number is drawn. The JSON is now
    made once per language and settings, the same way. (Pulse uses no Dash layout hooks,
    which could vary it per request.)"""
    app.layout = build_layout
    endpoint = app.config.routes_pathname_prefix + "_dash-layout"

    @lru_cache(maxsize=16)
    def layout_json(lang: Lang, settings: Settings) -> bytes:  # noqa: ARG001 - the key
        return to_json_plotly(app.get_layout()).encode()

    def serve_layout() -> Response:
        settings = _settings()
        return Response(layout_json(request_lang(settings), settings),
                        mimetype="application/json")

    if endpoint not in app.server.view_functions:
        raise RuntimeError(f"Dash serves no {endpoint} route to answer from the cache")
    app.server.view_functions[endpoint] = serve_layout


@lru_cache(maxsize=16)
def page_for(lang: Lang, settings: Settings) -> html.Div:
    """The page of one language (settings: the app's; both hashable, frozen)."""
    geo = load_geo(str(settings.geojson), settings.geo_key)
    return html.Div(className="pulse", lang=lang.code.replace("_", "-"), children=[
        stores(settings, lang),
        header(lang, settings),
        html.Main(className="pulse-main container-fluid", children=[
            banners(lang),
            filter_bar(lang),
            kpi_grid(lang),
            charts_section(geo, lang),
            lazy("sellers", sellers_panel(lang)),
            summaries(lang),
            lazy("orders", orders_panel(lang)),
            lazy("customers", customers_section(lang)),
            lazy("impact", insight_panel(lang)),
            lazy("forecast", forecast_panel(lang)),
            lazy("shortages", shortages_panel(lang)),
            footer(lang),
        ]),
    ])
