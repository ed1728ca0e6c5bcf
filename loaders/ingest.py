"""`pulse load`: put an Olist-format dataset into PostgreSQL, all or nothing.

Everything happens in ONE transaction on one connection:

1. each CSV is `COPY`-ed into a staging table: a replace's clean files straight from
   their bytes, checked in SQL (`loaders.rawcopy`); any other file, or one that path
   cannot vouch for, streamed and checked field by field in Python
   (`loaders.csvread`), which names each problem's line and column;
2. set-wide checks run in SQL on the staging tables: key uniqueness,
   references between files (and, with `--append`, to what is loaded), and
   conflicts with loaded rows;
3. only then is the new data published: replace: the staged tables get the live
   ones' keys and indexes, and the derived tables are rebuilt from them, all aside
   (`loaders.swap.Publication`), then swapped in at once; append: what is new is
   inserted into the live tables and the derived tables are rebuilt aside and
   swapped in. The data version is bumped last.

Readers keep seeing the old data until the commit (the swap waits behind the gate
every reader holds: `loaders/swap.py`); a problem, an exception or a `kill -9`
anywhere before it rolls everything back, so the database is exactly as it was.
"""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import psycopg2.errors
from sqlalchemy import Engine

from . import rawcopy, rollups, swap
from .csvread import (
    CopyBuffer,
    Problem,
    ProblemList,
    ReadStats,
    TooManyProblems,
    read_rows,
)
from .formats import BY_TABLE, FILES, SQL_TYPES, FileSpec
from .increment import Increment
from .progress import Progress

log = logging.getLogger(__name__)
MARKER = "pulse-dataset.json"
LOCK_KEY = 7_301_001  # advisory lock: one load at a time


class _Checked(Exception):
    """A check (`load(check=True)`) found nothing wrong: roll back, report."""


class LoadError(Exception):
    """The dataset was rejected; nothing in the database changed."""

    def __init__(self, problems: list[Problem], truncated: bool = False) -> None:
        self.problems = problems
        self.truncated = truncated
        lines = [str(p) for p in problems]
        if truncated:
            lines.append(f"... stopped after {len(problems)} problems")
        super().__init__("\n".join(lines))


@dataclass
class FileReport:
    file: str
    rows_read: int = 0
    rows_inserted: int = 0
    rows_skipped: int = 0
    seconds: float = 0.0
    path: str = "checked"  # how it was read: "copy" (loaders.rawcopy) or "checked"


@dataclass
class LoadReport:
    mode: str
    source: str
    data_version: int = 0
    synthetic: bool = False
    files: list[FileReport] = field(default_factory=list)
    seconds: float = 0.0
    checked_only: bool = False  # `check`: nothing was loaded
    #: how the derived tables followed: "rebuilt", or "updated" by an append for the
    #: orders it touched (loaders/increment.py)
    derived: str = "rebuilt"

    def table(self) -> str:
        """A summary table for the terminal."""
        head = f"{'file':<45} {'read':>11} {'inserted':>11} {'skipped':>9} {'rows/s':>10}"
        out = [head, "-" * len(head)]
        for f in self.files:
            rate = f.rows_read / f.seconds if f.seconds > 0 else 0
            out.append(
                f"{f.file:<45} {f.rows_read:>11,} {f.rows_inserted:>11,} "
                f"{f.rows_skipped:>9,} {rate:>10,.0f}"
            )
        out.append("-" * len(head))
        if self.checked_only:
            out.append(f"{self.mode} check of {self.source} in {self.seconds:.1f} s: no "
                       "problem found; nothing was loaded")
            return "\n".join(out)
        out.append(
            f"{self.mode} load of {self.source} in {self.seconds:.1f} s; "
            f"data version {self.data_version}" + (" (synthetic data)" if self.synthetic else "")
            + f"; derived tables {self.derived}"
        )
        return "\n".join(out)


# --- opening the source -------------------------------------------------------


class Source:
    """A folder of CSVs or a Kaggle-style zip, found by file name wherever they sit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if not path.exists():
            raise LoadError([Problem(str(path), "no such file or folder")])
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file():
                    self._members.setdefault(p.name, str(p))
        elif zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            for name in self._zip.namelist():
                if not name.endswith("/"):
                    self._members.setdefault(Path(name).name, name)
        else:
            raise LoadError([Problem(str(path), "not a folder of CSV files nor a zip archive")])

    def has(self, name: str) -> bool:
        return name in self._members

    def size(self, name: str) -> int:
        member = self._members[name]
        if self._zip is not None:
            return self._zip.getinfo(member).file_size
        return Path(member).stat().st_size

    def open(self, name: str) -> BinaryIO:
        member = self._members[name]
        if self._zip is not None:
            return self._zip.open(member)  # type: ignore[return-value]
        return open(member, "rb")

    def marker(self) -> dict:
        if not self.has(MARKER):
            return {}
        with self.open(MARKER) as fh:
            try:
                data = json.load(fh)
            except ValueError:
                return {}
        return data if isinstance(data, dict) else {}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


class _CopyPipe(io.RawIOBase):
    """A file-like view of a `CopyBuffer`, for psycopg2's `copy_expert`."""

    def __init__(self, source: CopyBuffer, on_chunk: Callable[[], None]) -> None:
        self._source = source
        self._on_chunk = on_chunk
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        size = 65536 if size is None or size < 0 else size
        while len(self._buf) < size:
            try:
                chunk = self._source.chunk()
            except TooManyProblems:  # end the COPY cleanly; the caller sees problems.truncated
                chunk = ""
            if not chunk:
                break
            self._buf += chunk.encode("utf-8")
            self._on_chunk()
        out, self._buf = self._buf[:size], self._buf[size:]
        return out


# --- SQL helpers --------------------------------------------------------------


def _stage_name(spec: FileSpec, append: bool) -> str:
    """Append stages into temp tables with line numbers; replace into the future tables."""
    return f"stg_{spec.table}" if append else swap.new_name(spec.table)


def _create_stage(cur, spec: FileSpec, append: bool) -> None:
    if append:
        cols = ", ".join(f"{c.name} {SQL_TYPES[c.kind]}" for c in spec.columns)
        cur.execute(f"CREATE TEMP TABLE {_stage_name(spec, True)} (_line bigint, {cols}) "
                    "ON COMMIT DROP")
    else:
        swap.create_like(cur, spec.table)


def _locate(source: Source, spec: FileSpec, columns: tuple[str, ...],
            wanted: set[tuple], limit: int) -> dict[tuple, list[int]]:
    """Lines of the file whose `columns` hold one of `wanted`: only read again on errors."""
    positions = [next(i for i, c in enumerate(spec.columns) if c.name == col) for col in columns]
    found: dict[tuple, list[int]] = {}
    with source.open(spec.file) as stream:
        for line, values in read_rows(spec, stream, ProblemList(limit=10**9)):
            key = tuple(values[i] for i in positions)
            if key in wanted:
                found.setdefault(key, []).append(line)
                if sum(len(v) for v in found.values()) >= limit * 4:
                    break
    return found


def _as_text(values: tuple) -> tuple:
    """Database values back to the text the CSV reader yields, to match them up."""
    return tuple(None if v is None else str(v) for v in values)


def _fmt_key(columns: tuple[str, ...], values: tuple) -> str:
    if len(columns) == 1:
        return f"{columns[0]} {values[0]!r}"
    return "(" + ", ".join(columns) + ") = (" + ", ".join(repr(v) for v in values) + ")"


def _check_keys(cur, spec: FileSpec, append: bool, problems: ProblemList,
                source: Source) -> None:
    if not spec.key:
        return
    keys = ", ".join(spec.key)
    stage = _stage_name(spec, append)
    if append:
        cur.execute(
            f"SELECT {keys}, array_agg(_line ORDER BY _line) FROM {stage} "
            f"GROUP BY {keys} HAVING count(*) > 1 ORDER BY min(_line) LIMIT %s",
            (problems.limit,),
        )
        dupes = [(tuple(values), lines) for *values, lines in cur.fetchall()]
    else:
        cur.execute(
            f"SELECT {keys} FROM {stage} GROUP BY {keys} HAVING count(*) > 1 LIMIT %s",
            (problems.limit,),
        )
        found = [tuple(r) for r in cur.fetchall()]
        if not found:
            return
        where = _locate(source, spec, spec.key, {_as_text(v) for v in found}, problems.limit)
        dupes = sorted(((v, where.get(_as_text(v), [])) for v in found),
                       key=lambda d: d[1][:1] or [0])
    for values, lines in dupes:
        shown = ", ".join(str(n) for n in lines[:5]) + (" ..." if len(lines) > 5 else "")
        problems.add(
            Problem(
                spec.file,
                f"duplicate key {_fmt_key(spec.key, values)} (also on line(s) {shown})",
                line=lines[0] if lines else None,
            )
        )


def _check_references(
    cur, spec: FileSpec, staged: set[str], append: bool, problems: ProblemList,
    source: Source,
) -> None:
    for fk in spec.foreign_keys:
        parent = BY_TABLE[fk.parent_table]
        match = " AND ".join(f"p.{pc} = s.{c}" for c, pc in zip(fk.columns, fk.parent_columns,
                                                                 strict=True))
        exists = []
        if fk.parent_table in staged:
            exists.append(f"EXISTS (SELECT 1 FROM {_stage_name(parent, append)} p WHERE {match})")
        if append:
            exists.append(f"EXISTS (SELECT 1 FROM {fk.parent_table} p WHERE {match})")
        where = " OR ".join(exists) if exists else "false"
        cols = ", ".join(f"s.{c}" for c in fk.columns)
        stage = _stage_name(spec, append)
        if append:
            cur.execute(
                f"SELECT s._line, {cols} FROM {stage} s WHERE NOT ({where}) "
                "ORDER BY s._line LIMIT %s",
                (problems.limit,),
            )
            dangling = [(line, tuple(values)) for line, *values in cur.fetchall()]
        else:
            cur.execute(
                f"SELECT DISTINCT {cols} FROM {stage} s WHERE NOT ({where}) LIMIT %s",
                (problems.limit,),
            )
            found = [tuple(r) for r in cur.fetchall()]
            if not found:
                continue
            lines = _locate(source, spec, fk.columns, {_as_text(v) for v in found},
                            problems.limit)
            dangling = sorted((n, v) for v in found for n in lines.get(_as_text(v), [None]))
        where_txt = parent.file + (" nor in the loaded data" if append else "")
        for line, values in dangling:
            problems.add(
                Problem(
                    spec.file,
                    f"{_fmt_key(fk.columns, values)} refers to a row that is not in "
                    f"{where_txt}",
                    line=line,
                    column=fk.columns[0],
                )
            )


def _check_conflicts(cur, spec: FileSpec, problems: ProblemList) -> None:
    """With --append: a loaded key may come again only with identical content."""
    if not spec.key:
        return
    stage = _stage_name(spec, True)
    match = " AND ".join(f"l.{k} = s.{k}" for k in spec.key)
    other = [c.name for c in spec.columns if c.name not in spec.key]
    if not other:
        return
    differs = " OR ".join(f"s.{c} IS DISTINCT FROM l.{c}" for c in other)
    keys = ", ".join(f"s.{k}" for k in spec.key)
    cur.execute(
        f"SELECT s._line, {keys} FROM {stage} s JOIN {spec.table} l ON {match} "
        f"WHERE {differs} ORDER BY s._line LIMIT %s",
        (problems.limit,),
    )
    for line, *values in cur.fetchall():
        problems.add(
            Problem(
                spec.file,
                f"{_fmt_key(spec.key, tuple(values))} is already loaded with different content",
                line=line,
            )
        )


def _append(cur, spec: FileSpec) -> int:
    """Insert the staged rows that are not loaded yet; returns how many."""
    stage = _stage_name(spec, True)
    cols = ", ".join(c.name for c in spec.columns)
    if spec.key:
        match = " AND ".join(f"l.{k} = s.{k}" for k in spec.key)
    else:  # no key (geolocation): a row is new unless an identical one is loaded
        # `=` where a column cannot be empty: only equality lets the planner hash the
        # loaded rows; IS NOT DISTINCT FROM alone compared every new row with every loaded
        # one (18.5 s for a month's 3,910 locations against 59k at 100k orders)
        match = " AND ".join(f"l.{c.name} = s.{c.name}" if c.required else
                             f"l.{c.name} IS NOT DISTINCT FROM s.{c.name}"
                             for c in spec.columns)
    select_cols = ", ".join(f"s.{c.name}" for c in spec.columns)
    distinct = "" if spec.key else "DISTINCT "
    cur.execute(
        f"INSERT INTO {spec.table} ({cols}) SELECT {distinct}{select_cols} FROM {stage} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {spec.table} l WHERE {match})"
    )
    return cur.rowcount


def _bump_version(cur, synthetic: bool, source: str, append: bool) -> int:
    """A new data version: strictly increasing, and unique across database resets."""
    now_us = int(time.time() * 1_000_000)
    cur.execute("SELECT data_version, synthetic FROM pulse_meta WHERE id = 1 FOR UPDATE")
    row = cur.fetchone()
    version = max(now_us, (row[0] + 1) if row else 0)
    if row and append:
        synthetic = synthetic or row[1]
    cur.execute(
        "INSERT INTO pulse_meta (id, data_version, loaded_at, synthetic, source) "
        "VALUES (1, %s, now(), %s, %s) ON CONFLICT (id) DO UPDATE SET "
        "data_version = EXCLUDED.data_version, loaded_at = EXCLUDED.loaded_at, "
        "synthetic = EXCLUDED.synthetic, source = EXCLUDED.source",
        (version, synthetic, source),
    )
    return version


# --- the load -----------------------------------------------------------------


def load(
    engine: Engine,
    path: Path | str,
    *,
    append: bool = False,
    progress: Progress | None = None,
    max_problems: int = 50,
    check: bool = False,
) -> LoadReport:
    """Load a dataset; raises `LoadError` (database unchanged) when anything is wrong.

    `check`: read, stage and check everything a load would (keys and references too),
    then roll back: a big dataset's problems, or its staging time, without touching the
    warehouse."""
    path = Path(path)
    progress = progress or Progress(enabled=False)
    started = time.monotonic()
    started_at = datetime.now(UTC)
    report = LoadReport(mode="append" if append else "replace", source=str(path))
    problems = ProblemList(limit=max_problems)
    with ExitStack() as stack:
        source = Source(path)
        stack.callback(source.close)
        present = [s for s in FILES if source.has(s.file)]
        if not append:
            for spec in FILES:
                if not spec.optional and not source.has(spec.file):
                    problems.add(Problem(spec.file, f"required file is missing from {path}"))
        elif not present:
            problems.add(Problem(str(path), "no Olist CSV file found to append"))
        if problems:
            raise LoadError(problems.items)
        marker = source.marker()
        report.synthetic = bool(marker.get("synthetic"))

        raw = engine.raw_connection()
        stack.callback(raw.close)
        try:
            with raw.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,))
                if not cur.fetchone()[0]:
                    raise LoadError([Problem(str(path), "another load is running; try later")])
                # bulk work: sort and build indexes in memory rather than on disk
                cur.execute("SET LOCAL work_mem = '128MB'")
                cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
                try:
                    if not append:  # absent optional files replace their table by an empty one
                        for spec in FILES:
                            if spec not in present:
                                _create_stage(cur, spec, append)
                    _stage_all(cur, source, present, problems, progress, report, append)
                    if not problems and (append or check):  # a load's are its new keys
                        _validate(cur, source, present, append, problems)
                except TooManyProblems:
                    pass
                if problems:
                    raise LoadError(problems.items, problems.truncated)
                if check:
                    raise _Checked
                progress.stage("publishing")
                _publish(cur, source, present, problems, report, progress, started_at)
            raw.commit()
        except _Checked:
            raw.rollback()
            report.checked_only = True
        except BaseException:
            raw.rollback()
            raise
    report.seconds = time.monotonic() - started
    progress.done()
    return report


def _publish(cur, source: Source, present: list[FileSpec], problems: ProblemList,
             report: LoadReport, progress: Progress, started_at: datetime) -> None:
    """Put the checked stage live: a replace's new tables and an append's new rows, the
    derived tables rebuilt from them, a new data version and its log line."""
    append = report.mode == "append"
    path = source.path
    publication = None
    increment = None
    try:
        if append:
            progress.stage("finding the orders the new rows touch")
            increment = Increment.start(cur, {spec.table for spec in present})
            for spec, file_report in zip(present, report.files, strict=True):
                file_report.rows_inserted = _append(cur, spec)
                file_report.rows_skipped = file_report.rows_read - file_report.rows_inserted
        else:
            publication = swap.Publication(cur)
            _adopt_checked(cur, publication, source, present, problems)
            for spec, file_report in zip(present, report.files, strict=True):
                file_report.rows_inserted = file_report.rows_read
                cur.execute(f"ANALYZE {spec.table}")  # the new one (search_path)
        if append and not any(f.rows_inserted for f in report.files):
            # an append that repeats loaded rows only: same data, same version
            cur.execute("SELECT data_version FROM pulse_meta WHERE id = 1")
            row = cur.fetchone()
            report.data_version = row[0] if row else 0
            if increment:
                increment.discard()
            return
        if increment:
            # (the touched orders are counted again with the new ones, in `finish`)
            progress.stage(f"updating derived tables for the orders of "
                           f"{increment.touched.customers:,} customers")
            increment.finish()
            report.derived = "updated"
        else:
            progress.stage("rebuilding derived tables")
            publication = publication or swap.Publication(cur)
            rollups.rebuild(cur, publication)
            publication.publish()
    except swap.PublishError as exc:
        raise LoadError([Problem(str(path), str(exc))]) from None
    report.data_version = _bump_version(cur, report.synthetic, str(path), append)
    cur.execute(
        "INSERT INTO pulse_load_log (data_version, mode, source, started_at, finished_at, "
        "rows) VALUES (%s, %s, %s, %s, now(), %s)",
        (report.data_version, report.mode, str(path), started_at,
         json.dumps({f.file: f.rows_inserted for f in report.files})),
    )


def _adopt_checked(cur, publication: swap.Publication, source: Source,
                   present: list[FileSpec], problems: ProblemList) -> None:
    """Give a replace's new tables their keys and foreign keys: the set-wide checks.

    Why not check first: PostgreSQL checks the keys as it builds them, so checking them
    beforehand in SQL did the same work twice on every good load. Only when a key fails
    are the staged tables queried, and the files read again, to name every problem's
    file and line (`_validate`), as before."""
    cur.execute("SAVEPOINT pulse_keys")
    try:
        publication.adopt([spec.table for spec in FILES])
    except (psycopg2.errors.UniqueViolation, psycopg2.errors.ForeignKeyViolation) as exc:
        cur.execute("ROLLBACK TO SAVEPOINT pulse_keys")
        try:
            _validate(cur, source, present, False, problems)
        except TooManyProblems:
            pass
        if not problems:  # a rule the checks do not know: say PostgreSQL's words
            problems.add(Problem(str(source.path), str(exc.pgerror or exc).strip()))
        raise LoadError(problems.items, problems.truncated) from None
    cur.execute("RELEASE SAVEPOINT pulse_keys")


def _stage_all(cur, source: Source, present: list[FileSpec], problems: ProblemList,
               progress: Progress, report: LoadReport, append: bool) -> None:
    for spec in present:
        t0 = time.monotonic()
        _create_stage(cur, spec, append)
        stats = ReadStats()
        bar = progress.file(spec.file, source.size(spec.file))
        quick = not append and _stage_quickly(cur, source, spec, stats, bar, progress)
        if not quick:
            _stage_carefully(cur, source, spec, problems, stats, bar, append)
        bar.finish(stats.bytes_read, stats.rows)
        if problems.truncated:
            raise TooManyProblems
        report.files.append(
            FileReport(spec.file, rows_read=stats.rows, seconds=time.monotonic() - t0,
                       path="copy" if quick else "checked")
        )
        if spec.table == "orders" and stats.rows == 0 and not problems and \
                report.mode == "replace":
            problems.add(Problem(spec.file, "has no orders (a header but no data lines)"))


def _stage_quickly(cur, source: Source, spec: FileSpec, stats: ReadStats, bar,
                   progress: Progress) -> bool:
    """The file's bytes straight to COPY, checked in SQL (`loaders.rawcopy`): whether it
    worked. When it did not, nothing of it stays and the careful reader takes the file.

    Appends keep the careful reader: their stage records each row's line, for the
    conflict checks' messages, and they are small."""
    def seen(done: int, lines: int) -> None:
        stats.bytes_read = done
        bar.update(done, lines)

    def copied(lines: int) -> None:
        progress.stage(f"{spec.file}: {lines:,} lines in; checking and converting them")

    cur.execute("SAVEPOINT pulse_quick")
    try:
        with source.open(spec.file) as stream:
            stats.rows = rawcopy.stage_file(cur, spec, stream, _stage_name(spec, False), seen,
                                            copied)
    except (rawcopy.NotClean, psycopg2.DataError, psycopg2.IntegrityError) as exc:
        cur.execute("ROLLBACK TO SAVEPOINT pulse_quick")
        why = str(exc) if isinstance(exc, rawcopy.NotClean) else "a value or line to look at"
        log.debug("load: %s read carefully (%s)", spec.file, str(exc).splitlines()[0])
        progress.stage(f"{spec.file}: read again line by line ({why})")
        stats.rows = stats.bytes_read = 0
        return False
    cur.execute("RELEASE SAVEPOINT pulse_quick")
    return True


def _stage_carefully(cur, source: Source, spec: FileSpec, problems: ProblemList,
                     stats: ReadStats, bar, append: bool) -> None:
    """Every field checked in Python, every problem named by line and column."""
    with source.open(spec.file) as stream:
        rows = read_rows(spec, stream, problems, stats)
        cols = ", ".join((["_line"] if append else []) + [c.name for c in spec.columns])
        cur.copy_expert(
            f"COPY {_stage_name(spec, append)} ({cols}) FROM STDIN WITH (FORMAT csv)",
            _CopyPipe(CopyBuffer(rows, with_line=append),
                      lambda b=bar, s=stats: b.update(s.bytes_read, s.rows)),
            size=262144,
        )


def _validate(cur, source: Source, present: list[FileSpec], append: bool,
              problems: ProblemList) -> None:
    staged = {s.table for s in present} if append else {s.table for s in FILES}
    for spec in present:
        _check_keys(cur, spec, append, problems, source)
    for spec in present:
        _check_references(cur, spec, staged, append, problems, source)
    if append:
        for spec in present:
            _check_conflicts(cur, spec, problems)
