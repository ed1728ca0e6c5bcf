"""A clean file's quick way in: its bytes straight to `COPY`, its checks in SQL.

Why: reading every field in Python (`loaders.csvread`) costs ~15 µs a row, most of
a 10M-order load's ingest, while PostgreSQL parses the same CSV many times faster.
The careful reader stays the judge of what a file means and the one that names
problems; this path is only allowed to take a file the careful one would take,
giving the same values, and steps aside in every other case.

The protocol, for one file of a replace load (inside a savepoint of the caller's):

1. The header line is read and mapped in Python (`csvread.map_header`). A header
   with a problem, or not UTF-8, or not on one line, ends the attempt.
2. The rest goes to `COPY ... (FORMAT csv)` unchanged, into a temporary table of
   text columns in the file's order, while `_Guard` checks every complete record
   run of the bytes: each double quote must belong to a well-formed quoted field
   (opening a field, closing it before a comma or a line end, doubled inside), and
   no line may be a lone `\\.` (COPY's end-of-data mark). Under those, PostgreSQL's
   CSV parser and Python's strict one split the same records into the same fields;
   where they would differ (a quote inside an unquoted field, text after a closing
   quote) the guard stops the attempt. PostgreSQL itself refuses what else differs:
   bytes that are not UTF-8, a record with the wrong number of fields, a blank line,
   a stray carriage return.
3. One `INSERT ... SELECT` converts the text into the stage, each column checked as
   the careful reader checks its kind, never more loosely (digits are ASCII only,
   only spaces and tabs are trimmed): a value it would not take makes the statement
   fail (`_fail`), as do the stage's NOT NULL and CHECK constraints.

Any failure raises `NotClean`; the caller rolls back to its savepoint and reads the
file the careful way, which names every problem by line and column (or, when the
difference was only in how strict this path is, takes the file).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from typing import BinaryIO

from .csvread import ProblemList, map_header
from .formats import SQL_TYPES, ColumnSpec, FileSpec

RAW_TABLE = "pulse_raw"
_BLOCK = 1 << 20

# A quoted field where one may start (the run's start or after a comma or a line end),
# its inner quotes doubled, ending before a comma, a line end or the run's end.
_QUOTED = re.compile(rb'(?:^|(?<=[,\n]))"[^"]*(?:""[^"]*)*"(?=,|\r?\n|\Z)')
#: A quoted field this long (or a quote never closed) is left to the careful reader.
_MAX_RUN = 64 << 20
_END_MARK = re.compile(rb"(?:^|\n)\\\.\r?(?:\n|\Z)")


class NotClean(Exception):
    """The quick path cannot vouch for this file; read it the careful way."""


class _Guard:
    """A file-like over the data lines that checks them as COPY reads them.

    Runs of complete records (cut at a line end outside quotes) are checked as they
    complete; a failed check ends the data early and sets `failed`, so the caller
    throws the COPY's rows away."""

    def __init__(self, stream: BinaryIO, on_read: Callable[[int, int], None]) -> None:
        self._stream = stream
        self._pending = b""
        self._on_read = on_read
        self.failed = ""
        self.lines = 0
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.failed:
            return b""
        chunk = self._stream.read(_BLOCK if size is None or size < 0 else max(size, _BLOCK))
        self.bytes += len(chunk)
        self.lines += chunk.count(b"\n")
        self._on_read(self.bytes, self.lines)
        self._pending += chunk
        cut = len(self._pending) if not chunk else self._record_end()
        if not cut and len(self._pending) > _MAX_RUN:
            self.failed = "a record longer than 64 MB"
        elif cut:
            run, self._pending = self._pending[:cut], self._pending[cut:]
            self.failed = _check_run(run)
        return b"" if self.failed else chunk

    def _record_end(self) -> int:
        """Just past the last line end that lies outside quotes (0: none yet)."""
        buf = self._pending
        end = buf.rfind(b"\n")
        while end >= 0 and buf.count(b'"', 0, end) % 2:
            end = buf.rfind(b"\n", 0, end)
        return end + 1


def _check_run(run: bytes) -> str:
    """Why PostgreSQL might read this run of whole records differently ('' if it won't)."""
    if b"\\." in run and _END_MARK.search(run):
        return "a line holds only \\."
    if b'"' in run and b'"' in _QUOTED.sub(b"", run):
        return "a quote outside a well-formed quoted field"
    return ""


def read_header(stream: BinaryIO, spec: FileSpec) -> tuple[list[int], int]:
    """The file's positions of the spec's columns and the header's width."""
    line = stream.readline()
    try:
        text = line.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise NotClean("header is not UTF-8") from None
    if not text.endswith("\n") or _check_run(line):
        raise NotClean("a header alone, or with odd quotes")
    try:
        header = next(csv.reader([text], strict=True), [])
    except csv.Error:
        raise NotClean("header") from None
    positions = map_header(spec, header, ProblemList(limit=10**6))
    if positions is None:
        raise NotClean("header")
    return positions, len(header)


# --- the checks, in SQL ---------------------------------------------------------------

_INT = r"^-?[0-9]+(\.0*)?$"
_ZIP = r"^[0-9]{1,5}$"
_MONEY = r"^([0-9]{1,12}(\.[0-9]{0,2})?|\.[0-9]{1,2})$"
_FLOAT = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_TIMESTAMP = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
              r"([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?$")
#: Olist's own timestamp shape: cast, then printed back to compare (see `_checked`).
_OLIST_TIME = "'____-__-__ __:__:__'"


def _fail(column: str, sql_type: str) -> str:
    """An expression of `sql_type` that raises when evaluated, for a refused value.

    It reads the row's own column, so PostgreSQL cannot fold it into a constant (and
    raise) while planning: only a row that reaches it fails."""
    return f"((chr(33) || coalesce({column}, ''))::integer)::text::{sql_type}"


def _checked(col: ColumnSpec, t: str, s: str) -> tuple[str, str]:
    """(the condition under which the trimmed text `t` is a good value of the column's
    kind, its value); `s` is a timestamp column's cast of `t` when `t` has Olist's shape."""
    if col.kind == "zip":
        return f"{t} ~ '{_ZIP}'", f"lpad({t}, 5, '0')"
    if col.kind == "int":  # `s` is the cast of a value without a point
        number = f"coalesce({s}, split_part({t}, '.', 1)::bigint)"
        form = (f"CASE WHEN {s}::text = {t} THEN true "
                f"ELSE {t} ~ '{_INT}' AND length(split_part({t}, '.', 1)) <= 11 END")
        bounds = [f"{number} BETWEEN -2147483647 AND 2147483647"]
        if col.minimum is not None:
            bounds.append(f"{number} >= {col.minimum}")
        if col.maximum is not None:
            bounds.append(f"{number} <= {col.maximum}")
        return f"{form} AND {' AND '.join(bounds)}", number
    if col.kind == "money":  # `s` is the cast: printed back, a plain amount is itself
        plain = f"{s}::text = {t} AND scale({s}) <= 2 AND {s} >= 0 AND {s} < 1e12"
        return f"CASE WHEN {plain} THEN true ELSE {t} ~ '{_MONEY}' END", s
    if col.kind == "float":
        return f"{t} ~ '{_FLOAT}'", f"{t}::double precision"
    if col.kind == "timestamp":
        # Olist's shape is checked by printing the cast back: a value PostgreSQL reads
        # otherwise than Python (24:00, a leap second, a space for a digit) prints
        # otherwise. A regular expression, kept for the other shapes, costs ~1.5 µs a
        # value, and an order has five.
        year = f"left({t}, 4) BETWEEN '1900' AND '2200'"
        return (f"{year} AND CASE WHEN {s} IS NOT NULL THEN {s}::text = {t} "
                f"ELSE {t} ~ '{_TIMESTAMP}' END", f"coalesce({s}, {t}::timestamp)")
    raise ValueError(col.kind)


def _outer(col: ColumnSpec, i: int) -> str:
    """The stage's value of the spec's `i`-th column, from the inner query's columns."""
    sql_type = SQL_TYPES[col.kind]
    t = f"t{i}"  # NULL when empty
    if col.kind == "text":
        value = t
    else:
        ok, converted = _checked(col, t, f"s{i}")
        value = f"CASE WHEN {ok} THEN {converted} ELSE {_fail(t, sql_type)} END"
    if col.required:
        return f"CASE WHEN {t} IS NULL THEN {_fail(t, sql_type)} ELSE {value} END"
    return f"CASE WHEN {t} IS NULL THEN NULL ELSE {value} END"


def insert_sql(spec: FileSpec, stage: str, positions: list[int]) -> str:
    """Three steps, each a subquery kept apart (`OFFSET 0`) so that what it computes is
    computed once a row, not once each time the next step names it: the text trimmed
    (text columns are taken as they are), Olist-shaped timestamps cast, then the checks."""
    trimmed, cast = [], []
    for i, (col, pos) in enumerate(zip(spec.columns, positions, strict=True)):
        text = f"c{pos}" if col.kind == "text" else f"btrim(c{pos}, E' \\t')"
        trimmed.append(f"NULLIF({text}, '') AS t{i}")
        if col.kind == "timestamp":
            cast.append(f"CASE WHEN t{i} LIKE {_OLIST_TIME} THEN t{i}::timestamp END AS s{i}")
        elif col.kind == "money":  # text that is no number fails here: the careful way
            cast.append(f"t{i}::numeric AS s{i}")
        elif col.kind == "int":
            cast.append(f"CASE WHEN t{i} NOT LIKE '%.%' THEN t{i}::bigint END AS s{i}")
    cols = ", ".join(c.name for c in spec.columns)
    values = ", ".join(_outer(c, i) for i, c in enumerate(spec.columns))
    inner = f"SELECT {', '.join(trimmed)} FROM {RAW_TABLE} OFFSET 0"
    middle = f"SELECT *, {', '.join(cast)} FROM ({inner}) a OFFSET 0" if cast else inner
    return f"INSERT INTO {stage} ({cols}) SELECT {values} FROM ({middle}) b"


def stage_file(cur, spec: FileSpec, stream: BinaryIO, stage: str,
               on_read: Callable[[int, int], None],
               on_copied: Callable[[int], None] | None = None) -> int:
    """COPY one file into `stage` the quick way; the number of rows, or `NotClean`.

    `on_read(bytes, lines)` follows the COPY; `on_copied(lines)` says it is over and the
    conversion begins (a minute at 10M orders, with nothing else to show). The caller
    holds a savepoint and rolls back to it on any exception."""
    positions, width = read_header(stream, spec)
    cols = ", ".join(f"c{i} text" for i in range(width))
    cur.execute(f"CREATE TEMP TABLE {RAW_TABLE} ({cols}) ON COMMIT DROP")
    guard = _Guard(stream, on_read)
    cur.copy_expert(f"COPY {RAW_TABLE} FROM STDIN WITH (FORMAT csv)", guard, size=_BLOCK)
    if guard.failed:
        raise NotClean(guard.failed)
    if on_copied is not None:
        on_copied(guard.lines)
    cur.execute("SET LOCAL datestyle = 'ISO, YMD'")  # timestamps print as the files write them
    cur.execute(insert_sql(spec, stage, positions))
    rows = cur.rowcount
    cur.execute(f"DROP TABLE {RAW_TABLE}")
    return rows
