"""Whole lists streamed for CSV exports: the order list and a segment's customers.

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

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, Engine, text

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
