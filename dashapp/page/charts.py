"""Figures and tables from the service's dashboard payload: pure functions, no Dash, no SQL.

Why pure: every chart is a function of (rows, selection, options), so the
tests check the numbers a bar or a state gets, how the selection is
highlighted and how "other" is summed, without a browser. The callbacks only
fetch the payload and hand it here.

Conventions: money stays `Decimal` until it becomes a plotted float or a
formatted string; hover texts are formatted here (`formatting`), so the
tooltip, the KPI card and the CSV agree to the cent. Colours are Okabe-Ito
(colour-blind safe); the map uses viridis.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from ..metrics import KPI_FIELDS, MONEY_FIELDS
from ..regions import REGION_NAMES, region_map
from . import formatting as fmt
from .formatting import N_, NumberStyle
from .i18n import Lang

# Okabe-Ito
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8A939B"
INK = "#2C3E50"
MUTED = "#6C757D"
NO_DATA = "#E3E7EB"
FONT = ("system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
        "'Noto Sans', 'Liberation Sans', sans-serif")

FADED = 0.35  # opacity of what is not selected while something is
OTHER = "other"
EMPTY_MESSAGE = N_("No orders match these filters")
DEFAULT_TOP_N = 10

#: Metrics the map can colour states by (field, tick format).
MAP_METRICS: dict[str, str] = {
    "sales": "~s", "orders": "~s", "aov": ",.0f", "customers": "~s", "payments": "~s",
    "avg_review": ".2f", "on_time_rate": ".0%", "canceled_rate": ".1%",
    "unavailable_rate": ".1%",
}
#: Viridis reversed: light = little, dark = much, readable by every colour vision.
VIRIDIS_R = [[0.0, "#fde725"], [0.25, "#5ec962"], [0.5, "#21918c"], [0.75, "#3b528b"],
             [1.0, "#440154"]]


def _f(value: Decimal | int | float | None) -> float | None:
    return None if value is None else float(value)


#: Replaces plotly's default template, which every figure would otherwise carry: ~10 kB of
#: styles for trace types the page never draws, sent and resolved on every redraw.
#: (Registered as the default because `go.Figure()` copies the default template in and
#: `update_layout(template=...)` would only merge into that copy.)
TEMPLATE: dict[str, Any] = {"layout": {
    "colorway": [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, GREY],
    "xaxis": {"gridcolor": "#EEF1F4", "zerolinecolor": "#D5DBE0", "automargin": True},
    "yaxis": {"gridcolor": "#EEF1F4", "zerolinecolor": "#D5DBE0", "automargin": True},
}}
pio.templates["pulse"] = go.layout.Template(TEMPLATE)
pio.templates.default = "pulse"


def base_layout(style: NumberStyle, **overrides: Any) -> dict[str, Any]:
    """The look every figure shares: system font, quiet grid, room for touch, and the
    reader's decimal and thousands marks (plotly applies them to every tick and hover
    format)."""
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 12, "color": INK},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT, "size": 12}, "bgcolor": "white"},
        "separators": style.separators,
        "showlegend": False,
        "modebar": {"bgcolor": "rgba(0,0,0,0)", "color": "#9AA5B1", "activecolor": BLUE},
    }
    layout.update(overrides)
    return layout


#: The dark theme's colour for each light one the figures are drawn with (the page's dark
#: cards are Bootstrap 5.3's dark body, #212529): text, grid and zero lines, the map's
#: regions without orders and their borders, hover boxes, the retention heatmap's empty end.
#: Data colours (Okabe-Ito, viridis) stay: they read on both backgrounds.
DARK_COLOURS = {
    INK.lower(): "#dee2e6", MUTED.lower(): "#adb5bd", "#eef1f4": "#373e45",
    "#d5dbe0": "#495057", "#aeb6bf": "#6c757d", NO_DATA.lower(): "#41484f",
    "#ffffff": "#212529", "white": "#2b3035", "#000000": "#ffffff", "#eef3f8": "#2b3035",
}
THEMES = ("light", "dark")


def _recolour(value: Any, colours: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _recolour(v, colours) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_recolour(v, colours) for v in value]
    if isinstance(value, str):
        found = colours.get(value.lower())
        if found:
            return found
        if MUTED in value:  # inline HTML in labels: <span style='color:#6C757D'>
            return value.replace(MUTED, colours[MUTED.lower()])
    return value


def _merged(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def with_layout(fig: go.Figure, **layout: Any) -> go.Figure:
    """`fig` with `layout` merged into its layout, as `fig.update_layout(**layout)` does
    (nested dicts merged, anything else replaced), built as one new figure.

    Why not `update_layout`: plotly applies it as a relayout, path by path, with change
    callbacks and validation per path: 15-20 ms per figure, most of a view's drawing
    (five figures per filter change). A figure constructed with the merged layout is the
    same figure (tests/test_charts.py holds the two equal) in a tenth of that time."""
    return go.Figure(data=fig.data, layout=_merged(fig.layout.to_plotly_json(), layout))


def themed(fig: go.Figure, theme: str | None) -> go.Figure:
    """The figure for the page's theme: as built for light, recoloured for dark.

    Why one recolouring pass instead of a theme argument to every figure function: the
    figures (here and in panels/) are pure functions of their data and share one small
    palette, so mapping that palette keeps their signatures and their tests as they are,
    and a new chart is dark-ready as long as it uses the palette."""
    if theme != "dark":
        return fig
    return go.Figure(_recolour(fig.to_plotly_json(), DARK_COLOURS))


def themed_outputs(outputs: Any, theme: str | None) -> Any:
    """Every figure among a callback's outputs (one value or a tuple) drawn for `theme`."""
    if isinstance(outputs, tuple):
        return tuple(themed(o, theme) if isinstance(o, go.Figure) else o for o in outputs)
    return themed(outputs, theme) if isinstance(outputs, go.Figure) else outputs


def themed_callback(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For a callback whose last input is the `theme` store: the function is called
    without it and its figures come back drawn for that theme (its body stays as is)."""
    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        *rest, theme = args
        return themed_outputs(fn(*rest), theme)
    return wrapper


#: Legends sit above the plot, under the toolbar (which plotly puts in the top-right corner).
LEGEND = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"}
LEGEND_MARGIN = {"l": 8, "r": 8, "t": 52, "b": 8}


def money_axis(style: NumberStyle, **extra: Any) -> dict[str, Any]:
    """An axis of money: SI ticks (`R$ 1,2M`) with the currency where the locale puts it
    (before in pt_BR and en, after in fr: `1,2M MAD`)."""
    before, after = style.currency_affixes
    return {"tickprefix": before, "ticksuffix": after, "tickformat": "~s", **extra}


def empty_figure(message: str, style: NumberStyle | None = None) -> go.Figure:
    """A blank chart that says why it is blank (instead of empty axes); `message` is
    already in the reader's language."""
    fig = go.Figure()
    fig = with_layout(fig, **base_layout(
        style or NumberStyle("en", "BRL"),
        xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "xref": "paper", "yref": "paper",
                      "x": 0.5, "y": 0.5, "font": {"size": 14, "color": MUTED}}],
    ))
    return fig


def highlight_opacity(keys: Sequence[str], selected: Iterable[str]) -> list[float]:
    """Full opacity for the selection, faded for the rest; all full when nothing is selected."""
    chosen = set(selected)
    if not chosen:
        return [1.0] * len(keys)
    return [1.0 if k in chosen else FADED for k in keys]


# --- time series ------------------------------------------------------------------------


DAY_MS = 86_400_000


def _month(period: str) -> str:
    return f"{period}-01" if len(period) == 7 else period


def timeseries_figure(points: Sequence[Mapping[str, Any]], lang: Lang, grain: str = "month"
                      ) -> go.Figure:
    """Sales (bars) and orders (line, right axis) by month or by day; hover adds AOV and
    the changes on the period before and a year before.

    Drag-select is on, horizontally: a drag sets the page's date range.
    """
    _ = lang.gettext
    if not points:
        return empty_figure(_(EMPTY_MESSAGE), lang)
    daily = grain == "day"
    x = [p["period"] if daily else _month(p["period"]) for p in points]
    custom = [[fmt.money(p["sales"], lang), fmt.integer(p["orders"], lang),
               fmt.money(p.get("aov"), lang), fmt.signed_percent(p.get("mom"), lang),
               fmt.signed_percent(p.get("yoy"), lang)]
              for p in points]
    # a bar spans its whole period (a day's from midnight to midnight), so an event's band
    # covers exactly its days' bars and a drag picks the bars whose middle it covers
    period = {"xperiod": DAY_MS if daily else "M1", "xperiodalignment": "middle"}
    sales_hover = (_("Sales %{customdata[0]}<br>AOV %{customdata[2]}<br>"
                     "Day before %{customdata[3]} · YoY %{customdata[4]}") if daily else
                   _("Sales %{customdata[0]}<br>AOV %{customdata[2]}<br>"
                     "MoM %{customdata[3]} · YoY %{customdata[4]}"))
    fig = go.Figure()
    fig.add_bar(x=x, y=[_f(p["sales"]) for p in points], name=_("Sales"), marker_color=BLUE,
                customdata=custom, hovertemplate=sales_hover + "<extra></extra>", **period)
    fig.add_scatter(
        x=x, y=[p["orders"] for p in points], name=_("Orders"), yaxis="y2",
        mode="lines" if daily else "lines+markers", line={"color": ORANGE,
                                                          "width": 1.5 if daily else 2.5},
        marker={"size": 5}, customdata=custom,
        hovertemplate=_("Orders %{customdata[1]}") + "<extra></extra>", **period,
    )
    fig = with_layout(fig, **base_layout(
        lang, showlegend=True, legend=LEGEND, margin=LEGEND_MARGIN,
        hovermode="x unified", dragmode="select", selectdirection="h",
        bargap=0.05 if daily else 0.15,
        xaxis={"type": "date", "tickformat": "%d %b %Y" if daily else "%b %Y",
               "showgrid": False, "fixedrange": True},
        yaxis=money_axis(lang, title=None, gridcolor="#EEF1F4", rangemode="tozero",
                         fixedrange=True),
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "tickformat": ",d",
                "tickmode": "auto", "nticks": 6, "rangemode": "tozero", "fixedrange": True,
                "title": None},
    ))
    return fig


def _month_end(start: str) -> str:
    day = date.fromisoformat(start)
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt.isoformat()


def target_segments(points: Sequence[Mapping[str, Any]], targets: Mapping[str, Any]
                    ) -> dict[bool, list[tuple[str, float, str]]]:
    """{missed: [(month, target, period)]}: a month is missed when its sales fall short of
    its target; months without a target draw nothing."""
    out: dict[bool, list[tuple[str, float, str]]] = {False: [], True: []}
    for p in points:
        goal = targets.get(p["period"][:7])
        if goal is None:
            continue
        out[(_f(p["sales"]) or 0.0) < float(goal)].append(
            (_month(p["period"]), float(goal), p["period"][:7]))
    return out


def add_targets(fig: go.Figure, points: Sequence[Mapping[str, Any]],
                targets: Mapping[str, Any], lang: Lang) -> go.Figure:
    """The monthly target as a line across each month: grey where sales reached it, red
    where they missed it (two traces, so the legend says which is which)."""
    _ = lang.gettext
    sales = {p["period"][:7]: _f(p["sales"]) or 0.0 for p in points}
    for missed, rows in target_segments(points, targets).items():
        if not rows:
            continue
        x: list[str | None] = []
        y: list[float | None] = []
        text: list[str | None] = []
        for start, goal, period in rows:
            share = fmt.percent(sales[period] / goal if goal else None, lang, 0)
            label = _("Target %(target)s · %(share)s reached") % {
                "target": fmt.money(goal, lang), "share": share}
            x += [start, _month_end(start), None]
            y += [goal, goal, None]
            text += [label, label, None]
        fig.add_scatter(
            x=x, y=y, mode="lines", name=_("Target missed") if missed else _("Target"),
            line={"color": VERMILLION if missed else INK, "width": 2.5,
                  "dash": "solid" if missed else "dash"},
            text=text, hovertemplate="%{text}<extra></extra>", connectgaps=False)
    return fig


def add_events(fig: go.Figure, events: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Each event as a shaded band (a range) or a dotted line (a day), labelled at the
    top; the label is the person's own text, shown as written."""
    for event in events:
        start, end = str(event["start_day"]), str(event["end_day"])
        label = str(event["label"])
        if start == end:
            fig.add_vline(x=start, line={"color": PURPLE, "width": 1.5, "dash": "dot"})
        else:
            last = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
            fig.add_vrect(x0=start, x1=last, fillcolor=PURPLE, opacity=0.12, line_width=0)
        fig.add_annotation(x=start, y=1, yref="paper", text=label, showarrow=False,
                           xanchor="left", yanchor="bottom", font={"size": 10, "color": INK},
                           hovertext=str(event.get("note") or label))
    return fig


def growth_figure(points: Sequence[Mapping[str, Any]], lang: Lang) -> go.Figure:
    """Month-over-month and year-over-year change of sales, as percentages."""
    _ = lang.gettext
    if not points or all(p.get("mom") is None and p.get("yoy") is None for p in points):
        return empty_figure(_(EMPTY_MESSAGE) if not points else
                            _("Not enough months to compare yet"), lang)
    x = [_month(p["period"]) for p in points]
    no_yoy = all(p.get("yoy") is None for p in points)
    fig = go.Figure()
    for key, name, colour in (("mom", _("Month over month"), SKY),
                              ("yoy", _("Year over year"), VERMILLION)):
        label = (_("%(name)s (needs over a year of dates)") % {"name": name}
                 if key == "yoy" and no_yoy else name)
        fig.add_scatter(
            x=x, y=[p.get(key) for p in points], name=label, mode="lines+markers",
            line={"color": colour, "width": 2.2}, marker={"size": 4},
            customdata=[fmt.signed_percent(p.get(key), lang) for p in points],
            hovertemplate=f"{name} %{{customdata}}<extra></extra>", connectgaps=False,
        )
    fig = with_layout(fig, **base_layout(
        lang, showlegend=True, hovermode="x unified", legend=LEGEND, margin=LEGEND_MARGIN,
        xaxis={"type": "date", "tickformat": "%b %Y", "showgrid": False, "fixedrange": True},
        yaxis={"tickformat": "+.0%", "gridcolor": "#EEF1F4", "zeroline": True,
               "zerolinecolor": "#AEB6BF", "zerolinewidth": 1.5, "fixedrange": True},
    ))
    return fig


def timeseries_table(points: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[str]]:
    return [dict(p) for p in points], ["period", "sales", "orders", "aov", "mom", "yoy"]


# --- map --------------------------------------------------------------------------------


def feature_ids(geojson: Mapping[str, Any], key: str = "id") -> tuple[list[str], list[str]]:
    """Every feature's id (at the `featureidkey` path, e.g. "id" or "properties.uf")
    and its display name (properties.name, else the id)."""
    ids, names = [], []
    for feature in geojson.get("features", []):
        value: Any = feature
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            continue
        ids.append(str(value))
        props = feature.get("properties") or {}
        names.append(str(props.get("name") or value))
    return ids, names


def _selection(keys: Sequence[str], chosen: set[str]) -> dict[str, Any]:
    """Plotly's own selection styling: the chosen regions at full opacity, the rest faded.

    (A choropleth ignores a per-point `marker.opacity` array when drawing, so
    `selectedpoints` is the way to fade regions.) Always the same keys, so a
    patch that clears the selection overwrites the previous one.
    """
    points = [i for i, k in enumerate(keys) if k in chosen] if chosen else None
    return {"selectedpoints": points, "selected": {"marker": {"opacity": 1.0}},
            "unselected": {"marker": {"opacity": FADED}}}


def map_figure(rows: Sequence[Mapping[str, Any]], metric: str, selected: Iterable[str],
               locations: Sequence[str], lang: Lang, names: Sequence[str] | None = None,
               geojson: Mapping[str, Any] | None = None, geo_key: str = "id") -> go.Figure:
    """A choropleth of one metric per state; the selected states outlined, the rest faded.

    Two traces, always in this order and with the same keys (the page patches
    them in place instead of resending the GeoJSON): 0 = every region of the
    map in a neutral grey (so states without orders are still drawn and
    clickable), 1 = the states with a value.
    """
    names = list(names or locations)
    name_of = dict(zip(locations, names, strict=False))
    chosen = set(selected)
    drawn = [r for r in rows if r.get(metric) is not None and str(r["key"]) in name_of]
    keys = [str(r["key"]) for r in drawn]
    _ = lang.gettext
    label = _(fmt.KPI_LABELS[metric]) if metric in fmt.KPI_LABELS else metric
    custom = [[name_of.get(k, k), fmt.kpi_value(metric, r.get(metric), lang),
               fmt.integer(r.get("orders"), lang), fmt.money(r.get("sales"), lang)]
              for k, r in zip(keys, drawn, strict=True)]
    geo_args: dict[str, Any] = {"featureidkey": geo_key}
    if geojson is not None:
        geo_args["geojson"] = geojson
    base = go.Choropleth(
        locations=list(locations), z=[0] * len(locations), showscale=False,
        colorscale=[[0, NO_DATA], [1, NO_DATA]], zmin=0, zmax=1,
        marker={"line": {"color": "#FFFFFF", "width": 0.6}},
        **_selection([str(k) for k in locations], chosen),
        customdata=[[n] for n in names],
        hovertemplate=("<b>%{customdata[0]}</b> (%{location})<br>" + _("No orders")
                       + "<extra></extra>"),
        name="no orders", **geo_args,
    )
    values = [_f(r.get(metric)) for r in drawn]
    tick = MAP_METRICS.get(metric, "~s")
    money_ticks = money_axis(lang) if metric in MONEY_FIELDS else {}
    data = go.Choropleth(
        locations=keys, z=values, colorscale=VIRIDIS_R,
        zmin=min(values) if values else 0, zmax=max(values) if values else 1,
        marker={"line": {"color": ["#000000" if k in chosen else "#FFFFFF" for k in keys],
                         "width": [2.5 if k in chosen else 0.6 for k in keys]}},
        **_selection(keys, chosen),
        colorbar={"title": {"text": label, "side": "right"}, "thickness": 10, "len": 0.7,
                  "tickformat": tick, "tickprefix": money_ticks.get("tickprefix", ""),
                  "ticksuffix": money_ticks.get("ticksuffix", ""),
                  "outlinewidth": 0, "x": 1.0},
        customdata=custom, name=label,
        hovertemplate=("<b>%{customdata[0]}</b> (%{location})<br>"
                       + _("%(metric)s: %%{customdata[1]}<br>Orders: %%{customdata[2]}")
                       % {"metric": label} + "<extra></extra>"),
        **geo_args,
    )
    geo = {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
           "bgcolor": "rgba(0,0,0,0)"}
    return with_layout(go.Figure([base, data]), geo=geo, **base_layout(
        lang, uirevision="map", clickmode="event", dragmode=False,
        margin={"l": 0, "r": 0, "t": 0, "b": 0}))


def map_table(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[str]]:
    return [dict(r) for r in rows], ["key", *KPI_FIELDS]


# --- categories -------------------------------------------------------------------------


def category_table(rows: Sequence[Mapping[str, Any]], top_n: int = DEFAULT_TOP_N,
                   selected: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The top N categories by sales, any selected ones, and the rest summed as "other".

    Sums of "other" are exact (Decimal); its `orders` and `aov` are None,
    because an order with two categories counts in both rows (METRICS.md), so
    order counts cannot be added up. `categories` says how many rows "other" holds.
    """
    ordered = sorted(rows, key=lambda r: (-Decimal(r["sales"]), -int(r["orders"]),
                                          str(r["key"])))
    chosen = set(selected)
    shown = [dict(r, is_other=False) for i, r in enumerate(ordered)
             if i < top_n or r["key"] in chosen]
    rest = [r for i, r in enumerate(ordered) if not (i < top_n or r["key"] in chosen)]
    if rest:
        other: dict[str, Any] = {"key": OTHER, "is_other": True, "orders": None, "aov": None,
                                 "categories": len(rest)}
        for name in ("sales", "freight", "revenue"):
            other[name] = sum((Decimal(r.get(name) or 0) for r in rest), start=Decimal(0))
        other["items"] = sum(int(r.get("items") or 0) for r in rest)
        shown.append(other)
    return shown


def category_figure(table: Sequence[Mapping[str, Any]], lang: Lang,
                    selected: Iterable[str] = ()) -> go.Figure:
    """Sales per category, largest on top; "other" in grey and not clickable as a filter."""
    _ = lang.gettext
    if not table:
        return empty_figure(_(EMPTY_MESSAGE), lang)
    total = sum((Decimal(r["sales"]) for r in table), start=Decimal(0))
    keys = [str(r["key"]) for r in table]
    labels = [lang.ngettext("other (%(num)d category)", "other (%(num)d categories)",
                            int(r["categories"])) % {"num": int(r["categories"])}
              if r.get("is_other") else str(r["key"]) for r in table]
    custom = [[str(r["key"]), fmt.money(r["sales"], lang),
               fmt.integer(r["orders"], lang) if r.get("orders") is not None else fmt.NONE,
               fmt.money(r.get("aov"), lang),
               fmt.percent(float(Decimal(r["sales"]) / total) if total else None, lang),
               bool(r.get("is_other"))] for r in table]
    colours = [GREY if r.get("is_other") else BLUE for r in table]
    fig = go.Figure(go.Bar(
        y=labels, x=[_f(r["sales"]) for r in table], orientation="h",
        marker={"color": colours, "opacity": highlight_opacity(keys, selected)},
        text=[fmt.money_compact(r["sales"], lang) for r in table], textposition="outside",
        cliponaxis=False, customdata=custom,
        hovertemplate=("<b>%{y}</b><br>" + _("Sales %{customdata[1]} (%{customdata[4]})<br>"
                                             "Orders %{customdata[2]} · AOV %{customdata[3]}")
                       + "<extra></extra>"),
    ))
    fig = with_layout(fig, **base_layout(
        lang, hovermode="y", clickmode="event", dragmode=False, bargap=0.25,
        margin={"l": 8, "r": 48, "t": 4, "b": 8},
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
        xaxis=money_axis(lang, gridcolor="#EEF1F4", fixedrange=True),
    ))
    return fig


def category_csv(table: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[str]]:
    return [dict(r) for r in table], ["key", "sales", "freight", "revenue", "items", "orders",
                                      "aov", "categories"]


# --- payment methods ----------------------------------------------------------------------


def payment_figure(rows: Sequence[Mapping[str, Any]], lang: Lang,
                   selected: Iterable[str] = ()) -> go.Figure:
    """Share of orders and share of value per payment type, with average installments
    in the label; a row is clickable anywhere along it (hovermode "y")."""
    _ = lang.gettext
    if not rows:
        return empty_figure(_(EMPTY_MESSAGE), lang)
    keys = [str(r["key"]) for r in rows]
    labels = [f"{fmt.payment_label(k, _)}<br><span style='font-size:11px;color:{MUTED}'>"
              + _("%(num)s installments avg") % {
                  "num": fmt.number(r.get("avg_installments"), lang, 1)} + "</span>"
              for k, r in zip(keys, rows, strict=True)]
    opacity = highlight_opacity(keys, selected)
    fig = go.Figure()
    for field, name, colour in (("share_orders", _("Share of orders"), BLUE),
                                ("share_value", _("Share of value"), ORANGE)):
        custom = [[k, fmt.integer(r["orders"], lang), fmt.money(r["value"], lang),
                   fmt.number(r.get("avg_installments"), lang, 1),
                   fmt.integer(r.get("payment_rows"), lang), fmt.percent(r.get(field), lang)]
                  for k, r in zip(keys, rows, strict=True)]
        fig.add_bar(
            y=labels, x=[r.get(field) for r in rows], orientation="h", name=name,
            marker={"color": colour, "opacity": opacity},
            text=[fmt.percent(r.get(field), lang) for r in rows], textposition="outside",
            cliponaxis=False, customdata=custom,
            hovertemplate=(f"{name} %{{customdata[5]}}<br>"
                           + _("Orders %{customdata[1]} · Value %{customdata[2]}")
                           + "<extra></extra>"),
        )
    fig = with_layout(fig, **base_layout(
        lang, showlegend=True, barmode="group", hovermode="y unified", clickmode="event",
        dragmode=False, bargap=0.3, bargroupgap=0.05,
        legend=LEGEND, margin={**LEGEND_MARGIN, "r": 40},
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
        xaxis={"tickformat": ".0%", "gridcolor": "#EEF1F4", "range": [0, 1.08],
               "fixedrange": True},
    ))
    return fig


def payment_table(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[str]]:
    return [dict(r) for r in rows], ["key", "payment_rows", "orders", "value", "share_orders",
                                     "share_value", "avg_installments"]


# --- summary tables -----------------------------------------------------------------------


#: The summary of changes in two groups: money and volume; customers and service.
CHANGE_GROUPS = (
    (N_("Money and volume"), ("sales", "revenue", "freight", "payments", "orders", "items", "aov",
                          "items_per_order")),
    (N_("Customers and service"), ("customers", "new_customers", "repeat_rate",
                                   "avg_review", "on_time_rate", "avg_delivery_days",
                                   "canceled_rate", "unavailable_rate")),
)
CHANGE_FIELDS = tuple(f for _, fields in CHANGE_GROUPS for f in fields)


def changes_rows(kpis: Mapping[str, Any], lang: Lang) -> list[dict[str, str]]:
    """Summary of changes: each KPI now, in the previous period, and the change's tone."""
    out = []
    for field in CHANGE_FIELDS:
        g = kpis["growth"].get(field)
        out.append({
            "field": field,
            "metric": lang.gettext(fmt.KPI_LABELS[field]),
            "current": fmt.kpi_value(field, kpis["current"].get(field), lang),
            "previous": fmt.kpi_value(field, kpis["previous"].get(field), lang),
            "change": fmt.change_text(g, lang),
            "tone": fmt.tone(field, g),
        })
    return out


def changes_csv(kpis: Mapping[str, Any]) -> tuple[list[dict], list[str]]:
    rows = [{"metric": f, "current": kpis["current"].get(f), "previous": kpis["previous"].get(f),
             "growth": kpis["growth"].get(f)} for f in CHANGE_FIELDS]
    return rows, ["metric", "current", "previous", "growth"]


EARNING_FIELDS = ("sales", "freight", "payments")


def earnings_rows(region_rows: Sequence[Mapping[str, Any]], selected_regions: Iterable[str] = (),
                  gettext: Any = str) -> list[dict[str, Any]]:
    """Summary of earnings: sales, freight and payments per region, biggest first, plus a
    total row that is the exact sum of the rows shown (names in `gettext`'s language; the
    CSV export keeps the source names)."""
    chosen = set(selected_regions)
    order = list(region_map())
    rows = sorted(region_rows, key=lambda r: (-Decimal(r.get("sales") or 0),
                                              order.index(r["key"]) if r["key"] in order
                                              else len(order)))
    out: list[dict[str, Any]] = []
    totals = dict.fromkeys(EARNING_FIELDS, Decimal(0))
    for r in rows:
        item: dict[str, Any] = {"key": r["key"],
                                "region": gettext(REGION_NAMES.get(r["key"], r["key"])),
                                "selected": r["key"] in chosen, "orders": r.get("orders")}
        for name in EARNING_FIELDS:
            value = Decimal(r.get(name) or 0)
            item[name] = value
            totals[name] += value
        out.append(item)
    if out:
        out.append({"key": "total", "region": gettext(N_("Total")), "selected": False,
                    "orders": sum(int(r.get("orders") or 0) for r in rows), **totals})
    return out


def earnings_csv(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict], list[str]]:
    return [dict(r) for r in rows], ["key", "region", "orders", *EARNING_FIELDS]


def selected_regions(filters_json: Mapping[str, Any]) -> list[str]:
    """Regions to highlight: the region filter, else the regions of the selected states."""
    if filters_json.get("region"):
        return list(filters_json["region"])
    states = set(filters_json.get("state") or ())
    return [r for r, members in region_map().items() if states & set(members)]
