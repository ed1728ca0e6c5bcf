"""The page's filter state lives in the URL query: parsing, writing and editing it.

Why the URL: it is the single source of truth that makes a view bookmarkable,
makes Back/Forward step through filter changes, and uses the REST API's
parameter names, so `/?state=SP` and `/api/v1/kpis?state=SP` are the same view.
Everything here is pure (strings, dicts, dates in and out) so it is tested
without a browser; validation against the data stays in `PulseService.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, quote

from ..filters import DATE_PARAMS, FILTER_PARAMS, LIST_PARAMS, FilterError, Filters, parse_day
from ..regions import region_map
from .formatting import N_

Params = dict[str, list[str]]

#: Parameters of the page that are not filters: they travel with every URL the page
#: writes (a filter change keeps the language, the theme and the time chart's grain) and
#: never reach the filter parser nor the API.
PAGE_PARAMS = ("lang", "theme", "grain")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_search(search: str | None) -> Params:
    """`?state=SP,RJ&state=MG` -> {"state": ["SP", "RJ", "MG"]}.

    Values may be comma-separated or repeated (as in the API). Unknown names are
    kept (with their values) so that the view can name them in its message
    instead of silently dropping them.
    """
    out: Params = {}
    for name, value in parse_qsl((search or "").lstrip("?"), keep_blank_values=True):
        name = name.strip()
        if not name:
            continue
        out.setdefault(name, []).extend(_split(value))
    return out


def normalise(params: Mapping[str, Iterable[str]]) -> Params:
    """One form per view: lists sorted and de-duplicated, empty ones dropped."""
    out: Params = {}
    for name, values in params.items():
        vals = [v for v in values if v]
        if not vals:
            continue
        out[name] = vals[:1] if name in DATE_PARAMS else sorted(set(vals))
    return out


def build_search(params: Mapping[str, Iterable[str]]) -> str:
    """The query string for a view ('' for "everything"), in the API's parameter order.

    Commas separate values and stay readable (`?state=RJ,SP`); anything else
    unusual in a value is percent-encoded.
    """
    clean = normalise(params)
    order = [n for n in FILTER_PARAMS if n in clean] + sorted(n for n in clean
                                                            if n not in FILTER_PARAMS)
    parts = [f"{quote(n, safe='')}={','.join(quote(v, safe='') for v in clean[n])}"
             for n in order]
    return "?" + "&".join(parts) if parts else ""


def without_page_params(params: Mapping[str, Iterable[str]]) -> Params:
    """The filters of a URL's parameters (the language and other page settings aside)."""
    return {k: list(v) for k, v in params.items() if k not in PAGE_PARAMS}


def keep_page_params(new: str, old: str | None) -> str:
    """`new` (a URL the page computed from filters) with `old`'s page parameters (its
    language, its theme): switching a filter never switches them back."""
    kept = {k: v for k, v in parse_search(old).items() if k in PAGE_PARAMS}
    if not kept:
        return new
    return build_search({**without_page_params(parse_search(new)), **kept})


def with_lang(search: str | None, code: str) -> str:
    """The same view in another language (`?state=SP&lang=pt-BR`)."""
    params = parse_search(search)
    params["lang"] = [code]
    return build_search(params)


def same_view(a: str | None, b: str | None) -> bool:
    """True when two query strings describe the same filters (order and repeats aside);
    view settings (`theme`) are not filters."""
    return (normalise(without_page_params(parse_search(a)))
            == normalise(without_page_params(parse_search(b))))


# --- view settings: page parameters with a fixed set of values -----------------------------

#: Page-only settings a link may carry, with their accepted values (first = default).
VIEW_SETTINGS: dict[str, tuple[str, ...]] = {"theme": ("light", "dark"),
                                              "grain": ("month", "day")}


def view_setting(search: str | None, name: str) -> str | None:
    """A view setting the URL names with an accepted value, else None (the page then
    uses the remembered one)."""
    values = parse_search(search).get(name) or []
    value = values[-1].lower() if values else None
    return value if value in VIEW_SETTINGS[name] else None


def with_view_setting(search: str | None, name: str, value: str) -> str:
    """The same view with one setting changed: every filter is kept."""
    params = parse_search(search)
    params[name] = [value]
    return build_search(params)


def with_grain(search: str | None, grain: str | None) -> str:
    """The view with its sales-over-time chart by month or by day. Month is the default,
    so it leaves the URL (a link without `grain` is the monthly chart, as before)."""
    params = parse_search(search)
    params.pop("grain", None)
    if grain in VIEW_SETTINGS["grain"] and grain != VIEW_SETTINGS["grain"][0]:
        params["grain"] = [grain]
    return build_search(params)


def day_drag_range(x0: object, x1: object, first: date | None = None,
                   last: date | None = None) -> tuple[date, date]:
    """A horizontal drag on the daily chart -> the days whose bars it covers (a day is in
    when its middle, noon, is inside the drag), clamped to the data."""
    a, b = sorted((_to_datetime(x0), _to_datetime(x1)))
    start = a.date() if a.hour < 12 or a == _noon(a.date()) else a.date() + timedelta(days=1)
    end = b.date() if b >= _noon(b.date()) else b.date() - timedelta(days=1)
    if end < start:  # inside one bar: that day
        start = end = (a + (b - a) / 2).date()
    if first:
        start, end = max(start, first), max(end, first)
    if last:
        start, end = min(start, last), min(end, last)
    return start, end




# --- the default range, and how a range is written in the URL --------------------------


def default_range(first: date | None, last: date | None) -> tuple[date | None, date | None]:
    """The range a URL without dates shows: the last 12 whole calendar months of the data,
    so every comparison on the page is a year against the year before (a calendar
    previous period). Data covering less than that: all of it ((None, None))."""
    if first is None or last is None:
        return None, None
    end = last if (last + timedelta(days=1)).day == 1 else date(last.year, last.month, 1) \
        - timedelta(days=1)
    start = date(end.year - 1, end.month % 12 + 1, 1) if end.month < 12 else \
        date(end.year, 1, 1)
    if start < first:
        return None, None
    return start, end


def range_params(start: date | None, end: date | None, first: date | None,
                 last: date | None) -> Params:
    """How a date range is written in the URL: nothing for the default range (the link
    then follows the data as loads extend it); otherwise a bound equal to the data's own
    is left out, as the API reads a missing bound as the data's, except that "all dates"
    keeps its start (no dates at all would mean the default)."""
    start, end = start or first, end or last
    if (start, end) == default_range(first, last) or start is None or end is None:
        return {}
    out: Params = {}
    if start != first or end == last:
        out["start"] = [start.isoformat()]
    if end != last:
        out["end"] = [end.isoformat()]
    return out


def search_from_filters(filters: Filters, data_start: date | None = None,
                        data_end: date | None = None) -> str:
    """The URL of a filter set (dates written as `range_params` says)."""
    params = {k: v for k, v in filters.to_params().items() if k not in DATE_PARAMS}
    if data_start is None or data_end is None:  # nothing to compare with: say it all
        params.update({k: v for k, v in filters.to_params().items() if k in DATE_PARAMS})
    else:
        params.update(range_params(filters.start, filters.end, data_start, data_end))
    return build_search(params)


# --- edits the page makes --------------------------------------------------------------


def toggle(params: Mapping[str, Iterable[str]], name: str, value: str,
           clear: Iterable[str] = ()) -> Params:
    """A click on a chart element: select just it, or, if it is selected, unselect it.

    With one value selected this is "set / clear" (a second click restores the
    totals). `clear` names other filters that the click replaces (a click on a
    state drops the region filter, which would otherwise contradict it).
    """
    out = {k: list(v) for k, v in params.items()}
    current = out.get(name, [])
    if value in current:
        rest = [v for v in current if v != value]
        if rest:
            out[name] = rest
        else:
            out.pop(name, None)
    else:
        out[name] = [value]
        for other in clear:
            out.pop(other, None)
    return normalise(out)


def with_dates(params: Mapping[str, Iterable[str]], start: date | None, end: date | None,
               first: date | None, last: date | None) -> Params:
    """The same filters with another date range, written as `range_params` says."""
    out = {k: list(v) for k, v in params.items() if k not in (*DATE_PARAMS, "range")}
    out.update(range_params(start, end, first, last))
    return normalise(out)


# --- quick picks and the time chart's drag ------------------------------------------------


def quick_picks(first: date | None, last: date | None) -> list[tuple[str, str]]:
    """(key, label) of the date shortcuts: the default (12 whole months), relative ones,
    one per calendar year, all."""
    picks = [("12m", N_("Last 12 months")), ("30d", N_("Last 30 days")),
             ("90d", N_("Last 90 days")), ("ytd", N_("Year to date"))]
    if first and last:
        picks += [(str(y), str(y)) for y in range(first.year, last.year + 1)]
    picks.append(("all", N_("All")))
    return picks


def quick_range(key: str, first: date | None, last: date | None
                ) -> tuple[date | None, date | None]:
    """The date range of a quick pick, relative to the data's last day (None = open)."""
    if key == "12m":
        return default_range(first, last)
    if key == "all" or last is None:
        return first, last
    if key == "30d":
        return last - timedelta(days=29), last
    if key == "90d":
        return last - timedelta(days=89), last
    if key == "ytd":
        return date(last.year, 1, 1), last
    if key.isdigit():
        year = int(key)
        return date(year, 1, 1), date(year, 12, 31)
    raise ValueError(f"unknown quick pick {key!r}")


def active_quick(start: date | None, end: date | None, first: date | None,
                 last: date | None) -> set[str]:
    """The quick picks the current range equals (to highlight their buttons); several can
    match (when the data ends on 31 Dec, "year to date" is that whole year)."""
    if start is None and end is None:
        start, end = default_range(first, last)
    start = start or first
    end = end or last
    out = set()
    for key, _ in quick_picks(first, last):
        lo, hi = quick_range(key, first, last)
        if (lo or first) == start and (hi or last) == end:
            out.add(key)
    return out


#: The date presets a saved view keeps relative (`range=30d`): opened later, it shows the
#: last 30 days of the data of that day. A year or an explicit range stays as written.
RELATIVE_PICKS = ("30d", "90d", "ytd", "all")


def _preset_ok(key: str) -> bool:
    return key in (*RELATIVE_PICKS, "12m") or (key.isascii() and key.isdigit()
                                              and len(key) == 4 and 1900 <= int(key) <= 2999)


def resolve_preset(params: Mapping[str, Iterable[str]], first: date | None,
                   last: date | None) -> Params:
    """A saved view's `range=30d` made concrete against the data's range (explicit dates in
    the URL win; an unknown preset is dropped: the default range shows)."""
    out = {k: list(v) for k, v in params.items() if k != "range"}
    keys = list(params.get("range", []))
    if not keys or any(k in out for k in DATE_PARAMS) or not _preset_ok(keys[0]):
        return out
    start, end = quick_range(keys[0], first, last)
    if keys[0] == "12m" or start is None or end is None:
        return out
    out.update({"start": [start.isoformat()], "end": [end.isoformat()]})
    return out


def relative_query(search: str | None, first: date | None, last: date | None) -> str:
    """The query a view is saved under (no `?`): its dates as a relative preset when they
    are one ("last 30 days" stays the last 30 days), else as they are."""
    params = parse_search(search)
    dates = [_valid_day(params.get(name, [])) for name in DATE_PARAMS]
    if "range" not in params and any(dates) and first and last:
        start = date.fromisoformat(dates[0]) if dates[0] else first
        end = date.fromisoformat(dates[1]) if dates[1] else last
        found = [k for k in RELATIVE_PICKS if k in active_quick(start, end, first, last)]
        if found:
            params = {k: v for k, v in params.items() if k not in DATE_PARAMS}
            params["range"] = [found[0]]
    return build_search(params).lstrip("?")


def _to_date(value: object) -> date:
    text = str(value).strip().replace("T", " ")
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return date.fromisoformat(text[:10])


def _to_datetime(value: object) -> datetime:
    """A plotly axis value ('2018-03-04 17:30:00.123', '2018-03-04') as a datetime."""
    text = str(value).strip().replace("T", " ")
    try:
        return datetime.fromisoformat(text[:19])
    except ValueError:
        return datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())


def _noon(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=12)


def _month_end(day: date) -> date:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def drag_range(x0: object, x1: object, first: date | None = None, last: date | None = None
               ) -> tuple[date, date]:
    """A horizontal drag on the monthly chart -> whole months, clamped to the data.

    A month is in when the middle of its bar (the 15th) is inside the drag, which
    is what the eye sees; a drag inside one bar selects that month.
    """
    a, b = sorted((_to_date(x0), _to_date(x1)))
    months = []
    cursor = date(a.year, a.month, 1)
    while cursor <= b:
        if a <= cursor.replace(day=15) <= b:
            months.append(cursor)
        cursor = _month_end(cursor) + timedelta(days=1)
    if not months:
        mid = a + (b - a) / 2
        months = [date(mid.year, mid.month, 1)]
    start, end = months[0], _month_end(months[-1])
    if first:
        start = max(start, first)
    if last:
        end = min(end, last)
    if first and end < first:
        end = first
    if last and start > last:
        start = last
    return start, end


# --- the filter bar's controls ----------------------------------------------------------


@dataclass(frozen=True)
class Controls:
    """What the filter bar shows for a URL: canonical values only."""

    start: str | None = None
    end: str | None = None
    state: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    payment_type: list[str] = field(default_factory=list)
    #: seller ids as the URL has them (plausible ones only): the view checks them against
    #: the data, whose 3,095 sellers the page's meta does not carry
    seller: list[str] = field(default_factory=list)


#: What a seller id may look like before the view checks it against the data.
_SELLER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _canonical(values: Iterable[str], allowed: Iterable[str]) -> list[str]:
    lookup = {a.lower(): a for a in allowed}
    return sorted({lookup[v.lower()] for v in values if v.lower() in lookup})


def _day_or_none(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _valid_day(values: list[str]) -> str | None:
    """The URL's date if the view can take it (`filters.parse_day`: ASCII YYYY-MM-DD inside
    1900..2999), else None: the bar showed `?start=0001-10-01` while the view ignored it."""
    if len(values) != 1:
        return None
    try:
        return parse_day("date", values[0]).isoformat()
    except FilterError:
        return None


def controls_from_search(search: str | None, meta: Mapping[str, object] | None) -> Controls:
    """The filter bar for a URL: known values in their canonical spelling, dates shown
    as the data's range when the URL leaves them open. Unknown values are left out
    here; the view's message names them."""
    meta = meta or {}
    params = resolve_preset(parse_search(search), _day_or_none(meta.get("start")),
                            _day_or_none(meta.get("end")))
    regions = region_map()
    all_states = set(meta.get("states") or ()) | {s for v in regions.values() for s in v}
    start = _valid_day(params.get("start", []))
    end = _valid_day(params.get("end", []))
    if start is None and end is None:  # the default range, as the view shows it
        lo, hi = default_range(_day_or_none(meta.get("start")), _day_or_none(meta.get("end")))
        start, end = (lo.isoformat() if lo else None), (hi.isoformat() if hi else None)
    start = start or meta.get("start")
    end = end or meta.get("end")
    return Controls(
        start=str(start) if start else None,
        end=str(end) if end else None,
        state=_canonical(params.get("state", []), all_states),
        region=_canonical(params.get("region", []), regions),
        category=_canonical(params.get("category", []), meta.get("categories") or ()),
        payment_type=_canonical(params.get("payment_type", []),
                                meta.get("payment_types") or ()),
        seller=sorted({v for v in params.get("seller", []) if _SELLER_ID.fullmatch(v)}),
    )


def search_from_controls(controls: Controls, meta: Mapping[str, object] | None) -> str:
    """The URL for what the filter bar shows (dates written as `range_params` says)."""
    meta = meta or {}
    params = range_params(_day_or_none((controls.start or "")[:10]),
                          _day_or_none((controls.end or "")[:10]),
                          _day_or_none(meta.get("start")), _day_or_none(meta.get("end")))
    for name in LIST_PARAMS:
        values = getattr(controls, name) or []
        if values:
            params[name] = list(values)
    return build_search(params)
