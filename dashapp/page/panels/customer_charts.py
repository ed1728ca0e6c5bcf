"""Figures and texts of the Customers section: pure functions of the service's answers.

Why pure and apart from the section's callbacks: the numbers a person reads (a cell's
retention, a segment's customers, a bucket's mean review) are decided here from
`PulseService.cohorts` / `.segments` / `.lateness`, the same answers
`/api/v1/customers/...` and `/api/v1/delivery/lateness` return, so unit tests check the
matrices and hover texts without a browser and the browser tests compare the drawn
figure with the API. Definitions: docs/METRICS.md, "Customers and retention" and
"Delivery and reviews".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from .. import charts
from .. import formatting as fmt
from ..formatting import N_
from ..i18n import Lang

NO_CUSTOMERS = N_("No customers in this view")
NO_DELIVERIES = N_("No delivered orders in this view")

#: The segments in the service's order, with the words a person reads.
SEGMENT_LABELS = {"loyal": N_("Loyal"), "at_risk": N_("At risk"), "new": N_("New"),
                  "one_time": N_("One-time"), "lost": N_("Lost")}
#: What puts a customer in a segment (METRICS.md's fixed thresholds); days are counted
#: from their last order in the range to the range's end.
SEGMENT_RULES = {
    "loyal": N_("2+ orders, the last within 180 days"),
    "at_risk": N_("2+ orders, none in the last 180 days"),
    "new": N_("1 order, within 90 days"),
    "one_time": N_("1 order, 91\u2013365 days ago"),
    "lost": N_("1 order, over 365 days ago"),
}
SEGMENT_COLOURS = {"loyal": charts.GREEN, "at_risk": charts.ORANGE, "new": charts.SKY,
                   "one_time": charts.BLUE, "lost": charts.GREY}

#: The lateness buckets, earliest first, as a person says them.
BUCKET_LABELS = {"early_7+": N_("7+ days early"), "early_1_6": N_("1\u20136 days early"),
                 "on_time": N_("On the day"), "late_1_3": N_("1\u20133 days late"),
                 "late_4_7": N_("4\u20137 days late"), "late_8_14": N_("8\u201314 days late"),
                 "late_15+": N_("15+ days late")}

#: Pale = nobody came back, dark blue = many: most cells of a real shop are near 0, and a
#: quiet colour there lets the few returns stand out (plotly picks a readable label colour).
RETENTION_SCALE = [[0.0, "#EEF3F8"], [0.35, "#9ECAE1"], [0.7, "#3182BD"], [1.0, "#08306B"]]


def month_label(month: str, lang: Lang) -> str:
    """`2021-03` -> `Mar 2021`, `mar. de 2021`."""
    return fmt.month(month, lang)


def add_months(month: str, k: int) -> str:
    """`2021-11` + 3 -> `2022-02` (cohort month plus an offset, for the hover)."""
    year, mon = int(month[:4]), int(month[5:7]) - 1 + k
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def short_id(customer: str) -> str:
    """`8d50f5ea…d8a1`: enough to tell customers apart on screen (the whole id is the
    cell's tooltip and is in the CSV)."""
    return customer if len(customer) <= 14 else f"{customer[:8]}\u2026{customer[-4:]}"


# --- cohorts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortMatrix:
    """The heatmap's grid: one row per cohort (oldest first), one column per month offset;
    None where the offset lies beyond the range's end (blank, not 0)."""

    cohorts: list[str]
    labels: list[str]
    offsets: list[int]
    z: list[list[float | None]]
    text: list[list[str]]
    hover: list[list[str]]


def cohort_hover(cohort: str, size: int, k: int, active: int, retention: float, lang: Lang
                 ) -> str:
    """What a cell says in words: who the cohort is, and how many came back that month."""
    _ = lang.gettext
    who = _("Customers who first bought in %(month)s: %(num)s") % {
        "month": month_label(cohort, lang), "num": fmt.integer(size, lang)}
    if k == 0:
        return who + "<br>" + _("month 0 is their first month (100% by definition)")
    values = {"rate": fmt.percent(retention, lang), "num": fmt.integer(active, lang), "k": k,
              "month": month_label(add_months(cohort, k), lang)}
    return who + "<br>" + lang.ngettext(
        "%(rate)s (%(num)s) bought again in month %(k)s (%(month)s, %(k)s month after)",
        "%(rate)s (%(num)s) bought again in month %(k)s (%(month)s, %(k)s months after)",
        k) % values


def cell_text(active: int, retention: float, lang: Lang) -> str:
    """A cell's label: `5.2%`, `100%` for month 0, a bare `0` where nobody came back
    (short, so a year of columns stays readable; the hover has the exact numbers)."""
    if not active:
        return "0"
    return fmt.percent(1, lang, 0) if retention == 1 else fmt.percent(retention, lang)


def cohort_matrix(cohorts: Sequence[Mapping[str, Any]], lang: Lang) -> CohortMatrix:
    """The service's cohorts as the heatmap's rows; the cohort size goes in the row's
    label so it reads beside the row."""
    rows = sorted(cohorts, key=lambda c: str(c["cohort"]))
    width = max((len(c.get("retention") or ()) for c in rows), default=0)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    hover: list[list[str]] = []
    for c in rows:
        by_k = {int(p["k"]): p for p in c.get("retention") or ()}
        z.append([by_k[k]["retention"] if k in by_k else None for k in range(width)])
        text.append([cell_text(by_k[k]["active"], by_k[k]["retention"], lang) if k in by_k
                     else "" for k in range(width)])
        hover.append([cohort_hover(str(c["cohort"]), int(c["size"]), k,
                                   int(by_k[k]["active"]), float(by_k[k]["retention"]), lang)
                      if k in by_k else "" for k in range(width)])
    return CohortMatrix(
        cohorts=[str(c["cohort"]) for c in rows],
        labels=[f"{month_label(str(c['cohort']), lang)} \u00b7 {fmt.integer(c['size'], lang)}"
                for c in rows],
        offsets=list(range(width)), z=z, text=text, hover=hover)


def colour_top(matrix: CohortMatrix) -> float:
    """The colour scale's top: the highest return rate after month 0 (month 0 is always
    100% and would leave every later cell pale); month-0 cells show the darkest colour."""
    later = [v for row in matrix.z for v in row[1:] if v is not None]
    top = max(later, default=0.0)
    return top if top > 0 else 1.0


def cohort_figure(cohorts: Sequence[Mapping[str, Any]], lang: Lang) -> go.Figure:
    """Cohort month (rows, oldest on top) x months since the first order (columns)."""
    _ = lang.gettext
    matrix = cohort_matrix(cohorts, lang)
    if not matrix.cohorts:
        return charts.empty_figure(_(NO_CUSTOMERS), lang)
    fig = go.Figure(go.Heatmap(
        z=matrix.z, x=matrix.offsets, y=matrix.labels, text=matrix.text,
        texttemplate="%{text}", textfont={"size": 10}, customdata=matrix.hover,
        hovertemplate="%{customdata}<extra></extra>", hoverongaps=False,
        colorscale=RETENTION_SCALE, zmin=0, zmax=colour_top(matrix), xgap=2, ygap=2,
        colorbar={"title": {"text": _("Came back"), "side": "right"},
                  "tickformat": ".1%" if colour_top(matrix) < 0.1 else ".0%",
                  "thickness": 10, "len": 0.9},
    ))
    fig.update_layout(**charts.base_layout(
        lang, margin={"l": 8, "r": 8, "t": 8, "b": 8},
        xaxis={"title": {"text": _("Months since first order"), "font": {"size": 11}},
               "side": "top", "dtick": 1, "showgrid": False, "fixedrange": True},
        yaxis={"autorange": "reversed", "showgrid": False, "fixedrange": True,
               "type": "category", "title": {"text": _("First order month \u00b7 customers"),
                                             "font": {"size": 11}}},
    ))
    return fig


def cohort_height(cohorts: Sequence[Mapping[str, Any]]) -> int:
    """Room for every row (a year of cohorts fits the default)."""
    return max(360, 90 + 24 * len(cohorts))


# --- segments --------------------------------------------------------------------------------


def _label(table: Mapping[str, str], key: str, lang: Lang) -> str:
    return lang.gettext(table[key]) if key in table else key


def segment_figure(segments: Sequence[Mapping[str, Any]], lang: Lang) -> go.Figure:
    """Customers per segment; orders, sales and mean recency in the hover. A bar's
    customdata[0] is its segment, which a click opens."""
    _ = lang.gettext
    if not segments or not any(s.get("customers") for s in segments):
        return charts.empty_figure(_(NO_CUSTOMERS), lang)
    keys = [str(s["segment"]) for s in segments]
    custom = [[k, fmt.integer(s.get("customers"), lang), fmt.integer(s.get("orders"), lang),
               fmt.money(s.get("sales"), lang), recency_text(s.get("avg_recency"), lang),
               _label(SEGMENT_RULES, k, lang) if k in SEGMENT_RULES else ""]
              for k, s in zip(keys, segments, strict=True)]
    fig = go.Figure(go.Bar(
        x=[_label(SEGMENT_LABELS, k, lang) for k in keys],
        y=[s.get("customers") for s in segments],
        marker={"color": [SEGMENT_COLOURS.get(k, charts.BLUE) for k in keys]},
        text=[fmt.integer(s.get("customers"), lang) for s in segments], textposition="outside",
        cliponaxis=False, customdata=custom,
        hovertemplate=("<b>%{x}</b>: %{customdata[5]}<br>"
                       + _("Customers %{customdata[1]}<br>Orders %{customdata[2]} \u00b7 "
                           "Sales %{customdata[3]}<br>Last order %{customdata[4]} before the "
                           "end (mean)<br><i>Click to list them</i>") + "<extra></extra>"),
    ))
    fig.update_layout(**charts.base_layout(
        lang, margin={"l": 8, "r": 8, "t": 24, "b": 8}, clickmode="event", dragmode=False,
        bargap=0.35, hovermode="closest",
        xaxis={"fixedrange": True, "showgrid": False},
        yaxis={"tickformat": "~s", "rangemode": "tozero", "fixedrange": True,
               "gridcolor": "#EEF1F4"},
    ))
    return fig


def recency_text(days: float | None, lang: Lang) -> str:
    """`42 days` (a mean, rounded); a dash when the segment is empty."""
    if days is None:
        return fmt.NONE
    return fmt.days(round(days), lang, 0)


def segment_table(segments: Sequence[Mapping[str, Any]], lang: Lang) -> list[list[str]]:
    """One row per segment for the legend: label, rule, customers, share of customers."""
    total = sum(int(s.get("customers") or 0) for s in segments)
    return [[_label(SEGMENT_LABELS, str(s["segment"]), lang),
             _label(SEGMENT_RULES, str(s["segment"]), lang) if str(s["segment"]) in
             SEGMENT_RULES else "", fmt.integer(s.get("customers"), lang),
             fmt.percent(int(s.get("customers") or 0) / total if total else None, lang)]
            for s in segments]


# --- reviews by lateness ---------------------------------------------------------------------


def lateness_figure(buckets: Sequence[Mapping[str, Any]], lang: Lang) -> go.Figure:
    """Mean review per lateness bucket (bars, early to late) and the share of 1-2 star
    reviews (line, right axis): what lateness costs, at a glance."""
    _ = lang.gettext
    if not buckets or not any(b.get("orders") for b in buckets):
        return charts.empty_figure(_(NO_DELIVERIES), lang)
    keys = [str(b["bucket"]) for b in buckets]
    labels = [_label(BUCKET_LABELS, k, lang) for k in keys]
    custom = [[k, fmt.integer(b.get("orders"), lang), review_text(b.get("avg_review"), lang),
               fmt.percent(b.get("low_review_share"), lang)]
              for k, b in zip(keys, buckets, strict=True)]
    hover = ("<b>%{x}</b><br>" + _("Orders %{customdata[1]}<br>Average review "
                                   "%{customdata[2]}<br>1\u20132 star reviews "
                                   "%{customdata[3]}") + "<extra></extra>")
    fig = go.Figure()
    fig.add_bar(x=labels, y=[b.get("avg_review") for b in buckets], name=_("Average review"),
                marker={"color": [charts.VERMILLION if k.startswith("late") else charts.BLUE
                                  for k in keys]},
                text=[review_text(b.get("avg_review"), lang) for b in buckets],
                textposition="outside", cliponaxis=False, customdata=custom,
                hovertemplate=hover)
    fig.add_scatter(x=labels, y=[b.get("low_review_share") for b in buckets],
                    name=_("1\u20132 star reviews (right axis)"), yaxis="y2",
                    mode="lines+markers", line={"color": charts.INK, "width": 2, "dash": "dot"},
                    marker={"size": 7}, customdata=custom, hovertemplate=hover,
                    connectgaps=False)
    fig.update_layout(**charts.base_layout(
        lang, showlegend=True, legend=charts.LEGEND, margin=charts.LEGEND_MARGIN,
        hovermode="closest", dragmode=False, bargap=0.3,
        xaxis={"fixedrange": True, "showgrid": False, "categoryorder": "array",
               "categoryarray": labels},
        yaxis={"range": [0, 5.4], "tickvals": [1, 2, 3, 4, 5], "fixedrange": True,
               "title": {"text": _("Average review (1\u20135)"), "font": {"size": 11}}},
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "rangemode": "tozero",
                "showgrid": False, "fixedrange": True},
    ))
    return fig


def review_text(value: float | None, lang: Lang) -> str:
    """`4.12` (a mean score, two decimals like the card); a dash without reviews."""
    return fmt.number(value, lang, 2)


def lateness_summary(buckets: Sequence[Mapping[str, Any]], lang: Lang) -> str:
    """One sentence on what lateness costs: the earliest on-time bucket with reviews
    against the latest late one (each bucket's own numbers, nothing pooled)."""
    def reviewed(keys: Sequence[str]) -> list[Mapping[str, Any]]:
        return [b for b in buckets if b["bucket"] in keys and b.get("avg_review") is not None]

    good = [b for k in ("on_time", "early_1_6", "early_7+") for b in reviewed((k,))]
    late = reviewed(tuple(k for k in BUCKET_LABELS if k.startswith("late")))
    if not good or not late:
        return ""
    parts = [lang.gettext("%(bucket)s: %(score)s stars, %(share)s of reviews 1\u20132 "
                          "stars") % {"bucket": lang.gettext(BUCKET_LABELS[b["bucket"]]),
                                      "score": review_text(b["avg_review"], lang),
                                      "share": fmt.percent(b.get("low_review_share"), lang)}
             for b in (good[0], late[-1])]
    return " \u00b7 ".join(parts)
