"""Progress for long work: a live bar on a terminal, plain log lines elsewhere.

A 10M-order load runs for minutes; a shop owner watching a terminal should see
it move, while CI logs and `heroku run` want one readable line now and then,
not a screenful of carriage returns.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class FileBar:
    """Progress of one file: bytes read against its size, rows and rows/s."""

    def __init__(self, owner: Progress, name: str, total_bytes: int) -> None:
        self.owner = owner
        self.name = name
        self.total = max(total_bytes, 1)
        self.started = time.monotonic()
        self._last = 0.0

    def _line(self, done: int, rows: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        frac = min(done / self.total, 1.0)
        width = 24
        filled = int(frac * width)
        bar = "#" * filled + "." * (width - filled)
        return (
            f"{self.name[:42]:<42} [{bar}] {frac:>4.0%} {rows:>11,} rows "
            f"{rows / elapsed:>9,.0f} rows/s"
        )

    def update(self, done: int, rows: int) -> None:
        now = time.monotonic()
        interval = 0.2 if self.owner.tty else 10.0
        if now - self._last < interval:
            return
        self._last = now
        self.owner.emit(self._line(done, rows), transient=True)

    def finish(self, done: int, rows: int) -> None:
        self.owner.emit(self._line(max(done, self.total), rows), transient=False)


class Progress:
    """Where progress goes; `enabled=False` makes every call a no-op (library use, tests)."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._transient = False

    def emit(self, text: str, transient: bool = False) -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r\x1b[2K" + text + ("" if transient else "\n"))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._transient = transient

    def file(self, name: str, total_bytes: int) -> FileBar:
        return FileBar(self, name, total_bytes)

    def stage(self, text: str) -> None:
        self.emit(f"... {text}")

    def counter(self, label: str, done: int, total: int) -> None:
        """A generic count (e.g. months of demo data written), throttled like a file bar."""
        if not self.enabled:
            return
        now = time.monotonic()
        last = getattr(self, "_counter_last", 0.0)
        if done < total and now - last < (0.2 if self.tty else 10.0):
            return
        self._counter_last = now
        frac = done / total if total else 1.0
        self.emit(f"{label:<42} {frac:>4.0%} ({done:,}/{total:,})", transient=done < total)

    def done(self) -> None:
        if self.enabled and self.tty and self._transient:
            self.stream.write("\n")
            self.stream.flush()
