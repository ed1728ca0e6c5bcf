"""Read one Olist CSV file strictly, naming every problem by file, line and column.

The reader streams: it decodes the file line by line (so a wrong encoding is
reported with its line), lets the `csv` module join quoted multi-line fields,
checks each field against its column's kind, and yields clean rows ready for
PostgreSQL `COPY`, each tagged with the line its record starts on. Nothing is
written to the database from here; a file with problems is rejected whole by
the caller.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from .formats import ColumnSpec, FileSpec

INT32_MAX = 2**31 - 1
_INT = re.compile(r"-?\d+(?:\.0*)?")
_MONEY = re.compile(r"-?(?:\d{1,12}(?:\.\d{0,2})?|\.\d{1,2})")
_FLOAT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")
_ZIP = re.compile(r"\d{1,5}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as it can be."""

    file: str
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class TooManyProblems(Exception):
    """Raised inside a read when the problem limit is reached: no point reading on."""


@dataclass
class ProblemList:
    """Problems of one load, capped so a broken 1M-line file gives a readable report."""

    limit: int = 50
    items: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def add(self, problem: Problem) -> None:
        if len(self.items) >= self.limit:
            self.truncated = True
            raise TooManyProblems
        self.items.append(problem)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _shorten(value: str, width: int = 40) -> str:
    return repr(value if len(value) <= width else value[: width - 1] + "…")


# A checker turns a raw field into the text COPY receives (None for NULL),
# or raises ValueError with a message for the user.
Checker = Callable[[str], str | None]


def _check_text(raw: str) -> str | None:
    return raw if raw != "" else None


def _check_zip(raw: str) -> str | None:
    raw = raw.strip()
    if raw == "":
        return None
    if not _ZIP.fullmatch(raw):
        raise ValueError(f"{_shorten(raw)} is not a zip code prefix (up to 5 digits)")
    return raw.zfill(5)  # files saved through a spreadsheet lose leading zeros


def _check_int(raw: str) -> str | None:
    raw = raw.strip()
    if raw == "":
        return None
    if not _INT.fullmatch(raw):
        raise ValueError(f"{_shorten(raw)} is not a whole number")
    value = int(raw.split(".", 1)[0])
    if abs(value) > INT32_MAX:
        raise ValueError(f"{_shorten(raw)} is too large")
    return str(value)


def _check_money(raw: str) -> str | None:
    raw = raw.strip()
    if raw == "":
        return None
    if not _MONEY.fullmatch(raw):
        if _FLOAT.fullmatch(raw) or re.fullmatch(r"-?\d+\.\d+", raw):
            raise ValueError(
                f"{_shorten(raw)} is not an amount of money (at most 2 decimals, "
                "at most 12 digits before the point)"
            )
        raise ValueError(
            f"{_shorten(raw)} is not a number (use a point as decimal separator, "
            "no thousands separator or currency sign)"
        )
    if raw.startswith("-"):
        raise ValueError(f"{_shorten(raw)} is negative")
    return raw


def _check_float(raw: str) -> str | None:
    raw = raw.strip()
    if raw == "":
        return None
    if not _FLOAT.fullmatch(raw):
        raise ValueError(f"{_shorten(raw)} is not a number")
    return raw


def _check_timestamp(raw: str) -> str | None:
    raw = raw.strip()
    if raw == "":
        return None
    if not _TIMESTAMP.fullmatch(raw):
        raise ValueError(f"{_shorten(raw)} is not a timestamp (expected YYYY-MM-DD HH:MM:SS)")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{_shorten(raw)} is not a valid date") from None
    if not 1900 <= value.year <= 2200:
        raise ValueError(f"{_shorten(raw)} has an implausible year")
    return raw


CHECKERS: dict[str, Checker] = {
    "text": _check_text,
    "zip": _check_zip,
    "int": _check_int,
    "money": _check_money,
    "float": _check_float,
    "timestamp": _check_timestamp,
}


def _bounded(col: ColumnSpec, check: Checker) -> Checker:
    """Add the column's range (e.g. review_score 1..5) to its kind's check."""
    if col.minimum is None and col.maximum is None:
        return check
    lo, hi = col.minimum, col.maximum

    def bounded(raw: str) -> str | None:
        value = check(raw)
        if value is not None:
            n = int(value)
            if (lo is not None and n < lo) or (hi is not None and n > hi):
                span = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
                raise ValueError(f"{raw.strip()!r} is out of range (must be {span})")
        return value

    return bounded


def _normalise_header(name: str) -> str:
    return name.strip().strip('"').strip().lstrip("\ufeff").lower()


def map_header(spec: FileSpec, header: list[str], problems: ProblemList) -> list[int] | None:
    """Positions in the file of each spec column, or None after reporting what is off."""
    names = [_normalise_header(h) for h in header]
    positions: list[int] = []
    missing: list[ColumnSpec] = []
    for col in spec.columns:
        pos = next((i for i, n in enumerate(names) if n in col.aliases), None)
        if pos is None:
            missing.append(col)
        else:
            positions.append(pos)
    known = {alias for c in spec.columns for alias in c.aliases}
    extra = [h for h in names if h not in known]
    dupes = sorted({n for n in names if n in known and names.count(n) > 1})
    if not missing and not extra and not dupes:
        return positions
    parts = []
    if missing:
        parts.append("missing column(s) " + ", ".join(repr(c.header) for c in missing))
    if extra:
        parts.append("unexpected column(s) " + ", ".join(repr(h) for h in extra))
    if dupes:
        parts.append("repeated column(s) " + ", ".join(repr(d) for d in dupes))
    hint = " (renamed?)" if missing and extra else ""
    expected = ",".join(c.header for c in spec.columns)
    problems.add(
        Problem(spec.file, "; ".join(parts) + hint + f"; expected header: {expected}", line=1)
    )
    return None


def _decoded_lines(stream: BinaryIO, file: str, problems: ProblemList) -> Iterator[str]:
    """Lines as text; stops with a located problem at the first byte that is not UTF-8."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.add(
                Problem(
                    file,
                    f"byte {exc.start + 1} of the line ({raw[exc.start:exc.start + 1]!r}) is not "
                    "UTF-8; save the file as UTF-8 (it may be Latin-1 / Windows-1252)",
                    line=number,
                )
            )
            return
        if number == 1:
            text = text.lstrip("\ufeff")
        yield text


@dataclass
class ReadStats:
    rows: int = 0
    bytes_read: int = 0


class _CountingStream:
    """Counts bytes as they are read, for a progress bar over a file of known size."""

    def __init__(self, stream: BinaryIO, stats: ReadStats) -> None:
        self._stream = stream
        self._stats = stats

    def __iter__(self) -> Iterator[bytes]:
        for line in self._stream:
            self._stats.bytes_read += len(line)
            yield line


def read_rows(
    spec: FileSpec,
    stream: BinaryIO,
    problems: ProblemList,
    stats: ReadStats | None = None,
) -> Iterator[tuple[int, list[str | None]]]:
    """Yield (line, values in spec column order) for each valid record of the file.

    Problems go to `problems`; rows with problems are not yielded. The caller
    must not publish anything when `problems` is non-empty at the end.
    """
    stats = stats if stats is not None else ReadStats()
    lines = _decoded_lines(_CountingStream(stream, stats), spec.file, problems)  # type: ignore[arg-type]
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        if not problems:
            problems.add(Problem(spec.file, "the file is empty (not even a header line)"))
        return
    except csv.Error as exc:
        problems.add(Problem(spec.file, f"unreadable header: {exc}", line=1))
        return
    positions = map_header(spec, header, problems)
    if positions is None:
        return
    checkers = [_bounded(c, CHECKERS[c.kind]) for c in spec.columns]
    cols = spec.columns
    width = len(header)
    start = reader.line_num + 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                message = "a quoted field opened in this record is never closed (end of file)"
            else:
                message = f"malformed CSV ({exc}); check the quotes on this line"
            problems.add(Problem(spec.file, message, line=start))
            return
        line = start
        start = reader.line_num + 1
        if not record:
            continue  # blank line
        if len(record) != width:
            hint = " (the line looks cut short)" if len(record) < width else ""
            problems.add(
                Problem(
                    spec.file,
                    f"expected {width} fields, found {len(record)}{hint}",
                    line=line,
                )
            )
            continue
        values: list[str | None] = []
        ok = True
        for col, pos, check in zip(cols, positions, checkers, strict=True):
            try:
                value = check(record[pos])
            except ValueError as exc:
                problems.add(Problem(spec.file, str(exc), line=line, column=col.header))
                ok = False
                continue
            if value is None and col.required:
                problems.add(
                    Problem(spec.file, "a value is required here", line=line, column=col.header)
                )
                ok = False
                continue
            values.append(value)
        if ok:
            stats.rows += 1
            yield line, values


class CopyBuffer:
    """Rows as PostgreSQL `COPY ... (FORMAT csv)` text, produced on demand in batches.

    CSV format lets the C `csv` writer do the escaping; an unquoted empty field
    is NULL, and the checkers never pass an empty string through. Lines end in CRLF
    because the writer quotes a field holding any character of the line end: with
    a bare LF, a lone carriage return in a review went out unquoted and COPY read
    it as the end of the line.
    """

    def __init__(self, rows: Iterable[tuple[int, list[str | None]]], batch: int = 2000,
                 with_line: bool = True) -> None:
        self._rows = iter(rows)
        self._batch = batch
        self._with_line = with_line
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\r\n")

    def chunk(self) -> str:
        """The next batch of lines ('' when the rows are exhausted)."""
        out, writer = self._out, self._writer
        out.seek(0)
        out.truncate()
        batch = zip(range(self._batch), self._rows, strict=False)
        if self._with_line:
            writer.writerows([line, *values] for _, (line, values) in batch)
        else:
            writer.writerows(values for _, (_line, values) in batch)
        return out.getvalue()
