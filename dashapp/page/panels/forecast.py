"""The "Forecast" view: /api/v1/forecast's answer on the page, for the page's filters.

Why it asks ``InsightAnswers.forecast``, the API handler's own question: the page and
`/api/v1/forecast?horizon=N&<filters>` then read one cached bundle per data version and
filter set (the backtest of every model, for every horizon), computed once on the insight
runner's pool, so they cannot disagree and neither pays twice. The page never runs SQL itself.

What it shows: the monthly actual series, then the next 1-6 months with their 80% and 95%
prediction intervals as bands, for sales or orders (each series has its own model); the
chosen model by name with its backtest error (MAPE, MASE, over how many months and scored
forecasts); every candidate's error in a small table, so a reader can judge the choice.
When the API refuses (too little history, a month without sales) the reason replaces
the chart: a forecast of a series that cannot support one would only mislead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from ...filters import Filters
from ...insight import forecast
from ...insight.answers import InsightAnswers
from .. import charts
from .. import formatting as fmt
from ..formatting import N_
from ..i18n import Lang, lang_of
from ..lazy import view_store
from .frame import RETRY_MS, ask, choice_buttons, insight_card
from .insight_texts import model_label, reason_text

DEFAULT_HORIZON = 3
METRIC_LABELS = {"sales": N_("Sales"), "orders": N_("Orders")}
#: Per metric: the forecast point's (mean, 95% low, 95% high, 80% low, 80% high) fields.
POINT_FIELDS: dict[str, tuple[str, str, str, str, str]] = {
    "sales": ("sales", "lower", "upper", "lower_80", "upper_80"),
    "orders": ("orders", "orders_lower", "orders_upper", "orders_lower_80",
               "orders_upper_80"),
}
BAND_95 = "rgba(230,159,0,0.16)"  # charts.ORANGE, light: the wider interval
BAND_80 = "rgba(230,159,0,0.32)"


# --- formatting (pure: the browser tests format the API's answer with these) --------------


def metric_value(metric: str, value: float | None, lang: Lang) -> str:
    """A forecast or actual value as the page writes it: money, or orders to 0.1 (the
    forecasts of counts are not whole numbers; the history's are)."""
    if value is None:
        return fmt.NONE
    if metric == "sales":
        return fmt.money(value, lang)
    return fmt.number(value, lang, 0 if float(value).is_integer() else 1)


def model_of(body: Mapping[str, Any], metric: str) -> Mapping[str, Any]:
    """{"model", "model_label", "backtest"} of one series: the top level is the sales
    series' (as in the API), `orders` holds the orders series' own."""
    if metric == "orders":
        return body.get("orders") or {}
    return body


def backtest_texts(body: Mapping[str, Any], metric: str, lang: Lang) -> dict[str, str]:
    """What the view writes about the chosen model and its backtest error.

    Keys: `model` (its name in the reader's language), `mape`, `mase`, `scope` (how many
    months were held out, one origin each, and how many forecasts were scored). Dashes
    when there is no forecast."""
    _ = lang.gettext
    described = model_of(body, metric)
    backtest = described.get("backtest") or {}
    chosen = next((m for m in backtest.get("models") or ()
                   if m.get("model") == described.get("model")), {})
    months = backtest.get("months")
    scored = chosen.get("errors")
    horizon = body.get("horizon")
    if months:
        ahead = _("1 month ahead") if horizon == 1 else _("1\u2013%(num)s months ahead") % {
            "num": horizon}
        scope = _("Backtest: rolling origin over the last %(months)s months (%(months)s "
                  "origins, %(scored)s forecasts %(ahead)s scored)") % {
            "months": months, "ahead": ahead,
            "scored": fmt.integer(scored, lang) if scored is not None else fmt.NONE}
    else:
        scope = fmt.NONE
    mase = backtest.get("mase")
    return {
        "model": model_label(described.get("model"), lang, described.get("model_label")),
        "mape": fmt.percent(backtest.get("mape"), lang),
        "mase": fmt.NONE if mase is None else fmt.number(mase, lang, 2),
        "scope": scope,
    }


def month_label(period: str, lang: Lang) -> str:
    """`2022-01` -> `Jan 2022`, `jan. de 2022`."""
    return fmt.month(period, lang)


def forecast_note(body: Mapping[str, Any], metric: str, lang: Lang) -> str:
    """The line above the chart: which months are forecast, at which levels."""
    _ = lang.gettext
    points = body.get("points") or []
    if not points:
        return refusal_text(body, lang)
    first = month_label(points[0]["period"], lang)
    last = month_label(points[-1]["period"], lang)
    span = first if first == last else _("%(first)s to %(last)s") % {"first": first,
                                                                      "last": last}
    what = _(METRIC_LABELS[metric]) if metric in METRIC_LABELS else metric
    return _("%(what)s forecast for %(span)s, with 80%% and 95%% prediction "
             "intervals.") % {"what": what, "span": span}


def refusal_text(body: Mapping[str, Any], lang: Lang) -> str:
    """Why there is no forecast: the API's reason (its code) in the reader's language."""
    _ = lang.gettext
    reason = reason_text(body, lang) or _("the history cannot support one")
    return _("No forecast for these filters: %(reason)s.") % {"reason": reason}


def forecast_figure(body: Mapping[str, Any], metric: str, lang: Lang) -> go.Figure:
    """Actual months, then the forecast with its 95% and 80% bands (one point per month
    of the horizon)."""
    _ = lang.gettext
    history: Sequence[Mapping[str, Any]] = body.get("history") or []
    points: Sequence[Mapping[str, Any]] = body.get("points") or []
    if not points:
        return charts.empty_figure(_("No forecast"), lang)
    mean, lo95, hi95, lo80, hi80 = POINT_FIELDS[metric]
    x = [p["period"] for p in points]
    fig = go.Figure()
    for low, high, colour, name in ((lo95, hi95, BAND_95, _("95% prediction interval")),
                                    (lo80, hi80, BAND_80, _("80% prediction interval"))):
        fig.add_scatter(x=x, y=[p[high] for p in points], mode="lines", line={"width": 0},
                        hoverinfo="skip", showlegend=False, legendgroup=name)
        fig.add_scatter(x=x, y=[p[low] for p in points], mode="lines", line={"width": 0},
                        fill="tonexty", fillcolor=colour, name=name, hoverinfo="skip",
                        legendgroup=name)
    fig.add_scatter(
        x=[h["period"] for h in history], y=[h[metric] for h in history], mode="lines",
        name=_("Actual"), line={"color": charts.BLUE, "width": 2.2},
        customdata=[[metric_value(metric, h[metric], lang), month_label(h["period"], lang)]
                    for h in history],
        hovertemplate="%{customdata[1]}: %{customdata[0]}<extra>" + _("Actual") + "</extra>")
    fig.add_scatter(
        x=x, y=[p[mean] for p in points], mode="lines+markers", name=_("Forecast"),
        line={"color": charts.ORANGE, "width": 2.2, "dash": "dash"},
        marker={"size": 7, "color": charts.ORANGE},
        customdata=[[metric_value(metric, p[mean], lang), metric_value(metric, p[lo95], lang),
                     metric_value(metric, p[hi95], lang), month_label(p["period"], lang)]
                    for p in points],
        hovertemplate=("%{customdata[3]}: %{customdata[0]}<br>95%: %{customdata[1]} \u2013 "
                       "%{customdata[2]}<extra>" + _("Forecast") + "</extra>"))
    axis = {"gridcolor": "#EEF1F4", "rangemode": "tozero", "fixedrange": True}
    fig.update_layout(**charts.base_layout(
        lang, showlegend=True, legend=charts.LEGEND, margin=charts.LEGEND_MARGIN,
        hovermode="closest",
        xaxis={"type": "date", "showgrid": False, "fixedrange": True},
        yaxis=charts.money_axis(lang, **axis) if metric == "sales"
        else {**axis, "tickformat": "~s"},
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": x[0], "x1": x[0],
                 "y0": 0, "y1": 1, "line": {"color": charts.MUTED, "dash": "dot"}}],
    ))
    return fig


def models_table(body: Mapping[str, Any], metric: str, lang: Lang) -> html.Table | str:
    """Every candidate's backtest error, the chosen one marked: the evidence for the
    choice."""
    _ = lang.gettext
    described = model_of(body, metric)
    rows = (described.get("backtest") or {}).get("models") or []
    if not rows:
        return ""
    chosen = described.get("model")
    return html.Table(className="table table-sm pulse-table forecast-models", children=[
        html.Thead(html.Tr([html.Th(_("Candidate model")), html.Th("MAPE", className="num"),
                            html.Th("MASE", className="num"),
                            html.Th(_("Forecasts scored"), className="num")])),
        html.Tbody([html.Tr(
            className="selected-row" if r.get("model") == chosen else "",
            title=_("chosen: smallest MASE") if r.get("model") == chosen else None,
            children=[html.Td(model_label(r.get("model"), lang, r.get("label"))),
                      html.Td(fmt.percent(r.get("mape"), lang), className="num"),
                      html.Td(fmt.NONE if r.get("mase") is None
                              else fmt.number(r["mase"], lang, 2), className="num"),
                      html.Td(fmt.integer(r.get("errors"), lang), className="num")])
            for r in rows]),
    ])


# --- the block ------------------------------------------------------------------------------


def forecast_panel(lang: Lang) -> html.Section:
    _ = lang.gettext
    horizons = [{"label": str(n), "value": n} for n in range(1, forecast.MAX_HORIZON + 1)]
    metrics = [{"label": _(label), "value": key} for key, label in METRIC_LABELS.items()]
    return insight_card("forecast-panel", _("Forecast"),
                        _("The next months for the filters above, from the model "
                          "that did best in a backtest"), [
                dcc.Store(id="forecast-answer"),
                dcc.Interval(id="forecast-retry", interval=RETRY_MS, disabled=True),
                dbc.Row(className="g-2 align-items-end", children=[
                    dbc.Col(xs="auto", children=choice_buttons(
                        "forecast-horizon", _("Horizon (months)"), horizons,
                        DEFAULT_HORIZON)),
                    dbc.Col(xs="auto", children=choice_buttons(
                        "forecast-metric", _("Metric"), metrics, "sales")),
                ]),
                html.Div(fmt.NONE, id="forecast-note", role="status",
                         className="insight-note my-2"),
                html.Div(id="forecast-details", children=[
                    html.Dl(className="forecast-facts", children=[
                        html.Div([html.Dt(_("Model")),
                                  html.Dd(fmt.NONE, id="forecast-model")]),
                        html.Div([html.Dt("MAPE", title=_("mean absolute percentage error")),
                                  html.Dd(fmt.NONE, id="forecast-mape")]),
                        html.Div([html.Dt("MASE", title=_("mean absolute error / that of "
                                                          "'same month last year' in "
                                                          "sample")),
                                  html.Dd(fmt.NONE, id="forecast-mase")]),
                    ]),
                    html.Div(fmt.NONE, id="forecast-scope", className="panel-hint"),
                    dcc.Graph(id="forecast-chart",
                              config={"displaylogo": False, "responsive": True,
                                      "locale": lang.plotly},
                              figure=charts.empty_figure("", lang), style={"height": "320px"},
                              className="chart"),
                    html.Div(id="forecast-models", className="table-wrap table-scroll"),
                ]),
            ])


# --- callbacks ------------------------------------------------------------------------------

SHOWN: dict[str, str] = {}
HIDDEN = {"display": "none"}


def register_forecast_callbacks(app: Dash, answers: InsightAnswers) -> None:
    """Fetch (view + horizon -> store, retried while computing), then draw from the store:
    switching the metric redraws without asking the models again."""

    @app.callback(
        Output("forecast-answer", "data"), Output("forecast-retry", "disabled"),
        Input(view_store("forecast"), "data"), Input("forecast-horizon", "value"),
        Input("forecast-retry", "n_intervals"), State("lang", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    def fetch_forecast(view: dict | None, horizon: int | None, _tick: int | None,
                       lang_store: dict | None) -> tuple:
        if not view or view.get("error") or not view.get("filters"):
            raise PreventUpdate
        months = int(horizon or DEFAULT_HORIZON)
        filters = Filters.from_json(view.get("insight_filters") or view["filters"])
        return ask(lambda: answers.forecast(filters, months), "forecast", lang_of(lang_store))

    @app.callback(
        Output("forecast-chart", "figure"), Output("forecast-details", "style"),
        Output("forecast-note", "children"),
        Input("forecast-answer", "data"), Input("forecast-metric", "value"),
        Input("lang", "data"), State("theme", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    @charts.themed_callback
    def draw_forecast(answer: dict | None, metric: str | None, lang_store: dict | None
                      ) -> tuple:
        if not answer:
            raise PreventUpdate
        lang = lang_of(lang_store)
        body = answer.get("body")
        message = answer.get("message") or fmt.NONE
        if answer.get("status") == "computing":  # the last picture stays until then
            return no_update, no_update, message
        if answer.get("status") != "ok" or not body:
            return charts.empty_figure("", lang), HIDDEN, message
        if not body.get("available"):
            return charts.empty_figure("", lang), HIDDEN, refusal_text(body, lang)
        metric = metric if metric in POINT_FIELDS else "sales"
        return forecast_figure(body, metric, lang), SHOWN, forecast_note(body, metric, lang)

    @app.callback(
        Output("forecast-model", "children"), Output("forecast-mape", "children"),
        Output("forecast-mase", "children"), Output("forecast-scope", "children"),
        Output("forecast-models", "children"),
        Input("forecast-answer", "data"), Input("forecast-metric", "value"),
        State("lang", "data"),
    )
    def describe_model(answer: dict | None, metric: str | None, lang_store: dict | None
                       ) -> tuple:
        if not answer or answer.get("status") != "ok" or not answer.get("body"):
            raise PreventUpdate
        lang = lang_of(lang_store)
        body = answer["body"]
        metric = metric if metric in POINT_FIELDS else "sales"
        texts = backtest_texts(body, metric, lang)
        return (texts["model"], texts["mape"], texts["mase"], texts["scope"],
                models_table(body, metric, lang))
