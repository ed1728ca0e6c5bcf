"""The "Event impact" panel: /api/v1/impact's answer on the page, for the page's filters.

Why it asks `InsightAnswers.impact`, the API handler's own question: the page and
`/api/v1/impact?event=...` then share one answer per data version, filters and event
(the first to ask pays, the other reads the cache), and they cannot disagree. The page
never runs SQL itself.

A click on a row of the ranked table toggles that category or state in the URL, like a
click on a category bar or on a state of the map.
"""

from __future__ import annotations

import logging
from datetime import date

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ...filters import FilterError, Filters
from ...insight import reports
from ...insight.answers import InsightAnswers
from ...insight.impact import ImpactError
from ...insight.runner import Busy, Pending
from ...service import DatabaseUnavailable, NoData
from ...userdata import UserData
from .. import charts
from .. import formatting as fmt
from ..formatting import N_
from ..i18n import Lang, lang_of
from ..lazy import view_store
from ..problems import panel_message
from .frame import RETRY_MS, insight_card, row_click_search
from .insight_texts import error_text, notes_text, reason_text

log = logging.getLogger(__name__)

DIM_LABELS = {"category": N_("Categories"), "state": N_("States")}
#: The event presets' names (insight.reports.EVENT_PRESETS), for the catalogs.
PRESET_LABELS = (N_("WHO declares COVID-19 a pandemic"),
                 N_("São Paulo state quarantine begins"),
                 N_("COVID-19 vaccination starts in Brazil"),
                 N_("Truck drivers' strike begins in Brazil"))


# --- formatting -----------------------------------------------------------------------------


def _amount(value: float | None, metric: str, lang: Lang) -> str:
    if value is None:
        return fmt.NONE
    if metric == "sales":
        text = fmt.money(abs(value), lang)
    else:
        count = round(abs(value))
        text = lang.ngettext("%(num)s order", "%(num)s orders", count) % {
            "num": fmt.integer(count, lang)}
    return ("+" if value > 0 else fmt.MINUS if value < 0 else "") + text


def summary_text(body: dict, lang: Lang) -> str:
    """One sentence on the headline: lift with its interval, significance, cumulative
    difference (the test formats the API's answer with this same function)."""
    _ = lang.gettext
    metric = str(body.get("metric") or "orders")
    what = _("Sales") if metric == "sales" else _("Orders")
    level = body.get("level")
    level_text = (_("%(level)s interval") % {"level": fmt.percent(float(level), lang, 0)}
                  if isinstance(level, int | float) else _("interval"))
    verdict = _("significant") if body.get("significant") else _("not significant")
    total = (body.get("totals") or {}).get(metric) or {}
    window = body.get("window") or {}
    span = {"what": what, "start": fmt.nice_date(body.get("event"), lang),
            "end": fmt.nice_date(window.get("end"), lang)}
    if body.get("lift") is None:  # too little data under these filters: say why, no numbers
        why = " ".join(notes_text(body, lang)).rstrip(".") or _("too little data")
        return _("%(what)s from %(start)s to %(end)s: no estimate for these filters "
                 "(%(why)s).") % {**span, "why": why}
    return _("%(what)s from %(start)s to %(end)s: %(lift)s vs expected (%(interval)s "
             "%(low)s to %(high)s), %(verdict)s. Cumulative difference %(difference)s.") % {
        **span, "lift": fmt.signed_percent(body.get("lift"), lang), "interval": level_text,
        "low": fmt.signed_percent(body.get("lift_low"), lang),
        "high": fmt.signed_percent(body.get("lift_high"), lang), "verdict": verdict,
        "difference": _amount(total.get("difference"), metric, lang)}


def impact_figure(body: dict, lang: Lang) -> go.Figure:
    """Actual vs expected (the counterfactual) with its uncertainty band; event marked."""
    _ = lang.gettext
    metric = str(body.get("metric") or "orders")
    points = body.get("series") or []
    if not points:
        return charts.empty_figure(_("No series for this event"), lang)
    x = [p["period"] for p in points]
    fig = go.Figure()
    fig.add_scatter(x=x, y=[p.get(f"{metric}_upper") for p in points], mode="lines",
                    line={"width": 0}, hoverinfo="skip", showlegend=False)
    fig.add_scatter(x=x, y=[p.get(f"{metric}_lower") for p in points], mode="lines",
                    line={"width": 0}, fill="tonexty", fillcolor="rgba(0,114,178,0.15)",
                    name=_("Uncertainty band"), hoverinfo="skip")
    fig.add_scatter(x=x, y=[p.get(f"{metric}_expected") for p in points], mode="lines",
                    name=_("Expected"), line={"color": charts.BLUE, "dash": "dash", "width": 2})
    fig.add_scatter(x=x, y=[p.get(metric) for p in points], mode="lines", name=_("Actual"),
                    line={"color": charts.ORANGE, "width": 2.2})
    event = body.get("event")
    axis = {"gridcolor": "#EEF1F4", "rangemode": "tozero", "fixedrange": True}
    fig.update_layout(**charts.base_layout(
        lang, showlegend=True, legend=charts.LEGEND, margin=charts.LEGEND_MARGIN,
        hovermode="x unified",
        xaxis={"type": "date", "showgrid": False, "fixedrange": True},
        yaxis=charts.money_axis(lang, **axis) if metric == "sales"
        else {**axis, "tickformat": "~s"},
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": event, "x1": event,
                 "y0": 0, "y1": 1, "line": {"color": charts.MUTED, "dash": "dot"}}],
    ))
    return fig


def _row(dim: str, row: dict, metric: str, selected: set[str], lang: Lang) -> html.Tr:
    _ = lang.gettext
    key = str(row["key"])
    if row.get("lift") is None:  # too little data for a lift: say so, the reason on hover
        reason = reason_text(row, lang)
        cells = [html.Td(key), html.Td(fmt.NONE, title=reason),
                 html.Td(_("not enough data"), title=reason, className="text-muted"),
                 html.Td(fmt.NONE), html.Td("")]
    else:
        cells = [
            html.Td(key),
            html.Td(fmt.signed_percent(row["lift"], lang)),
            html.Td(_("%(low)s to %(high)s") % {
                "low": fmt.signed_percent(row["lift_low"], lang),
                "high": fmt.signed_percent(row["lift_high"], lang)}),
            html.Td(_amount(row.get("difference"), metric, lang)),
            html.Td(_("yes") if row.get("significant") else _("no")),
        ]
    return html.Tr(cells, id={"type": "impact-row", "dim": dim, "key": key}, n_clicks=0,
                   className="impact-row" + (" table-active" if key in selected else ""),
                   role="button",
                   title=_("Click to filter by %(key)s; click again to clear") % {"key": key},
                   style={"cursor": "pointer"})


def impact_table(body: dict, filters_json: dict, lang: Lang) -> html.Div:
    """Categories and states ranked by lift vs their own expectation (gained most first)."""
    _ = lang.gettext
    metric = str(body.get("metric") or "orders")
    parts = []
    for dim, label in DIM_LABELS.items():
        rows = body.get(f"by_{dim}") or []
        if not rows:
            continue
        selected = set(filters_json.get(dim) or ())
        parts.append(html.Table(className="table table-sm table-hover impact-table", children=[
            html.Thead(html.Tr([html.Th(lang.place(label)), html.Th(_("Lift")),
                                html.Th(_("Interval")), html.Th(_("Difference")),
                                html.Th(_("Significant"))])),
            html.Tbody([_row(dim, r, metric, selected, lang) for r in rows]),
        ]))
    if not parts:
        return html.Div(lang.place("No categories or states to rank."),
                        className="empty-table")
    return html.Div(parts)


# --- the block ------------------------------------------------------------------------------


def insight_panel(lang: Lang) -> html.Section:
    _ = lang.gettext
    presets = [dbc.Button(_(p["label"]), id={"type": "impact-preset", "date": p["date"]},
                          size="sm", color="primary", outline=True, n_clicks=0,
                          className="quick-pick", title=fmt.nice_date(p["date"], lang))
               for p in reports.EVENT_PRESETS]
    return insight_card("impact-panel", _("Event impact"),
                        _("Actual vs expected after an event, for the filters "
                          "above · click a row to filter"), [
                dbc.Row(className="g-2 align-items-end", children=[
                    dbc.Col(xs=12, md="auto", className="filter-field", children=[
                        html.Label(_("Event date"), htmlFor="impact-event",
                                   className="filter-label"),
                        dcc.DatePickerSingle(id="impact-event",
                                             date=reports.DEFAULT_EVENT.isoformat(),
                                             display_format="YYYY-MM-DD",
                                             first_day_of_week=lang.week_start),
                    ]),
                    dbc.Col(xs=12, md=True, className="filter-field", children=[
                        html.Div(_("Events"), className="filter-label"),
                        html.Div([*presets, html.Span(id="impact-user-events")],
                                 className="quick-picks", role="group"),
                    ]),
                ]),
                html.Div(fmt.NONE, id="impact-summary", className="impact-summary my-2",
                         role="status"),
                dcc.Graph(id="impact-chart", config={"displaylogo": False,
                                                     "responsive": True,
                                                     "locale": lang.plotly},
                          figure=charts.empty_figure("", lang), style={"height": "320px"},
                          className="chart"),
                html.Div(id="impact-table", className="table-wrap table-scroll"),
                dcc.Interval(id="impact-retry", interval=RETRY_MS, disabled=True),
            ])


# --- callbacks ------------------------------------------------------------------------------


def register_insight_callbacks(app: Dash, answers: InsightAnswers) -> None:
    @app.callback(
        Output("impact-chart", "figure"), Output("impact-summary", "children"),
        Output("impact-table", "children"), Output("impact-retry", "disabled"),
        Input("impact-event", "date"), Input(view_store("impact"), "data"),
        Input("impact-retry", "n_intervals"), Input("lang", "data"), State("theme", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    @charts.themed_callback
    def show_impact(event: str | None, view: dict | None, _tick: int | None,
                    lang_store: dict | None) -> tuple:
        """The answer, or while the models work a "computing" line and a timer that asks
        again (the last picture stays until then), as the forecast view does."""
        if not view or view.get("error") or not view.get("filters"):
            raise PreventUpdate
        lang = lang_of(lang_store)
        _ = lang.gettext
        blank = charts.empty_figure("", lang)
        try:
            day = date.fromisoformat(str(event)[:10]) if event else None
        except ValueError:
            day = None
        if day is None:
            return blank, _("Pick an event date."), [], True
        try:
            filters = Filters.from_json(view.get("insight_filters") or view["filters"])
            body = answers.impact(filters, reports.ImpactParams(event=day))
        except (Pending, Busy):
            return no_update, _("Computing the impact for these filters\u2026"), no_update, \
                False
        except (ImpactError, FilterError) as exc:
            return (charts.empty_figure(_("Not enough history around this event"), lang),
                    _("Not enough history around the event: %(reason)s") % {
                        "reason": error_text(exc, lang)},
                    [], True)
        except (DatabaseUnavailable, NoData) as exc:
            return no_update, panel_message(exc, "impact", lang), no_update, True
        except Exception as exc:  # noqa: BLE001 - a bug here must not break the page
            log.exception("event impact failed")
            return blank, panel_message(exc, "impact", lang), [], True
        return (impact_figure(body, lang), summary_text(body, lang),
                impact_table(body, view["filters"], lang), True)

    @app.callback(
        Output("impact-event", "date"),
        Input({"type": "impact-preset", "date": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def pick_preset(clicks: list[int | None]) -> str:
        trigger = ctx.triggered_id
        if not trigger or not any(clicks) or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        return str(trigger["date"])

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input({"type": "impact-row", "dim": ALL, "key": ALL}, "n_clicks"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def click_row(clicks: list[int | None], search: str | None) -> str:
        return row_click_search(clicks, search)


def event_buttons(events: list[dict], lang: Lang) -> list[dbc.Button]:
    """The shop's own events (`pulse event add`, `POST /api/v1/events`) as presets beside
    the built-in ones: a click puts the event's first day in the date picker. The label
    is the person's own text, shown as written."""
    return [dbc.Button(str(e["label"]), id={"type": "impact-user-event",
                                            "date": str(e["start_day"]), "id": e["id"]},
                       size="sm", color="secondary", outline=True, n_clicks=0,
                       className="quick-pick",
                       title=fmt.date_range(e["start_day"], e["end_day"], lang)
                       if e["end_day"] != e["start_day"] else fmt.nice_date(e["start_day"], lang))
            for e in events]


def register_event_presets(app: Dash, userdata: UserData) -> None:
    @app.callback(Output("impact-user-events", "children"), Input(view_store("impact"), "data"),
                  Input("plans-version", "data"), State("lang", "data"),
                  prevent_initial_call=True)  # lazy, like the panel
    def list_events(view: dict | None, _version: int | None, lang_store: dict | None) -> list:
        """Every event, whatever the view's dates: the panel's models read the whole
        history (`insight_filters`); listed again when the Events dialog changes one."""
        try:
            return event_buttons(userdata.events(), lang_of(lang_store))
        except DatabaseUnavailable:
            return []

    @app.callback(
        Output("impact-event", "date", allow_duplicate=True),
        Input({"type": "impact-user-event", "date": ALL, "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def pick_event(clicks: list[int | None]) -> str:
        trigger = ctx.triggered_id
        if not trigger or not any(clicks) or not ctx.triggered[0].get("value"):
            raise PreventUpdate
        return str(trigger["date"])
