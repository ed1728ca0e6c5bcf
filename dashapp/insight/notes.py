"""What the models tell a reader (why there is no forecast, why no lift, what to keep in
mind) as a stable code with its values, beside the English sentence.

Why both: the insight package sits below the page and knows no language. The API keeps
the English sentence in the fields it always had (its JSON is locale-neutral and clients
read those words), and adds the code and values next to it (`reason_code`,
`reason_values`, `note_codes`), so any face can say the same thing in its reader's
language: the page does, in `dashapp/page/panels/insight_texts.py`. The values are plain
JSON (numbers, ISO dates, lists of codes), never preformatted text, so a face writes them
the reader's way. A code never changes its meaning; a new wording is a new code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Every code a model may give, and the values it carries (docs/INSIGHT.md lists them).
CODES: dict[str, tuple[str, ...]] = {
    # forecast.refusal
    "short_history": ("months", "needed", "train", "held_out"),
    "empty_months": ("count", "months", "more"),
    # impact.estimate_impact / fit_baseline
    "no_sales": (),
    "baseline_no_sales": (),
    "short_baseline": ("days", "event", "needed"),
    "short_window": ("days", "event", "needed"),
    "few_active_days": ("days", "needed"),
    "thin_projection": ("worth", "needed"),
    "no_yearly_season": ("days",),
    "unseen_events": ("events",),
    # reports.window_check
    "event_outside": ("event", "start", "end"),
    "event_too_early": ("event", "days", "start", "needed", "earliest"),
    "event_too_late": ("event", "days", "end", "needed"),
}


@dataclass(frozen=True)
class Note:
    """One thing to tell the reader: `text` in English, `code` and `values` to translate."""

    code: str
    text: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if set(self.values) != set(CODES[self.code]):
            raise ValueError(f"note {self.code} takes {CODES[self.code]}, "
                             f"got {tuple(self.values)}")

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "values": dict(self.values)}


def note(code: str, text: str, **values: Any) -> Note:
    return Note(code, text, values)
