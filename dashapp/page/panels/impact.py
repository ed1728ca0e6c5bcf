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
from .. import charts
from .. import formatting as fmt
from ..problems import panel_message
from .frame import RETRY_MS, insight_card, row_click_search

log = logging.getLogger(__name__)

DIM_LABELS = {"category": "Categories", "state": "States"}


# --- formatting -----------------------------------------------------------------------------


def _amount(value: float | None, metric: str) -> str:
    if value is None:
        return fmt.NONE
    if metric == "sales":
        text = fmt.money(abs(value))
    else:
        text = f"{abs(value):,.0f} orders"
    return ("+" if value > 0 else "\u2212" if value < 0 else "") + text


def summary_text(body: dict) -> str:
    """One sentence on the headline: lift with its interval, significance, cumulative
    difference (the test formats the API's answer with this same function)."""
    metric = str(body.get("metric") or "orders")
    level = body.get("level")
    level_text = f"{float(level) * 100:.0f}% " if isinstance(level, int | float) else ""
    verdict = "significant" if body.get("significant") else "not significant"
    total = (body.get("totals") or {}).get(metric) or {}
    window = body.get("window") or {}
    if body.get("lift") is None:  # too little data under these filters: say why, no numbers
        why = " ".join(str(n) for n in body.get("notes") or []).rstrip(".") or "too little data"
        return (f"{metric.capitalize()} from {fmt.nice_date(body.get('event'))} to "
                f"{fmt.nice_date(window.get('end'))}: no estimate for these filters ({why}).")
    return (f"{metric.capitalize()} from {fmt.nice_date(body.get('event'))} to "
            f"{fmt.nice_date(window.get('end'))}: "
            f"{fmt.signed_percent(body.get('lift'))} vs expected "
            f"({level_text}interval {fmt.signed_percent(body.get('lift_low'))} to "
            f"{fmt.signed_percent(body.get('lift_high'))}), {verdict}. "
            f"Cumulative difference {_amount(total.get('difference'), metric)}.")


def impact_figure(body: dict) -> go.Figure:
    """Actual vs expected (the counterfactual) with its uncertainty band; event marked."""
    metric = str(body.get("metric") or "orders")
    points = body.get("series") or []
    if not points:
        return charts.empty_figure("No series for this event")
    x = [p["period"] for p in points]
    fig = go.Figure()
    fig.add_scatter(x=x, y=[p.get(f"{metric}_upper") for p in points], mode="lines",
                    line={"width": 0}, hoverinfo="skip", showlegend=False)
    fig.add_scatter(x=x, y=[p.get(f"{metric}_lower") for p in points], mode="lines",
                    line={"width": 0}, fill="tonexty", fillcolor="rgba(0,114,178,0.15)",
                    name="Uncertainty band", hoverinfo="skip")
    fig.add_scatter(x=x, y=[p.get(f"{metric}_expected") for p in points], mode="lines",
                    name="Expected", line={"color": charts.BLUE, "dash": "dash", "width": 2})
    fig.add_scatter(x=x, y=[p.get(metric) for p in points], mode="lines", name="Actual",
                    line={"color": charts.ORANGE, "width": 2.2})
    event = body.get("event")
    fig.update_layout(**charts.base_layout(
        showlegend=True, legend=charts.LEGEND, margin=charts.LEGEND_MARGIN,
        hovermode="x unified",
        xaxis={"type": "date", "showgrid": False, "fixedrange": True},
        yaxis={"gridcolor": "#EEF1F4", "rangemode": "tozero", "fixedrange": True,
               "tickprefix": "R$ " if metric == "sales" else "", "tickformat": "~s"},
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": event, "x1": event,
                 "y0": 0, "y1": 1, "line": {"color": charts.MUTED, "dash": "dot"}}],
    ))
    return fig


def _row(dim: str, row: dict, metric: str, selected: set[str]) -> html.Tr:
    key = str(row["key"])
    if row.get("lift") is None:  # too little data for a lift: say so, the reason on hover
        reason = str(row.get("reason") or "")
        cells = [html.Td(key), html.Td(fmt.NONE, title=reason),
                 html.Td("not enough data", title=reason, className="text-muted"),
                 html.Td(fmt.NONE), html.Td("")]
    else:
        cells = [
            html.Td(key),
            html.Td(fmt.signed_percent(row["lift"])),
            html.Td(f"{fmt.signed_percent(row['lift_low'])} to "
                    f"{fmt.signed_percent(row['lift_high'])}"),
            html.Td(_amount(row.get("difference"), metric)),
            html.Td("yes" if row.get("significant") else "no"),
        ]
    return html.Tr(cells, id={"type": "impact-row", "dim": dim, "key": key}, n_clicks=0,
                   className="impact-row" + (" table-active" if key in selected else ""),
                   role="button", title=f"Click to filter by {key}; click again to clear",
                   style={"cursor": "pointer"})


def impact_table(body: dict, filters_json: dict) -> html.Div:
    """Categories and states ranked by lift vs their own expectation (gained most first)."""
    metric = str(body.get("metric") or "orders")
    parts = []
    for dim, label in DIM_LABELS.items():
        rows = body.get(f"by_{dim}") or []
        if not rows:
            continue
        selected = set(filters_json.get(dim) or ())
        parts.append(html.Table(className="table table-sm table-hover impact-table", children=[
            html.Thead(html.Tr([html.Th(label), html.Th("Lift"), html.Th("Interval"),
                                html.Th("Difference"), html.Th("Significant")])),
            html.Tbody([_row(dim, r, metric, selected) for r in rows]),
        ]))
    if not parts:
        return html.Div("No categories or states to rank.", className="empty-table")
    return html.Div(parts)


# --- the block ------------------------------------------------------------------------------


def insight_panel() -> html.Section:
    presets = [dbc.Button(p["label"], id={"type": "impact-preset", "date": p["date"]},
                          size="sm", color="primary", outline=True, n_clicks=0,
                          className="quick-pick", title=p["date"])
               for p in reports.EVENT_PRESETS]
    return insight_card("impact-panel", "Event impact",
                        "Actual vs expected after an event, for the filters "
                        "above · click a row to filter", [
                dbc.Row(className="g-2 align-items-end", children=[
                    dbc.Col(xs=12, md="auto", className="filter-field", children=[
                        html.Label("Event date", htmlFor="impact-event",
                                   className="filter-label"),
                        dcc.DatePickerSingle(id="impact-event",
                                             date=reports.DEFAULT_EVENT.isoformat(),
                                             display_format="YYYY-MM-DD",
                                             first_day_of_week=1),
                    ]),
                    dbc.Col(xs=12, md=True, className="filter-field", children=[
                        html.Div("Events", className="filter-label"),
                        html.Div(presets, className="quick-picks", role="group"),
                    ]),
                ]),
                html.Div(fmt.NONE, id="impact-summary", className="impact-summary my-2",
                         role="status"),
                dcc.Graph(id="impact-chart", config={"displaylogo": False,
                                                     "responsive": True},
                          figure=charts.empty_figure(""), style={"height": "320px"},
                          className="chart"),
                html.Div(id="impact-table", className="table-wrap table-scroll"),
                dcc.Interval(id="impact-retry", interval=RETRY_MS, disabled=True),
            ])


# --- callbacks ------------------------------------------------------------------------------


def register_insight_callbacks(app: Dash, answers: InsightAnswers) -> None:
    @app.callback(
        Output("impact-chart", "figure"), Output("impact-summary", "children"),
        Output("impact-table", "children"), Output("impact-retry", "disabled"),
        Input("impact-event", "date"), Input("view", "data"),
        Input("impact-retry", "n_intervals"), Input("theme", "data"),
    )
    @charts.themed_callback
    def show_impact(event: str | None, view: dict | None, _tick: int | None) -> tuple:
        """The answer, or while the models work a "computing" line and a timer that asks
        again (the last picture stays until then), as the forecast view does."""
        if not view or view.get("error") or not view.get("filters"):
            raise PreventUpdate
        blank = charts.empty_figure("")
        try:
            day = date.fromisoformat(str(event)[:10]) if event else None
        except ValueError:
            day = None
        if day is None:
            return blank, "Pick an event date.", [], True
        try:
            filters = Filters.from_json(view.get("insight_filters") or view["filters"])
            body = answers.impact(filters, reports.ImpactParams(event=day))
        except (Pending, Busy):
            return no_update, "Computing the impact for these filters\u2026", no_update, False
        except (ImpactError, FilterError) as exc:
            return (charts.empty_figure("Not enough history around this event"),
                    f"Not enough history around the event: {exc}", [], True)
        except (DatabaseUnavailable, NoData) as exc:
            return no_update, panel_message(exc, "impact"), no_update, True
        except Exception as exc:  # noqa: BLE001 - a bug here must not break the page
            log.exception("event impact failed")
            return blank, panel_message(exc, "impact"), [], True
        return (impact_figure(body), summary_text(body), impact_table(body, view["filters"]),
                True)

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
