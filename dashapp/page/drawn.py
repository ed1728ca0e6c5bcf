"""The drawn view: what `render_view` sends for one view, kept per web process.

Why: the numbers of a view are cached (service.py, per data version and filters), but
drawing them was not: every filter change, even back to a view seen a second before,
built the cards' texts, five plotly figures and two tables again, most of a warm click's
server time (docs/LOADTEST.md, "Per filter change"). Drawing is a pure function of the
view (its data version, filters and notices), the reader's language and currency, the
theme, the map's metric, the category chart's top N, the time chart's grain and the
plans drawn on it, so its result is kept under all of them: a new data version, a
target set or an event added is a new key, never a stale picture.

Outputs are kept as the JSON Dash would send for them, parsed (`plain`): plain dicts and
lists are smaller than plotly and Dash objects, and Dash sends them without converting
each of the tables' ~200 components again (most of a kept view's sending time).
Bounded (least recently used out), per process: an entry is ~250 kB (a map click's view
on the 100k demo, at most, measured with tracemalloc), so at most ~16 MB per web process
when full.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from dash import NoUpdate
from plotly.io.json import to_json_plotly

#: Drawn views kept per process.
MAX_ENTRIES = 64


def plain(outputs: tuple) -> tuple:
    """The outputs as the JSON Dash would send for them, parsed: figures, Patches and
    component trees as plain dicts and lists (`no_update` stays: it means "send
    nothing")."""
    return tuple(o if isinstance(o, NoUpdate) else json.loads(to_json_plotly(o))
                 for o in outputs)


def view_key(view: dict, **settings: Any) -> str:
    """One string per drawn picture: the view without its raw URL (two URLs of one view
    draw the same) and everything else the drawing reads."""
    shown = {k: v for k, v in view.items() if k != "search"}
    return json.dumps([shown, settings], sort_keys=True, default=str)


class DrawnViews:
    """A bounded, thread-safe map from `view_key` to a drawn view's outputs."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_draw(self, key: str, draw: Callable[[], tuple]) -> tuple:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        drawn = plain(draw())  # outside the lock: two first requests may both draw
        with self._lock:
            self._entries[key] = drawn
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return drawn
