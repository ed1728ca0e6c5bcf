"""Whole lists streamed for CSV exports: the order list and a segment's customers.

The API's exports are `CopyStream`s (at the end): PostgreSQL writes the CSV itself, the
web process only passes chunks on; Python rows at ~8k/s were the bottleneck at 1M
orders. `RowStream` below reads the same lists as Python values: what the tests hold
the CSV equal to, cell by cell.

A list can be every order of the shop, so it is read through a server-side cursor,
STREAM_BATCH rows per fetch, in constant memory. The query runs when the stream is
opened, so a database error can still become a 503 before any byte is sent; the
connection goes back to the pool when the rows run out or `close()` is called,
whichever comes first.

The whole list is grouped and sorted before its first row. At 1M orders that takes
longer than the web's statement timeout (15 s, a guard for page answers), and the export
was a 503. An export is something the user asked for and may take minutes, so its
statement gets EXPORT_TIMEOUT instead.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

STREAM_BATCH = 500
#: How long the query behind a whole-list export may run before its first row.
EXPORT_TIMEOUT = "10min"


def sort_in_memory(conn: Connection, work_mem: str = "32MB") -> None:
    """Grouping and sorting a whole list spills to disk under the default 4 MB work_mem;
    this transaction may use more."""
    conn.execute(text(f"SET LOCAL work_mem = '{work_mem}'"))


class RowStream:
    """Every row of one query, as dicts made by `row`, a batch at a time. Iterate once."""

    def __init__(self, engine: Engine, sql: str, params: dict[str, Any],
                 row: Callable[[Any], dict[str, Any]], work_mem: str = "32MB") -> None:
        self._row = row
        self._conn = engine.connect()
        try:
            sort_in_memory(self._conn, work_mem)
            self._conn.execute(text(f"SET LOCAL statement_timeout = '{EXPORT_TIMEOUT}'"))
            # a named (server-side) cursor, read STREAM_BATCH rows per fetch; the
            # execution option alone did not cut partitions here (SQLAlchemy 2.1), the
            # result's yield_per does
            self._result = self._conn.execution_options(
                stream_results=True, max_row_buffer=STREAM_BATCH).execute(
                text(sql), params).yield_per(STREAM_BATCH)
        except BaseException:
            self._conn.close()
            raise

    def batches(self) -> Iterator[list[dict[str, Any]]]:
        try:
            for part in self._result.partitions():
                yield [self._row(r) for r in part]
        finally:
            self.close()

    def close(self) -> None:
        """Idempotent: the response calls it when done, the batches when exhausted."""
        if not self._conn.closed:
            self._result.close()
            self._conn.close()


# --- whole lists written by PostgreSQL -----------------------------------------------------

#: Bytes handed to the response at a time, and how many such chunks may wait for a slow
#: client: the web process holds at most (COPY_QUEUE + 1) * COPY_CHUNK of a list.
COPY_CHUNK = 256 * 1024
COPY_QUEUE = 4
#: The COPY is one statement for the whole download, reading time of the client
#: included, so EXPORT_TIMEOUT (the query's time before its first row) is too short.
COPY_TIMEOUT = "2h"
#: A bind parameter of `text()`: `:name`, not a `::` cast (SQLAlchemy's own pattern).
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
_END = object()


class _Stopped(Exception):
    """The reader went away: the COPY is abandoned."""


class _Sink:
    """What psycopg2's `copy_expert` writes into, one call per row: rows are joined into
    COPY_CHUNK-byte chunks and queued (the queue is bounded, so a slow client holds the
    COPY back, not the memory). The first write (the header) goes out alone, to tell the
    opener that the statement runs."""

    def __init__(self, out: queue.Queue, stopped: threading.Event) -> None:
        self._out, self._stopped = out, stopped
        self._parts: list[bytes] = []
        self._size = 0
        self._first = True

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= COPY_CHUNK or self._first:
            self._first = False
            self.flush()

    def flush(self) -> None:
        if self._parts:
            chunk = b"".join(self._parts)
            self._parts, self._size = [], 0
            self.put(chunk)

    def put(self, item: Any) -> None:
        while not self._stopped.is_set():
            try:
                self._out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped


def inline(dbapi: Any, sql: str, params: dict[str, Any]) -> str:
    """`sql` with its `:name` parameters written in as literals by the driver's own
    quoting (COPY takes no bind parameters)."""
    if not params:
        return sql
    pyformat = _BIND.sub(lambda m: f"%({m.group(1)})s", sql.replace("%", "%%"))
    with dbapi.cursor() as cur:
        return cur.mogrify(pyformat, params).decode()


class CopyStream:
    """Every row of one query as CSV that PostgreSQL writes (`COPY (sql) TO STDOUT`), in
    chunks of bytes. Iterate `chunks()` once; `close()` whenever the reader goes away.

    A thread runs the COPY into a bounded queue and the response's generator takes from
    it, so memory stays at a few chunks whatever the list's length. Opening waits for
    the header (PostgreSQL sends it before the first row, before any sort), so a dead
    database or a broken statement fails the request before its first byte. Closing
    early cancels the statement and drops the connection (a connection left in the
    middle of a COPY is not fit for the pool); a finished COPY returns it clean."""

    def __init__(self, engine: Engine, sql: str, params: dict[str, Any],
                 delimiter: str = ",", work_mem: str = "32MB",
                 settings: tuple[tuple[str, str], ...] = ()) -> None:
        self._lock = threading.Lock()
        self._closed = self._done = False
        self._stopped = threading.Event()
        self._queue: queue.Queue = queue.Queue(COPY_QUEUE)
        self._conn = engine.connect()
        try:
            sort_in_memory(self._conn, work_mem)
            for name, value in (("statement_timeout", COPY_TIMEOUT),
                                ("extra_float_digits", "1"), ("DateStyle", "ISO, YMD"),
                                *settings):
                self._conn.execute(text(f"SET LOCAL {name} = '{value}'"))
            self._dbapi = self._conn.connection.dbapi_connection
            statement = (f"COPY ({inline(self._dbapi, sql, params)}) TO STDOUT "
                         f"WITH (FORMAT csv, HEADER, DELIMITER '{delimiter}')")
            self._error_class = engine.dialect.dbapi.Error
            self._thread = threading.Thread(target=self._produce, args=(statement,),
                                            name="copy-out", daemon=True)
            self._thread.start()
            self._first = self._take()
        except BaseException:
            self.close()
            raise

    def _produce(self, statement: str) -> None:
        sink = _Sink(self._queue, self._stopped)
        try:
            with self._dbapi.cursor() as cur:
                cur.copy_expert(statement, sink)
            sink.flush()
            sink.put(_END)
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the reader, who raises it
            try:
                sink.put(exc)
            except _Stopped:
                pass

    def _take(self) -> bytes | None:
        """The next chunk, None at the end; the COPY's error, as SQLAlchemy's."""
        item = self._queue.get()
        if item is _END:
            self._done = True
            return None
        if isinstance(item, self._error_class):
            raise DBAPIError.instance("COPY", None, item, self._error_class)
        if isinstance(item, BaseException):
            raise item
        return item

    def chunks(self) -> Iterator[bytes]:
        try:
            chunk = self._first
            while chunk is not None:
                yield chunk
                chunk = self._take()
        finally:
            self.close()

    def close(self) -> None:
        """Idempotent: called by the response when it is closed, by `chunks` at its end."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        thread = getattr(self, "_thread", None)
        if thread is not None and thread.is_alive():
            self._stopped.set()
            try:
                self._dbapi.cancel()  # a COPY still sorting writes nothing: stop it
            except Exception:  # noqa: BLE001 - the connection is dropped below anyway
                pass
            thread.join(timeout=30)
        if self._done and (thread is None or not thread.is_alive()):
            self._conn.close()  # ends the transaction: the connection goes back clean
        else:
            self._conn.invalidate()
            self._conn.close()
