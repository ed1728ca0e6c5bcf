"""The "Shortages and delivery delays" view: /api/v1/shortages's answer on the page.

Why it asks ``InsightAnswers.shortages``, the API handler's own question, with the
API's default `top`: the page and `/api/v1/shortages?grain=...&<filters>` then share one
cached answer per data version, filters and grain, computed once on the insight runner's pool, and
cannot disagree. The page never runs SQL itself.

What it shows: the unavailable-order rate, the share of late deliveries and the mean
delivery time per month or week for the page's filters, each against its usual level
(the trailing median the spike rule compares with), spike periods as distinct markers,
and the rule itself in words (from the API's `method`); then the top categories and
states with their own spikes. A click on a group's row toggles that category or state in
the URL, like a click on a bar or on the map: the chart then shows that group's series,
whose spikes are exactly the ones its row lists (the API computes both the same way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots

from ...filters import Filters
from ...insight import reports
from ...insight.answers import GRAINS_SHORTAGES, InsightAnswers
from .. import charts
from .. import formatting as fmt
from .frame import RETRY_MS, ask, choice_buttons, insight_card, row_click_search
from .impact import DIM_LABELS

#: The API's metrics, in the chart's order (top to bottom).
METRICS = ("unavailable_rate", "late_rate", "avg_delivery_days")
TITLES = {"unavailable_rate": "Unavailable orders", "late_rate": "Late deliveries",
          "avg_delivery_days": "Delivery time (days)"}
SHORT = {"unavailable_rate": "unavailable", "late_rate": "late deliveries",
         "avg_delivery_days": "delivery time"}
AXIS_FORMAT = {"unavailable_rate": ".1%", "late_rate": ".0%", "avg_delivery_days": ",.0f"}
GRAIN_LABELS = {"month": "Month", "week": "Week"}
SPIKE = "Spike"


# --- formatting (pure: the browser tests format the API's answer with these) --------------


def metric_value(metric: str, value: float | None) -> str:
    """A rate as a percentage (one decimal), a delivery time as `12.3 days`."""
    if metric == "avg_delivery_days":
        return fmt.kpi_value("avg_delivery_days", value)
    return fmt.percent(value)


def period_label(period: str, grain: str) -> str:
    """`2020-04` -> `Apr 2020`; a week (its Monday) -> `week of 27 Apr 2020`."""
    if grain == "month":
        return date.fromisoformat(f"{period}-01").strftime("%b %Y")
    return f"week of {fmt.nice_date(period)}"


def spike_text(spike: Mapping[str, Any], grain: str) -> str:
    """`Apr 2020 delivery time: 18.5 days vs usual 12.8 days (z 5.7)`."""
    metric = str(spike["metric"])
    z = spike.get("z")
    return (f"{period_label(str(spike['period']), grain)} {SHORT.get(metric, metric)}: "
            f"{metric_value(metric, spike.get('value'))} vs usual "
            f"{metric_value(metric, spike.get('baseline'))}"
            f" (z {fmt.NONE if z is None else fmt.number(z, 1)})")


def spike_rule(method: Mapping[str, Any], grain: str) -> str:
    """What a highlighted period means, in the API's own parameters (its `method`)."""
    unit = "months" if grain == "month" else "weeks"
    threshold = fmt.number(method.get("threshold"), 1)
    return (f"Spike: a period at least {threshold} robust z-scores above the median of the "
            f"trailing {method.get('window')} {unit} (its usual level), against both that "
            f"median's spread and the period's own sampling noise; judged once "
            f"{method.get('min_history')} {unit} of history exist, and for the two rates "
            f"only with at least {method.get('min_events')} affected orders.")


def spike_summary(body: Mapping[str, Any]) -> str:
    """One line on the filters' own series: how many spikes, the strongest named."""
    grain = str(body.get("grain") or "month")
    spikes: Sequence[Mapping[str, Any]] = body.get("spikes") or []
    per = "month" if grain == "month" else "week"
    if not spikes:
        return f"No spikes for these filters (per {per})."
    shown = "; ".join(spike_text(s, grain) for s in spikes[:3])
    more = f"; and {len(spikes) - 3} more" if len(spikes) > 3 else ""
    count = "1 spike" if len(spikes) == 1 else f"{len(spikes)} spikes"
    return f"{count} for these filters (per {per}), strongest first: {shown}{more}."


def trimmed(body: Mapping[str, Any]) -> dict[str, Any]:
    """The answer without each group's own series (the page lists groups and their
    spikes; their series would make the browser's copy many times larger)."""
    out = dict(body)
    for dim in DIM_LABELS:
        out[f"by_{dim}"] = [{k: v for k, v in g.items() if k != "points"}
                            for g in body.get(f"by_{dim}") or []]
    return out


def shortages_figure(body: Mapping[str, Any]) -> go.Figure:
    """Three stacked panels sharing the time axis: value, usual level, spikes marked."""
    points: Sequence[Mapping[str, Any]] = body.get("series") or []
    if not points:
        return charts.empty_figure()
    grain = str(body.get("grain") or "month")
    hover_date = "%{x|%b %Y}" if grain == "month" else "week of %{x|%-d %b %Y}"
    fig = make_subplots(rows=len(METRICS), cols=1, shared_xaxes=True,
                        vertical_spacing=0.11, subplot_titles=[TITLES[m] for m in METRICS])
    x = [p["period"] for p in points]
    spike_legend = False
    for row, metric in enumerate(METRICS, start=1):
        fig.add_scatter(
            x=x, y=[p.get(f"{metric}_baseline") for p in points], mode="lines",
            name="Usual level (trailing median)", legendgroup="baseline", showlegend=row == 1,
            line={"color": charts.GREY, "width": 1.4, "dash": "dot"}, hoverinfo="skip",
            row=row, col=1)
        fig.add_scatter(
            x=x, y=[p.get(metric) for p in points], mode="lines", name="Value",
            legendgroup="value", showlegend=row == 1,
            line={"color": charts.BLUE, "width": 1.8},
            customdata=[[metric_value(metric, p.get(metric)),
                         metric_value(metric, p.get(f"{metric}_baseline"))] for p in points],
            hovertemplate=(f"{hover_date}: %{{customdata[0]}} (usual %{{customdata[1]}})"
                           f"<extra>{TITLES[metric]}</extra>"),
            row=row, col=1)
        flagged = [p for p in points if p.get(f"{metric}_spike")]
        fig.add_scatter(
            x=[p["period"] for p in flagged], y=[p.get(metric) for p in flagged],
            mode="markers", name=f"{SPIKE} (see the rule below)", legendgroup="spike",
            showlegend=bool(flagged) and not spike_legend,
            marker={"color": charts.VERMILLION, "size": 10, "symbol": "circle",
                    "line": {"color": "white", "width": 1.5}},
            customdata=[[p["period"], metric, metric_value(metric, p.get(metric)),
                         metric_value(metric, p.get(f"{metric}_baseline")),
                         fmt.number(p.get(f"{metric}_z"), 1)] for p in flagged],
            hovertemplate=(f"{hover_date}: %{{customdata[2]}} vs usual %{{customdata[3]}}"
                           f"<br>z %{{customdata[4]}}<extra>Spike: {SHORT[metric]}</extra>"),
            row=row, col=1)
        spike_legend = spike_legend or bool(flagged)
        fig.update_yaxes(tickformat=AXIS_FORMAT[metric], rangemode="tozero",
                         gridcolor="#EEF1F4", fixedrange=True, row=row, col=1)
    fig.update_xaxes(type="date", showgrid=False, fixedrange=True)
    fig.update_annotations(font={"size": 12, "color": charts.MUTED}, x=0, xanchor="left")
    fig.update_layout(**charts.base_layout(
        showlegend=True, hovermode="closest",
        # above the first panel's title (plotly puts subplot titles just above each panel)
        legend={**charts.LEGEND, "y": 1.065},
        margin={**charts.LEGEND_MARGIN, "t": charts.LEGEND_MARGIN["t"] + 26}))
    return fig


def _row(dim: str, row: Mapping[str, Any], grain: str, selected: set[str]) -> html.Tr:
    key = str(row["key"])
    spikes = row.get("spikes") or []
    listed = "; ".join(spike_text(s, grain) for s in spikes)
    return html.Tr(
        id={"type": "shortage-row", "dim": dim, "key": key}, n_clicks=0,
        className="shortage-row" + (" table-active" if key in selected else ""),
        role="button", title=f"Click to filter by {key}; click again to clear",
        style={"cursor": "pointer"}, children=[
            html.Td(key),
            html.Td(fmt.integer(row.get("all_orders")), className="num optional-col"),
            html.Td(metric_value("unavailable_rate", row.get("unavailable_rate")),
                    className="num"),
            html.Td(metric_value("late_rate", row.get("late_rate")), className="num"),
            html.Td(metric_value("avg_delivery_days", row.get("avg_delivery_days")),
                    className="num"),
            html.Td(str(len(spikes)), className="num spike-count" + (
                " has-spikes" if spikes else "")),
            html.Td(listed, className="spike-list"),
        ])


def group_tables(body: Mapping[str, Any]) -> html.Div:
    """The top categories and states (the API's order: most spikes first), each row
    clickable; the selection is the answer's own filters."""
    grain = str(body.get("grain") or "month")
    filters = body.get("filters") or {}
    parts = []
    for dim, label in DIM_LABELS.items():
        rows = body.get(f"by_{dim}") or []
        if not rows:
            continue
        selected = set(filters.get(dim) or ())
        parts.append(dbc.Col(lg=6, children=html.Div(className="table-scroll", children=[
            html.Table(className="table table-sm table-hover pulse-table shortage-table",
                       id=f"shortage-table-{dim}", children=[
                html.Thead(html.Tr([
                    html.Th(label), html.Th("Orders", className="num optional-col"),
                    html.Th("Unavailable", className="num"), html.Th("Late", className="num"),
                    html.Th("Delivery", className="num"), html.Th("Spikes", className="num"),
                    html.Th("Spike periods")])),
                html.Tbody([_row(dim, r, grain, selected) for r in rows]),
            ])])))
    if not parts:
        return html.Div("No categories or states to list.", className="empty-table")
    return dbc.Row(parts, className="g-3")


# --- the block ------------------------------------------------------------------------------


def shortages_panel() -> html.Section:
    grains = [{"label": GRAIN_LABELS[g], "value": g} for g in GRAINS_SHORTAGES]
    return insight_card("shortages-panel", "Shortages and delivery delays",
                        "Unavailable orders, late deliveries and delivery time "
                        "for the filters above; spikes marked · click a row to "
                        "filter", [
                dcc.Store(id="shortages-answer"),
                dcc.Interval(id="shortages-retry", interval=RETRY_MS, disabled=True),
                choice_buttons("shortages-grain", "Per", grains, "month"),
                html.Div(fmt.NONE, id="shortages-summary", role="status",
                         className="insight-note my-2"),
                dcc.Graph(id="shortages-chart", config={"displaylogo": False,
                                                        "responsive": True},
                          figure=charts.empty_figure(""), style={"height": "460px"},
                          className="chart"),
                html.Div(id="shortages-rule", className="panel-hint spike-rule"),
                html.Div(id="shortages-tables", className="table-wrap mt-2"),
            ])


# --- callbacks ------------------------------------------------------------------------------


def register_shortage_callbacks(app: Dash, answers: InsightAnswers) -> None:
    """Fetch (view + grain -> store, retried while computing), draw, list, and turn a
    row click into a filter."""

    @app.callback(
        Output("shortages-answer", "data"), Output("shortages-retry", "disabled"),
        Input("view", "data"), Input("shortages-grain", "value"),
        Input("shortages-retry", "n_intervals"),
    )
    def fetch_shortages(view: dict | None, grain: str | None, _tick: int | None) -> tuple:
        if not view or view.get("error") or not view.get("filters"):
            raise PreventUpdate
        grain = grain if grain in GRAINS_SHORTAGES else "month"
        filters = Filters.from_json(view.get("insight_filters") or view["filters"])
        answer, done = ask(lambda: answers.shortages(filters, grain, reports.DEFAULT_TOP),
                           "shortages")
        if answer.get("body"):
            answer["body"] = trimmed(answer["body"])
        return answer, done

    @app.callback(
        Output("shortages-chart", "figure"), Output("shortages-summary", "children"),
        Output("shortages-rule", "children"),
        Input("shortages-answer", "data"), Input("theme", "data"),
    )
    @charts.themed_callback
    def draw_shortages(answer: dict | None) -> tuple:
        if not answer:
            raise PreventUpdate
        body = answer.get("body")
        message = answer.get("message") or fmt.NONE
        if answer.get("status") == "computing":  # the last picture stays until then
            return no_update, message, no_update
        if answer.get("status") != "ok" or not body:
            return charts.empty_figure(message), message, ""
        return (shortages_figure(body), spike_summary(body),
                spike_rule(body.get("method") or {}, str(body.get("grain"))))

    @app.callback(
        Output("shortages-tables", "children"),
        Input("shortages-answer", "data"),
    )
    def list_groups(answer: dict | None) -> Any:
        if not answer or answer.get("status") == "computing":
            raise PreventUpdate
        if answer.get("status") != "ok" or not answer.get("body"):
            return []
        return group_tables(answer["body"])

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input({"type": "shortage-row", "dim": ALL, "key": ALL}, "n_clicks"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def click_group(clicks: list[int | None], search: str | None) -> str:
        return row_click_search(clicks, search)
