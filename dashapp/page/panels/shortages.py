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
from ..formatting import N_
from ..i18n import Lang, lang_of
from ..lazy import view_store
from .frame import RETRY_MS, ask, choice_buttons, insight_card, row_click_search
from .impact import DIM_LABELS

#: The API's metrics, in the chart's order (top to bottom).
METRICS = ("unavailable_rate", "late_rate", "avg_delivery_days")
TITLES = {"unavailable_rate": N_("Unavailable orders"), "late_rate": N_("Late deliveries"),
          "avg_delivery_days": N_("Delivery time (days)")}
SHORT = {"unavailable_rate": N_("unavailable"), "late_rate": N_("late deliveries"),
         "avg_delivery_days": N_("delivery time")}
AXIS_FORMAT = {"unavailable_rate": ".1%", "late_rate": ".0%", "avg_delivery_days": ",.0f"}
GRAIN_LABELS = {"month": N_("Month"), "week": N_("Week")}


# --- formatting (pure: the browser tests format the API's answer with these) --------------


def metric_value(metric: str, value: float | None, lang: Lang) -> str:
    """A rate as a percentage (one decimal), a delivery time as `12.3 days`."""
    if metric == "avg_delivery_days":
        return fmt.kpi_value("avg_delivery_days", value, lang)
    return fmt.percent(value, lang)


def period_label(period: str, grain: str, lang: Lang) -> str:
    """`2020-04` -> `Apr 2020`; a week (its Monday) -> `week of Apr 27, 2020`."""
    if grain == "month":
        return fmt.month(period[:7], lang)
    return lang.gettext("week of %(day)s") % {"day": fmt.nice_date(period, lang)}


def spike_text(spike: Mapping[str, Any], grain: str, lang: Lang) -> str:
    """`Apr 2020 delivery time: 18.5 days vs usual 12.8 days (z 5.7)`."""
    _ = lang.gettext
    metric = str(spike["metric"])
    z = spike.get("z")
    return _("%(period)s %(what)s: %(value)s vs usual %(usual)s (z %(z)s)") % {
        "period": period_label(str(spike["period"]), grain, lang),
        "what": _(SHORT[metric]) if metric in SHORT else metric,
        "value": metric_value(metric, spike.get("value"), lang),
        "usual": metric_value(metric, spike.get("baseline"), lang),
        "z": fmt.NONE if z is None else fmt.number(z, lang, 1)}


def spike_rule(method: Mapping[str, Any], grain: str, lang: Lang) -> str:
    """What a highlighted period means, in the API's own parameters (its `method`)."""
    _ = lang.gettext
    values = {"threshold": fmt.number(method.get("threshold"), lang, 1),
              "window": method.get("window"), "history": method.get("min_history"),
              "events": method.get("min_events")}
    if grain == "month":
        return _("Spike: a period at least %(threshold)s robust z-scores above the median "
                 "of the trailing %(window)s months (its usual level), against both that "
                 "median's spread and the period's own sampling noise; judged once "
                 "%(history)s months of history exist, and for the two rates only with at "
                 "least %(events)s affected orders.") % values
    return _("Spike: a period at least %(threshold)s robust z-scores above the median "
             "of the trailing %(window)s weeks (its usual level), against both that "
             "median's spread and the period's own sampling noise; judged once "
             "%(history)s weeks of history exist, and for the two rates only with at "
             "least %(events)s affected orders.") % values


def spike_summary(body: Mapping[str, Any], lang: Lang) -> str:
    """One line on the filters' own series: how many spikes, the strongest named."""
    _ = lang.gettext
    grain = str(body.get("grain") or "month")
    spikes: Sequence[Mapping[str, Any]] = body.get("spikes") or []
    if not spikes:
        return (_("No spikes for these filters (per month).") if grain == "month"
                else _("No spikes for these filters (per week)."))
    shown = "; ".join(spike_text(s, grain, lang) for s in spikes[:3])
    more = (_("; and %(num)s more") % {"num": len(spikes) - 3}) if len(spikes) > 3 else ""
    values = {"num": len(spikes), "shown": shown, "more": more}
    if grain == "month":
        return lang.ngettext(
            "%(num)s spike for these filters (per month), strongest first: %(shown)s%(more)s.",
            "%(num)s spikes for these filters (per month), strongest first: "
            "%(shown)s%(more)s.", len(spikes)) % values
    return lang.ngettext(
        "%(num)s spike for these filters (per week), strongest first: %(shown)s%(more)s.",
        "%(num)s spikes for these filters (per week), strongest first: %(shown)s%(more)s.",
        len(spikes)) % values


def trimmed(body: Mapping[str, Any]) -> dict[str, Any]:
    """The answer without each group's own series (the page lists groups and their
    spikes; their series would make the browser's copy many times larger)."""
    out = dict(body)
    for dim in DIM_LABELS:
        out[f"by_{dim}"] = [{k: v for k, v in g.items() if k != "points"}
                            for g in body.get(f"by_{dim}") or []]
    return out


def shortages_figure(body: Mapping[str, Any], lang: Lang) -> go.Figure:
    """Three stacked panels sharing the time axis: value, usual level, spikes marked."""
    _ = lang.gettext
    points: Sequence[Mapping[str, Any]] = body.get("series") or []
    if not points:
        return charts.empty_figure(_(charts.EMPTY_MESSAGE), lang)
    grain = str(body.get("grain") or "month")
    fig = make_subplots(rows=len(METRICS), cols=1, shared_xaxes=True,
                        vertical_spacing=0.11, subplot_titles=[_(TITLES[m]) for m in METRICS])
    x = [p["period"] for p in points]
    when = {p["period"]: period_label(str(p["period"]), grain, lang) for p in points}
    spike_legend = False
    for row, metric in enumerate(METRICS, start=1):
        fig.add_scatter(
            x=x, y=[p.get(f"{metric}_baseline") for p in points], mode="lines",
            name=_("Usual level (trailing median)"), legendgroup="baseline",
            showlegend=row == 1,
            line={"color": charts.GREY, "width": 1.4, "dash": "dot"}, hoverinfo="skip",
            row=row, col=1)
        fig.add_scatter(
            x=x, y=[p.get(metric) for p in points], mode="lines", name=_("Value"),
            legendgroup="value", showlegend=row == 1,
            line={"color": charts.BLUE, "width": 1.8},
            customdata=[[metric_value(metric, p.get(metric), lang),
                         metric_value(metric, p.get(f"{metric}_baseline"), lang),
                         when[p["period"]]] for p in points],
            hovertemplate=("%{customdata[2]}: "
                           + _("%{customdata[0]} (usual %{customdata[1]})")
                           + f"<extra>{_(TITLES[metric])}</extra>"),
            row=row, col=1)
        flagged = [p for p in points if p.get(f"{metric}_spike")]
        fig.add_scatter(
            x=[p["period"] for p in flagged], y=[p.get(metric) for p in flagged],
            mode="markers", name=_("Spike (see the rule below)"), legendgroup="spike",
            showlegend=bool(flagged) and not spike_legend,
            marker={"color": charts.VERMILLION, "size": 10, "symbol": "circle",
                    "line": {"color": "white", "width": 1.5}},
            customdata=[[p["period"], metric, metric_value(metric, p.get(metric), lang),
                         metric_value(metric, p.get(f"{metric}_baseline"), lang),
                         fmt.number(p.get(f"{metric}_z"), lang, 1), when[p["period"]]]
                        for p in flagged],
            hovertemplate=("%{customdata[5]}: "
                           + _("%{customdata[2]} vs usual %{customdata[3]}")
                           + "<br>z %{customdata[4]}<extra>"
                           + _("Spike: %(what)s") % {"what": _(SHORT[metric])} + "</extra>"),
            row=row, col=1)
        spike_legend = spike_legend or bool(flagged)
        fig.update_yaxes(tickformat=AXIS_FORMAT[metric], rangemode="tozero",
                         gridcolor="#EEF1F4", fixedrange=True, row=row, col=1)
    fig.update_xaxes(type="date", showgrid=False, fixedrange=True)
    fig.update_annotations(font={"size": 12, "color": charts.MUTED}, x=0, xanchor="left")
    fig.update_layout(**charts.base_layout(
        lang, showlegend=True, hovermode="closest",
        # above the first panel's title (plotly puts subplot titles just above each panel)
        legend={**charts.LEGEND, "y": 1.065},
        margin={**charts.LEGEND_MARGIN, "t": charts.LEGEND_MARGIN["t"] + 26}))
    return fig


def _row(dim: str, row: Mapping[str, Any], grain: str, selected: set[str], lang: Lang
         ) -> html.Tr:
    key = str(row["key"])
    spikes = row.get("spikes") or []
    listed = "; ".join(spike_text(s, grain, lang) for s in spikes)
    return html.Tr(
        id={"type": "shortage-row", "dim": dim, "key": key}, n_clicks=0,
        className="shortage-row" + (" table-active" if key in selected else ""),
        role="button",
        title=lang.gettext("Click to filter by %(key)s; click again to clear") % {"key": key},
        style={"cursor": "pointer"}, children=[
            html.Td(key),
            html.Td(fmt.integer(row.get("all_orders"), lang), className="num optional-col"),
            html.Td(metric_value("unavailable_rate", row.get("unavailable_rate"), lang),
                    className="num"),
            html.Td(metric_value("late_rate", row.get("late_rate"), lang), className="num"),
            html.Td(metric_value("avg_delivery_days", row.get("avg_delivery_days"), lang),
                    className="num"),
            html.Td(fmt.integer(len(spikes), lang), className="num spike-count" + (
                " has-spikes" if spikes else "")),
            html.Td(listed, className="spike-list"),
        ])


def group_tables(body: Mapping[str, Any], lang: Lang) -> html.Div:
    """The top categories and states (the API's order: most spikes first), each row
    clickable; the selection is the answer's own filters."""
    _ = lang.gettext
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
                    html.Th(lang.place(label)), html.Th(_("Orders"), className="num optional-col"),
                    html.Th(_("Unavailable"), className="num"),
                    html.Th(_("Late"), className="num"),
                    html.Th(_("Delivery"), className="num"),
                    html.Th(_("Spikes"), className="num"),
                    html.Th(_("Spike periods"))])),
                html.Tbody([_row(dim, r, grain, selected, lang) for r in rows]),
            ])])))
    if not parts:
        return html.Div(lang.place("No categories or states to list."),
                        className="empty-table")
    return dbc.Row(parts, className="g-3")


# --- the block ------------------------------------------------------------------------------


def shortages_panel(lang: Lang) -> html.Section:
    _ = lang.gettext
    grains = [{"label": _(GRAIN_LABELS[g]), "value": g} for g in GRAINS_SHORTAGES]
    return insight_card("shortages-panel", _("Shortages and delivery delays"),
                        _("Unavailable orders, late deliveries and delivery time "
                          "for the filters above; spikes marked · click a row to "
                          "filter"), [
                dcc.Store(id="shortages-answer"),
                dcc.Interval(id="shortages-retry", interval=RETRY_MS, disabled=True),
                choice_buttons("shortages-grain", _("Per"), grains, "month"),
                html.Div(fmt.NONE, id="shortages-summary", role="status",
                         className="insight-note my-2"),
                dcc.Graph(id="shortages-chart", config={"displaylogo": False,
                                                        "responsive": True,
                                                        "locale": lang.plotly},
                          figure=charts.empty_figure("", lang), style={"height": "460px"},
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
        Input(view_store("shortages"), "data"), Input("shortages-grain", "value"),
        Input("shortages-retry", "n_intervals"), State("lang", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    def fetch_shortages(view: dict | None, grain: str | None, _tick: int | None,
                        lang_store: dict | None) -> tuple:
        if not view or view.get("error") or not view.get("filters"):
            raise PreventUpdate
        grain = grain if grain in GRAINS_SHORTAGES else "month"
        filters = Filters.from_json(view.get("insight_filters") or view["filters"])
        answer, done = ask(lambda: answers.shortages(filters, grain, reports.DEFAULT_TOP),
                           "shortages", lang_of(lang_store))
        if answer.get("body"):
            answer["body"] = trimmed(answer["body"])
        return answer, done

    @app.callback(
        Output("shortages-chart", "figure"), Output("shortages-summary", "children"),
        Output("shortages-rule", "children"),
        Input("shortages-answer", "data"), Input("lang", "data"), State("theme", "data"),
        prevent_initial_call=True,  # lazy: starts when on screen (lazy.py)
    )
    @charts.themed_callback
    def draw_shortages(answer: dict | None, lang_store: dict | None) -> tuple:
        if not answer:
            raise PreventUpdate
        lang = lang_of(lang_store)
        body = answer.get("body")
        message = answer.get("message") or fmt.NONE
        if answer.get("status") == "computing":  # the last picture stays until then
            return no_update, message, no_update
        if answer.get("status") != "ok" or not body:
            return charts.empty_figure(message, lang), message, ""
        return (shortages_figure(body, lang), spike_summary(body, lang),
                spike_rule(body.get("method") or {}, str(body.get("grain")), lang))

    @app.callback(
        Output("shortages-tables", "children"),
        Input("shortages-answer", "data"), State("lang", "data"),
    )
    def list_groups(answer: dict | None, lang_store: dict | None) -> Any:
        if not answer or answer.get("status") == "computing":
            raise PreventUpdate
        if answer.get("status") != "ok" or not answer.get("body"):
            return []
        return group_tables(answer["body"], lang_of(lang_store))

    @app.callback(
        Output("url", "search", allow_duplicate=True),
        Input({"type": "shortage-row", "dim": ALL, "key": ALL}, "n_clicks"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def click_group(clicks: list[int | None], search: str | None) -> str:
        return row_click_search(clicks, search)
