"""The insight models' words in the reader's language: their notes' codes (why there is
no forecast, why no lift, what to keep in mind) and the forecast models' names.

Why here and not in `dashapp.insight`: the models sit below the page and know no
language; they give each note as a stable code with plain values (`insight.notes`), and
the page writes it with the request's `Lang`, numbers and dates the reader's way. A code
this module does not know (a newer model, an answer cached before codes existed) shows
the API's English text: never an empty line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import formatting as fmt
from ..formatting import N_
from ..i18n import Lang

#: The forecast candidates' names (insight.forecast.LABELS, the API's English).
MODEL_LABELS = {
    "seasonal_naive": N_("Seasonal naive (same month last year)"),
    "ets": N_("Exponential smoothing ETS(A,N,A) on log values"),
    "theta": N_("Theta method, multiplicative deseasonalising"),
    "trend_season": N_("Log-linear trend + month-of-year regression"),
}
#: The retail calendar's events (insight.calendar.EVENTS), as a note names them.
EVENT_NAMES = {
    "black_friday_week": N_("Black Friday week"), "black_friday": N_("Black Friday"),
    "cyber_days": N_("Cyber days"), "december_run_up": N_("the December run-up"),
    "christmas": N_("Christmas"), "year_end": N_("the year's end"),
    "new_year": N_("New Year's Day"), "mothers_day": N_("Mother's Day"),
    "fathers_day": N_("Father's Day"),
}

Values = Mapping[str, Any]


def model_label(model: object, lang: Lang, english: object = None) -> str:
    """A forecast model's name in the reader's language (the API's label otherwise)."""
    if isinstance(model, str) and model in MODEL_LABELS:
        return lang.gettext(MODEL_LABELS[model])
    return str(english or model or fmt.NONE)


def _day(v: Values, key: str, lang: Lang) -> str:
    return fmt.nice_date(str(v[key]), lang)


def _num(v: Values, key: str, lang: Lang) -> str:
    return fmt.integer(v[key], lang)


def _short_history(v: Values, lang: Lang) -> str:
    return lang.ngettext(
        "only %(months)s whole month of history for these filters; a forecast needs at "
        "least %(needed)s (%(train)s to fit on, as a yearly season must be seen twice, and "
        "%(held_out)s to backtest on)",
        "only %(months)s whole months of history for these filters; a forecast needs at "
        "least %(needed)s (%(train)s to fit on, as a yearly season must be seen twice, and "
        "%(held_out)s to backtest on)", int(v["months"])) % {
        k: _num(v, k, lang) for k in ("months", "needed", "train", "held_out")}


def _empty_months(v: Values, lang: Lang) -> str:
    months: Sequence[str] = v["months"] or ()
    shown = ", ".join(fmt.month(m, lang) for m in months) + (" \u2026" if v["more"] else "")
    return lang.ngettext(
        "%(count)s month without any sales for these filters (%(months)s): the series is "
        "too sparse to forecast",
        "%(count)s months without any sales for these filters (%(months)s): the series is "
        "too sparse to forecast", int(v["count"])) % {
        "count": _num(v, "count", lang), "months": shown}


def _short_baseline(v: Values, lang: Lang) -> str:
    values = {"days": _num(v, "days", lang), "event": _day(v, "event", lang),
              "needed": _num(v, "needed", lang)}
    if not v["days"]:
        return lang.gettext("no days of data before %(event)s (at least %(needed)s are "
                            "needed to fit the baseline)") % values
    return lang.ngettext(
        "only %(days)s day of data before %(event)s (at least %(needed)s are needed to fit "
        "the baseline)",
        "only %(days)s days of data before %(event)s (at least %(needed)s are needed to fit "
        "the baseline)", int(v["days"])) % values


def _short_window(v: Values, lang: Lang) -> str:
    return lang.ngettext(
        "only %(days)s day of data from %(event)s on (at least %(needed)s are needed)",
        "only %(days)s days of data from %(event)s on (at least %(needed)s are needed)",
        int(v["days"])) % {"days": _num(v, "days", lang), "event": _day(v, "event", lang),
                           "needed": _num(v, "needed", lang)}


def _few_active_days(v: Values, lang: Lang) -> str:
    return lang.ngettext(
        "only %(days)s day with sales in the baseline (at least %(needed)s are needed to "
        "fit it): too little data for a lift",
        "only %(days)s days with sales in the baseline (at least %(needed)s are needed to "
        "fit it): too little data for a lift", int(v["days"])) % {
        "days": _num(v, "days", lang), "needed": _num(v, "needed", lang)}


def _thin_projection(v: Values, lang: Lang) -> str:
    worth = fmt.NONE if v["worth"] is None else fmt.number(v["worth"], lang, 1)
    return lang.gettext(
        "the baseline expects only about %(worth)s orders' worth over the window (at least "
        "%(needed)s are needed): too little data for a lift") % {
        "worth": worth, "needed": _num(v, "needed", lang)}


def _no_yearly_season(v: Values, lang: Lang) -> str:
    return lang.gettext(
        "baseline shorter than %(days)s days: no yearly seasonality fitted, the projection "
        "has the weekday profile and the trend only") % {"days": _num(v, "days", lang)}


def _unseen_events(v: Values, lang: Lang) -> str:
    names = ", ".join(lang.gettext(EVENT_NAMES[e]) if e in EVENT_NAMES else str(e)
                      for e in v["events"] or ())
    return lang.gettext("retail events in the window that the baseline never saw (assumed "
                        "to have no effect): %(events)s") % {"events": names}


def _event_outside(v: Values, lang: Lang) -> str:
    return lang.gettext("event %(event)s is outside the data range %(start)s to %(end)s "
                        "(for these filters)") % {
        k: _day(v, k, lang) for k in ("event", "start", "end")}


def _event_too_early(v: Values, lang: Lang) -> str:
    return lang.ngettext(
        "event %(event)s has only %(days)s day of data before it (from %(start)s); the "
        "baseline needs at least %(needed)s, so the earliest possible event is %(earliest)s",
        "event %(event)s has only %(days)s days of data before it (from %(start)s); the "
        "baseline needs at least %(needed)s, so the earliest possible event is %(earliest)s",
        int(v["days"])) % {"event": _day(v, "event", lang), "start": _day(v, "start", lang),
                           "earliest": _day(v, "earliest", lang),
                           "days": _num(v, "days", lang), "needed": _num(v, "needed", lang)}


def _event_too_late(v: Values, lang: Lang) -> str:
    return lang.ngettext(
        "event %(event)s leaves only %(days)s day of data after it (to %(end)s); at least "
        "%(needed)s are needed",
        "event %(event)s leaves only %(days)s days of data after it (to %(end)s); at least "
        "%(needed)s are needed", int(v["days"])) % {
        "event": _day(v, "event", lang), "end": _day(v, "end", lang),
        "days": _num(v, "days", lang), "needed": _num(v, "needed", lang)}


#: One writer per code of insight.notes.CODES (the test holds the two sets equal).
WRITERS: dict[str, Callable[[Values, Lang], str]] = {
    "short_history": _short_history,
    "empty_months": _empty_months,
    "no_sales": lambda v, lang: lang.gettext("no sales at all for these filters"),
    "baseline_no_sales": lambda v, lang: lang.gettext("the baseline window has no sales"),
    "short_baseline": _short_baseline,
    "short_window": _short_window,
    "few_active_days": _few_active_days,
    "thin_projection": _thin_projection,
    "no_yearly_season": _no_yearly_season,
    "unseen_events": _unseen_events,
    "event_outside": _event_outside,
    "event_too_early": _event_too_early,
    "event_too_late": _event_too_late,
}


def note_text(code: object, values: object, lang: Lang, english: object = "") -> str:
    """A model's note in the reader's language; its English text when the code is unknown
    or its values do not fit (an answer from an older or newer version)."""
    writer = WRITERS.get(code) if isinstance(code, str) else None
    if writer is None or not isinstance(values, Mapping):
        return str(english or "")
    try:
        return writer(values, lang)
    except (KeyError, TypeError, ValueError):
        return str(english or "")


def reason_text(body: Mapping[str, Any], lang: Lang) -> str:
    """The `reason` of an answer or a row (`reason_code`, `reason_values`) translated."""
    return note_text(body.get("reason_code"), body.get("reason_values"), lang,
                     body.get("reason"))


def notes_text(body: Mapping[str, Any], lang: Lang) -> list[str]:
    """An answer's `notes`, translated where `note_codes` says what they are."""
    coded = body.get("note_codes")
    english = [str(n) for n in body.get("notes") or ()]
    if not isinstance(coded, list) or len(coded) != len(english):
        return english
    return [note_text(c.get("code"), c.get("values"), lang, e) if isinstance(c, Mapping)
            else e for c, e in zip(coded, english, strict=True)]


def error_text(exc: Exception, lang: Lang) -> str:
    """An ImpactError's or a WindowError's message translated (their `note`); any other
    error's own words."""
    why = getattr(exc, "note", None)
    if why is None:
        return str(exc)
    return note_text(why.code, why.values, lang, str(exc))
