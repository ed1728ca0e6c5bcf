"""Model work off the request thread: one computation per distinct question, bounded.

Why: a forecast backtest fits dozens of models, which takes a second or more on a busy
machine, and a web worker thread busy with it serves no one else. The runner is a small
per-process pool with single-flight per key (many people asking the same question at once
share one computation), a bound on distinct questions in flight (a 503, not a queue that
grows without end) and a short memory of finished answers for when the result cache is
down. ``dashapp.insight.answers`` puts it behind the service's cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

DEFAULT_WAIT = 3.0
RETRY_AFTER = 2
WORKERS = 2
MAX_PENDING = 16
#: Seconds a finished answer stays in the runner's memory (for when the cache is down).
KEEP_SECONDS = 120.0


class Pending(RuntimeError):
    """The answer is being computed; ask again after `retry_after` seconds."""

    def __init__(self, retry_after: int = RETRY_AFTER) -> None:
        super().__init__("computing")
        self.retry_after = retry_after


class Busy(RuntimeError):
    """Too many distinct insight computations in flight in this process."""


class InsightRunner:
    """A small thread pool with single-flight per key and a short memory of answers."""

    def __init__(self, workers: int = WORKERS, max_pending: int = MAX_PENDING,
                 keep_seconds: float = KEEP_SECONDS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix="pulse-insight")
        # Re-entrant: a future that is already done runs its done-callback (which takes the
        # lock) right inside add_done_callback, i.e. inside `submit`'s critical section.
        self._lock = threading.RLock()
        self._futures: dict[str, Future] = {}
        self._done_at: dict[str, float] = {}
        self.max_pending = max_pending
        self.keep_seconds = keep_seconds

    def _prune(self) -> None:
        now = time.monotonic()
        for key, at in list(self._done_at.items()):
            if now - at > self.keep_seconds:
                self._done_at.pop(key, None)
                self._futures.pop(key, None)

    def _finished(self, key: str, fut: Future) -> None:
        with self._lock:
            if fut.cancelled() or fut.exception() is not None:
                # An error is not an answer to remember: the next request tries again.
                if self._futures.get(key) is fut:
                    del self._futures[key]
            else:
                self._done_at[key] = time.monotonic()

    def submit(self, key: str, compute: Callable[[], Any]) -> Future:
        with self._lock:
            self._prune()
            fut = self._futures.get(key)
            if fut is not None and fut.done() and (fut.cancelled()
                                                   or fut.exception() is not None):
                fut = None  # failed (its callback may not have run yet): try again
            if fut is None:
                running = sum(1 for f in self._futures.values() if not f.done())
                if running >= self.max_pending:
                    raise Busy(f"{running} insight computations are already running")
                fut = self._pool.submit(compute)
                self._futures[key] = fut
                fut.add_done_callback(lambda f, key=key: self._finished(key, f))
            return fut

    def result(self, key: str, compute: Callable[[], Any], wait: float) -> Any:
        fut = self.submit(key, compute)
        try:
            return fut.result(timeout=max(wait, 0.0))
        except FutureTimeout:
            raise Pending() from None

    def pending(self) -> int:
        with self._lock:
            return sum(1 for f in self._futures.values() if not f.done())
