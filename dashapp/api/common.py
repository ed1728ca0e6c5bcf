"""What every /api/v1 endpoint shares: parameters, formats, error bodies.

One place, so every endpoint answers a wrong parameter with the same 400
`{"error", "parameter"}`, a dead database with the same 503 and Retry-After,
and CSV the same way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from babel.numbers import get_decimal_symbol
from flask import Blueprint, Response, current_app, jsonify, request

from ..config import LOCALES, normalise_locale
from ..filters import DATE_PARAMS, FILTER_PARAMS, FilterError, Filters, parse_day, shown
from ..insight.answers import InsightAnswers
from ..jsonout import csv_value, jsonable, to_csv
from ..queries.orders import LIST_SEPARATOR
from ..service import DatabaseUnavailable, NoData, PulseService, Reader

log = logging.getLogger(__name__)


def service() -> PulseService:
    return current_app.extensions["pulse"]


def answers() -> InsightAnswers:
    return current_app.extensions["pulse_insight"]


def error(status: int, message: str, parameter: str | None = None) -> Response:
    body: dict[str, Any] = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    resp = jsonify(body)
    resp.status_code = status
    return resp


#: Parameters every endpoint takes besides the filters: how the answer is written.
OUTPUT_PARAMS = ("format", "locale")


def filter_params(extra: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The query parameters that are filters (all but the output's and the endpoint's own)."""
    return {k: request.args.getlist(k) for k in request.args
            if k not in (*OUTPUT_PARAMS, *extra)}


@contextmanager
def parsed_filters(extra: tuple[str, ...] = ()) -> Iterator[tuple[Reader, Filters]]:
    """(reader, validated filters) for one request: the filters are checked against, and
    the answer computed from, one view of the data, whose version keys the cache entry
    (`PulseService.reader`). The view ends with the block."""
    svc = service()
    with svc.reader() as reader:
        yield reader, svc.parse(filter_params(extra), extra=extra, reader=reader)


def output_format() -> str:
    """`json` (the default, also for an empty `format=`) or `csv`, in any case; one value."""
    raw = one("format")
    fmt = "json" if raw is None else raw.lower()
    if fmt not in ("json", "csv"):
        raise FilterError("format", f"format must be json or csv, got {shown(raw or '')}")
    return fmt


@dataclass(frozen=True)
class CsvStyle:
    """How a CSV download writes numbers: `.` and `,` by default (any program reads it);
    with `?locale=pt_BR` (or fr, fr_MA) `,` decimals and `;` between fields, what a
    spreadsheet in that locale opens as numbers. Dates stay ISO, which both read."""

    delimiter: str = ","
    decimal: str = "."


def csv_style() -> CsvStyle:
    """The `locale` parameter (any case, `pt-BR` or `pt_BR`); absent or empty: the
    default. JSON ignores it: the API's JSON is locale-neutral."""
    raw = one("locale")
    if raw is None:
        return CsvStyle()
    code = normalise_locale(raw)
    if code is None:
        raise FilterError("locale", f"locale must be one of {', '.join(LOCALES)}, "
                                    f"got {shown(raw)}")
    decimal = get_decimal_symbol(code)
    return CsvStyle(";" if decimal == "," else ",", decimal)


def respond(body: dict, csv_rows: Callable[[dict], tuple[list[dict], list[str]]],
            name: str) -> Response:
    """JSON, or with `format=csv` the rows `csv_rows` picks from the body, as a download
    (numbers written as `locale` says)."""
    style = csv_style()
    if output_format() == "csv":
        rows, columns = csv_rows(body)
        return Response(to_csv(rows, columns, style.delimiter, style.decimal),
                        mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return jsonify(jsonable(body))


# --- single-valued endpoint parameters ---------------------------------------------------
#: A whole number as the OpenAPI document's `integer` says: ASCII digits only. Python's
#: int() would also take "１２", "٣" and "1_000", which no client means as a number.
_INTEGER = re.compile(r"[+-]?[0-9]+")
#: Digits beyond which a value is out of every range without converting it (int() refuses
#: strings over 4,300 digits, and a long one costs time for nothing).
_MAX_DIGITS = 18


def one(name: str) -> str | None:
    """The parameter's one value; None when absent or empty (`?top=` means the default).
    Repeating it is a 400: silently taking the first of `?top=1&top=30` would hide a
    client's bug."""
    values = [v.strip() for v in request.args.getlist(name) if v.strip()]
    if len(values) > 1:
        raise FilterError(name, f"{name} takes one value, got {len(values)}")
    return values[0] if values else None


def int_param(name: str, default: int, lo: int, hi: int, unit: str = "") -> int:
    """A bounded whole number: anything else (a float, unicode digits, a huge number) is a
    400 naming `name`, never an exception deeper down."""
    raw = one(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        raise FilterError(name, f"{name} must be a whole number, got {shown(raw)}")
    value = int(raw) if len(raw.lstrip("+-")) <= _MAX_DIGITS else None
    if value is None or not lo <= value <= hi:
        raise FilterError(name, f"{name} must be between {lo} and {hi}{unit}, "
                                f"got {raw if len(raw) <= 40 else shown(raw)}")
    return value


def choice_param(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, in any case; absent or empty means `default`."""
    raw = one(name)
    value = default if raw is None else raw.lower()
    if value not in choices:
        raise FilterError(name, f"{name} must be one of {', '.join(choices)}, "
                                f"got {shown(raw or '')}")
    return value


def date_param(name: str, default):
    raw = one(name)
    return default if raw is None else parse_day(name, raw)


# --- error bodies --------------------------------------------------------------------------


# --- whole lists as CSV (the order list, a segment's customers) -------------------------


def csv_cell(value: Any, style: CsvStyle = CsvStyle()) -> Any:
    """A CSV cell written like the JSON value: money to the cent, lists joined by '|',
    null empty, numbers with the style's decimal mark."""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return csv_value(jsonable(value), style.decimal)


def csv_filename(parts: list[str], filters: Filters, given: set[str]) -> str:
    """`orders-start-2021-01-01-state-SP.csv`: `parts`, then the filters the request
    named (dates only when given, not the data's own range), made safe for a header and
    a file system."""
    params = filters.to_params()
    for name in FILTER_PARAMS:
        if name in params and (name not in DATE_PARAMS or name in given):
            parts = [*parts, name, *params[name]]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)).strip("._-")[:150]
    return f"{stem or parts[0]}.csv"


def copied_csv(stream: Any, name: str) -> Response:
    """A whole list as a CSV download: the chunks of a `queries.stream.CopyStream`, which
    PostgreSQL writes (numbers already as the request's `locale` says). The COPY stops
    and its connection is released when the rows run out or the response is closed, even
    unread (a client that goes away)."""
    resp = Response(stream.chunks(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
    resp.call_on_close(stream.close)
    return resp


def _bad_filter(exc: FilterError) -> Response:
    return error(400, exc.message, exc.parameter)


def _db_down(exc: DatabaseUnavailable) -> Response:
    log.warning("api: database unavailable: %s", exc)
    resp = error(503, f"database unavailable: {exc}")
    resp.headers["Retry-After"] = "5"
    return resp


def _no_data(exc: NoData) -> Response:
    return error(503, str(exc))


def register_error_handlers(blueprint: Blueprint) -> None:
    """The API's error bodies, shared by every blueprint under /api/v1."""
    blueprint.register_error_handler(FilterError, _bad_filter)
    blueprint.register_error_handler(DatabaseUnavailable, _db_down)
    blueprint.register_error_handler(NoData, _no_data)
