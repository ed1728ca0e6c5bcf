"""The filter value object shared by the page, the API and the query layer.

One normalised form (sorted, de-duplicated, validated against what the data
holds) means one cache key per view, one URL per view, and one place where a
wrong parameter is turned into a message that names it.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .regions import region_map

#: The filter dimensions, declared once: parameter name (API, page URL, filter bar,
#: breakdowns) -> Filters attribute. Each takes several values, combined with OR.
DIMENSIONS = {"state": "states", "region": "regions", "category": "categories",
              "payment_type": "payment_types", "seller": "sellers"}
LIST_PARAMS = tuple(DIMENSIONS)
DATE_PARAMS = ("start", "end")
FILTER_PARAMS = (*DATE_PARAMS, *LIST_PARAMS)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII only: \d takes any script's digits
#: The dates a filter may name. Far enough from Python's date limits that every derived
#: period (the previous one, a year back for YoY) is computable, so a hostile date is a
#: 400 naming its parameter and never an OverflowError. 1900-01-01 is a Monday and a
#: month's first day: reference periods clamped to it stay whole weeks and months.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)
_WINDOW = {"min": str(DATE_MIN), "max": str(DATE_MAX)}


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "extract, translate later"
    """Marks a message template for the page's catalogs (babel.cfg reads this module)."""
    return message


class FilterError(ValueError):
    """A filter parameter is wrong; `parameter` names it (the API returns it with a 400).

    `message` is English, the API's words. The page shows the same reason in the reader's
    language: `template` (a catalog message) filled with `values` (plain strings)."""

    def __init__(self, parameter: str, message: str, template: str | None = None,
                 values: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.template = template or message.replace("%", "%%")
        self.values = dict(values or {})

    @classmethod
    def of(cls, parameter: str, template: str, **values: object) -> FilterError:
        """The error from a template marked with N_ and its values."""
        texts = {k: str(v) for k, v in values.items()}
        return cls(parameter, template % texts, template, texts)


@dataclass(frozen=True)
class Domain:
    """What the loaded data holds: the values filters are checked against."""

    min_day: date | None
    max_day: date | None
    states: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    payment_types: tuple[str, ...] = ()
    sellers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """A normalised filter set. Empty tuples mean "all"; None dates mean the data's range."""

    start: date | None = None
    end: date | None = None
    states: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    payment_types: tuple[str, ...] = ()
    #: seller_ids; matched like categories, item by item (an item counts when it is in a
    #: selected category AND sold by a selected seller)
    sellers: tuple[str, ...] = ()

    # --- derived views -------------------------------------------------------

    def effective_states(self) -> tuple[str, ...] | None:
        """States the state and region filters allow together (None: no restriction)."""
        if not self.states and not self.regions:
            return None
        allowed: set[str] | None = set(self.states) if self.states else None
        if self.regions:
            in_regions = {s for r in self.regions for s in region_map().get(r, ())}
            allowed = in_regions if allowed is None else allowed & in_regions
        return tuple(sorted(allowed or ()))

    @property
    def days(self) -> int:
        assert self.start and self.end, "resolve() the filters first"
        return (self.end - self.start).days + 1

    def whole_months(self) -> int | None:
        """N when [start, end] is N whole calendar months, else None.

        Such a range is compared with the N calendar months before it (a year with the
        year before, Q2 with Q1), not with as many days: months differ in length."""
        assert self.start and self.end, "resolve() the filters first"
        last_day = calendar.monthrange(self.end.year, self.end.month)[1]
        if self.start.day != 1 or self.end.day != last_day:
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def _previous_span(self) -> tuple[date, date, str, int]:
        """(start, end, basis, length) of the previous period (METRICS.md).

        Checked against DATE_MIN before any date arithmetic, so an early `start` is a
        FilterError naming it rather than an OverflowError deep in a query."""
        assert self.start and self.end, "resolve() the filters first"
        months = self.whole_months()
        if months is not None:
            index = self.start.year * 12 + self.start.month - 1 - months
            if index < DATE_MIN.year * 12 + DATE_MIN.month - 1:
                raise self._too_early()
            first = date(index // 12, index % 12 + 1, 1)
            return first, self.start - timedelta(days=1), "months", months
        if self.start.toordinal() - self.days < DATE_MIN.toordinal():
            raise self._too_early()
        return (self.start - timedelta(days=self.days), self.start - timedelta(days=1),
                "days", self.days)

    def _too_early(self) -> FilterError:
        return FilterError.of(
            "start", N_("start %(start)s is too early: the period before %(start)s to "
                        "%(end)s, which growth compares with, would begin before %(min)s "
                        "(dates must lie between %(min)s and %(max)s)"),
            start=self.start, end=self.end, **_WINDOW)

    def previous(self) -> Filters:
        """The same filters over the previous period: growth compares the range with it."""
        start, end, _, _ = self._previous_span()
        return replace(self, start=start, end=end)

    def previous_period_json(self) -> dict[str, object]:
        """The previous period for output, with its rule, so a reader can tell a calendar
        comparison (`months`) from a same-length one (`days`)."""
        start, end, basis, length = self._previous_span()
        return {"start": start.isoformat(), "end": end.isoformat(), "basis": basis,
                "length": length}

    def resolve(self, domain: Domain) -> Filters:
        """Concrete dates: a missing bound becomes the data's first/last day."""
        start = self.start or domain.min_day or date.today()
        end = self.end or domain.max_day or start
        if start > end:  # only possible when one bound came from the data
            raise FilterError.of(
                "start" if self.start else "end",
                N_("the date range is empty: start %(start)s is after end %(end)s "
                   "(the data covers %(first)s to %(last)s)"),
                start=start, end=end, first=domain.min_day, last=domain.max_day)
        resolved = replace(self, start=start, end=end)
        try:
            resolved.previous()  # a previous period before DATE_MIN is a 400 now, not later
        except FilterError:
            if self.start or not self.end:
                raise
            # The start is the data's, so name what the caller gave: `?end=2999-12-31` is
            # a range too long for the period before it, not a `start` they never sent.
            raise FilterError.of(
                "end", N_("end %(end)s is too late: the range from the data's first day "
                          "%(start)s to it is so long that the period before it, which growth "
                          "compares with, would begin before %(min)s (dates must lie between "
                          "%(min)s and %(max)s); give a later start or an earlier end"),
                end=end, start=start, **_WINDOW) from None
        return resolved

    def without(self, *names: str) -> Filters:
        """The same filters minus some kinds: a chart shows its own dimension unfiltered."""
        return replace(self, **{DIMENSIONS[n]: () for n in names})

    def with_values(self, name: str, values: Iterable[str]) -> Filters:
        return replace(self, **{DIMENSIONS[name]: tuple(sorted(set(values)))})

    # --- (de)serialisation -----------------------------------------------------

    def to_params(self) -> dict[str, list[str]]:
        """Query parameters (API and page URL share these names), empty ones left out."""
        out: dict[str, list[str]] = {}
        if self.start:
            out["start"] = [self.start.isoformat()]
        if self.end:
            out["end"] = [self.end.isoformat()]
        for name, attr in DIMENSIONS.items():
            values = getattr(self, attr)
            if values:
                out[name] = list(values)
        return out

    def to_json(self) -> dict[str, object]:
        """The JSON form the API answers with and the page's view store carries."""
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            **{name: list(getattr(self, attr)) for name, attr in DIMENSIONS.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Filters:
        """Inverse of `to_json` (extra keys, such as the previous period, are ignored)."""
        def day(name: str) -> date | None:
            raw = data.get(name)
            return date.fromisoformat(str(raw)) if raw else None

        return cls(start=day("start"), end=day("end"),
                   **{attr: tuple(str(v) for v in data.get(name) or ())  # type: ignore[union-attr]
                      for name, attr in DIMENSIONS.items()})

    def cache_key(self) -> str:
        parts = [f"{k}={','.join(v)}" for k, v in sorted(self.to_params().items())]
        return "&".join(parts)


def _split(values: Iterable[str]) -> list[str]:
    out = []
    for v in values:
        out.extend(p.strip() for p in str(v).split(","))
    return [p for p in out if p]


def shown(raw: str) -> str:
    """A value as quoted back in a message, cut short: messages echo input, not essays (a
    hostile 10 kB value must not come back as a 10 kB error, nor fill the logs). Public so
    every parameter's message (the API's own ones too) quotes input the same way."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")


def parse_day(name: str, raw: str) -> date:
    """One day from the parameter `name` (YYYY-MM-DD, inside DATE_MIN..DATE_MAX).

    Public so that every date parameter (filters, the insight `event`) is checked the
    same way and fails with the same FilterError naming it."""
    if not _DATE.fullmatch(raw):
        raise FilterError.of(name, N_("%(name)s must be a date as YYYY-MM-DD, got %(value)s"),
                             name=name, value=shown(raw))
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FilterError.of(name, N_("%(name)s is not a valid date: %(value)s (it must be a "
                                      "date as YYYY-MM-DD)"), name=name, value=shown(raw)
                             ) from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise FilterError.of(name, N_("%(name)s %(value)s is out of range: dates must lie "
                                      "between %(min)s and %(max)s"),
                             name=name, value=raw, **_WINDOW)
    return day


def _parse_date(name: str, values: list[str]) -> date | None:
    values = _split(values)
    if not values:
        return None
    if len(values) > 1:
        raise FilterError.of(name, N_("%(name)s takes one date, got %(count)s"),
                             name=name, count=len(values))
    return parse_day(name, values[0])


def _check_values(name: str, values: list[str], allowed: Iterable[str],
                  fold_case: bool = False) -> tuple[str, ...]:
    allowed = list(allowed)
    lookup = {(a.lower() if fold_case else a): a for a in allowed}
    out = []
    for v in values:
        key = v.lower() if fold_case else v
        if key not in lookup:
            close = difflib.get_close_matches(v, allowed, n=1)
            known = ", ".join(allowed[:30]) + (" ..." if len(allowed) > 30 else "")
            if close:
                raise FilterError.of(name, N_("unknown %(name)s %(value)s (did you mean "
                                              "%(close)s?); known values: %(known)s"),
                                     name=name, value=shown(v), close=repr(close[0]),
                                     known=known)
            raise FilterError.of(name, N_("unknown %(name)s %(value)s; known values: "
                                          "%(known)s"), name=name, value=shown(v), known=known)
        out.append(lookup[key])
    return tuple(sorted(set(out)))


def parse_filters(params: Mapping[str, Iterable[str]], domain: Domain,
                  allowed_extra: Iterable[str] = ()) -> Filters:
    """Validate query parameters (each repeatable or comma-separated) into Filters."""
    known = set(FILTER_PARAMS) | set(allowed_extra)
    for name in params:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            if close:
                raise FilterError.of(name, N_("unknown parameter %(value)s (did you mean "
                                              "%(close)s?)"), value=shown(name),
                                     close=repr(close[0]))
            raise FilterError.of(name, N_("unknown parameter %(value)s"), value=shown(name))

    def get(name: str) -> list[str]:
        return _split(params.get(name, ()))

    start = _parse_date("start", list(params.get("start", ())))
    end = _parse_date("end", list(params.get("end", ())))
    if start and end and start > end:
        raise FilterError.of("start", N_("start %(start)s is after end %(end)s"),
                             start=start, end=end)
    regions = region_map()
    states = _check_values("state", get("state"),
                           sorted(set(domain.states) | {s for v in regions.values() for s in v}),
                           fold_case=True)
    if start and end:
        Filters(start=start, end=end).previous()  # raises when it begins before DATE_MIN
    return Filters(
        start=start,
        end=end,
        states=states,
        regions=_check_values("region", get("region"), list(regions), fold_case=True),
        categories=_check_values("category", get("category"), domain.categories,
                                 fold_case=True),
        payment_types=_check_values("payment_type", get("payment_type"),
                                    domain.payment_types, fold_case=True),
        sellers=_check_values("seller", get("seller"), domain.sellers),
    )
