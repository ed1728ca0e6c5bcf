"""The filter value object shared by the page, the API and the query layer.

One normalised form (sorted, de-duplicated, validated against what the data
holds) means one cache key per view, one URL per view, and one place where a
wrong parameter is turned into a message that names it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .regions import region_map

#: The filter dimensions, declared once: parameter name (API, page URL, filter bar,
#: breakdowns) -> Filters attribute. Each takes several values, combined with OR.
DIMENSIONS = {"state": "states", "region": "regions", "category": "categories",
              "payment_type": "payment_types"}
LIST_PARAMS = tuple(DIMENSIONS)
DATE_PARAMS = ("start", "end")
FILTER_PARAMS = (*DATE_PARAMS, *LIST_PARAMS)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class FilterError(ValueError):
    """A filter parameter is wrong; `parameter` names it (the API returns it with a 400)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Domain:
    """What the loaded data holds: the values filters are checked against."""

    min_day: date | None
    max_day: date | None
    states: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    payment_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """A normalised filter set. Empty tuples mean "all"; None dates mean the data's range."""

    start: date | None = None
    end: date | None = None
    states: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    payment_types: tuple[str, ...] = ()

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

    def previous(self) -> Filters:
        """The previous period: same length, ending the day before `start` (METRICS.md)."""
        assert self.start and self.end, "resolve() the filters first"
        length = timedelta(days=self.days)
        return replace(self, start=self.start - length, end=self.start - timedelta(days=1))

    def resolve(self, domain: Domain) -> Filters:
        """Concrete dates: a missing bound becomes the data's first/last day."""
        start = self.start or domain.min_day or date.today()
        end = self.end or domain.max_day or start
        if start > end:  # only possible when one bound came from the data
            raise FilterError(
                "start" if self.start else "end",
                f"the date range is empty: start {start} is after end {end} "
                f"(the data covers {domain.min_day} to {domain.max_day})",
            )
        return replace(self, start=start, end=end)

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


def parse_day(name: str, raw: str) -> date:
    """One YYYY-MM-DD value of parameter `name`; FilterError naming it otherwise."""
    if not _DATE.fullmatch(raw):
        raise FilterError(name, f"{name} must be a date as YYYY-MM-DD, got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(name, f"{name} is not a valid date: {raw!r} (it must be a date "
                                f"as YYYY-MM-DD)") from None


def _parse_date(name: str, values: list[str]) -> date | None:
    values = _split(values)
    if not values:
        return None
    if len(values) > 1:
        raise FilterError(name, f"{name} takes one date, got {len(values)}")
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
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            shown = ", ".join(allowed[:30]) + (" ..." if len(allowed) > 30 else "")
            raise FilterError(name, f"unknown {name} {v!r}{hint}; known values: {shown}")
        out.append(lookup[key])
    return tuple(sorted(set(out)))


def parse_filters(params: Mapping[str, Iterable[str]], domain: Domain,
                  allowed_extra: Iterable[str] = ()) -> Filters:
    """Validate query parameters (each repeatable or comma-separated) into Filters."""
    known = set(FILTER_PARAMS) | set(allowed_extra)
    for name in params:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise FilterError(name, f"unknown parameter {name!r}{hint}")

    def get(name: str) -> list[str]:
        return _split(params.get(name, ()))

    start = _parse_date("start", list(params.get("start", ())))
    end = _parse_date("end", list(params.get("end", ())))
    if start and end and start > end:
        raise FilterError("start", f"start {start} is after end {end}")
    regions = region_map()
    states = _check_values("state", get("state"),
                           sorted(set(domain.states) | {s for v in regions.values() for s in v}),
                           fold_case=True)
    return Filters(
        start=start,
        end=end,
        states=states,
        regions=_check_values("region", get("region"), list(regions), fold_case=True),
        categories=_check_values("category", get("category"), domain.categories,
                                 fold_case=True),
        payment_types=_check_values("payment_type", get("payment_type"),
                                    domain.payment_types, fold_case=True),
    )
