"""The digest's small sales chart: a PNG drawn on the server with Pillow, no browser.

Why Pillow and not plotly's image export: kaleido needs a Chrome on the machine that
sends mail (a cron job, a worker dyno), Pillow draws PNG and text by itself. Why bars of
the service's own timeseries: the figures are the ones `/api/v1/timeseries` gives for
the same view and window, so the picture cannot disagree with the page or the API.

The window ends with the digest's period: daily sales of the last 30 days for daily and
weekly digests, monthly sales of the last 12 months for monthly ones; the period's own
bars are drawn in a stronger colour. Days or months without orders are empty slots (the
timeseries omits them), so a gap in the bars is a gap in the sales.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..page import formatting as fmt
from ..page.formatting import N_
from ..page.i18n import Lang
from ..service import PulseService
from .views import view_filters

WIDTH, HEIGHT = 560, 180
#: The plot's box: below the two labels, a pixel above the baseline.
TOP, BOTTOM, LEFT, RIGHT = 26, HEIGHT - 6, 8, WIDTH - 8
BACKGROUND = (255, 255, 255)
BAR = (170, 186, 214)  # the window's other days or months
HIGHLIGHT = (37, 99, 235)  # the digest's own period
BASELINE = (120, 120, 120)
INK = (60, 60, 60)
DAYS, MONTHS = 30, 12
FONT = Path(__file__).with_name("fonts") / "DejaVuSans-Latin.ttf"

TITLES = {"day": N_("Daily sales, {span}"), "month": N_("Monthly sales, {span}")}
HIGHEST = N_("Highest: {value}")
NO_SALES = N_("No sales in this period")


@dataclass(frozen=True)
class Window:
    start: date
    end: date
    grain: str  # "day" or "month"

    def slots(self) -> list[date]:
        """Every day (or month's first day) of the window, oldest first."""
        if self.grain == "day":
            return [self.start + timedelta(days=i)
                    for i in range((self.end - self.start).days + 1)]
        out, month = [], self.start
        while month <= self.end:
            out.append(month)
            month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out


def window_for(frequency: str, period: tuple[date, date]) -> Window:
    if frequency == "monthly":
        first = period[0].replace(day=1)
        months = first.year * 12 + first.month - 1 - (MONTHS - 1)
        return Window(date(months // 12, months % 12 + 1, 1), period[1], "month")
    return Window(period[1] - timedelta(days=DAYS - 1), period[1], "day")


def slot_box(index: int, count: int) -> tuple[int, int]:
    """The first and last pixel column of a slot's bar (the tests measure there)."""
    width = (RIGHT - LEFT) / count
    x0 = LEFT + round(index * width + width * 0.15)
    return x0, max(x0, LEFT + round((index + 1) * width - width * 0.15) - 1)


def bar_height(value: Decimal, peak: Decimal) -> int:
    """Pixels of a bar: proportional to the window's highest, none for no sales."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, round(float(value / peak) * (BOTTOM - TOP)))


@dataclass(frozen=True)
class SalesChart:
    window: Window
    values: list[tuple[date, Decimal]]
    highlight: tuple[date, date]

    @property
    def peak(self) -> tuple[date, Decimal] | None:
        """The slot of the highest sales (the earliest of ties); None without sales."""
        best = max(self.values, key=lambda kv: kv[1], default=None)
        return best if best is not None and best[1] > 0 else None

    def title(self, lang: Lang) -> str:
        span = fmt.date_range(self.window.start, self.window.end, lang)
        return lang.gettext(TITLES[self.window.grain]).format(span=span)

    def summary(self, lang: Lang) -> str:
        """The chart in one line, for the plain-text part and the image's alt text."""
        peak = self.peak
        if peak is None:
            return f"{self.title(lang)}: {lang.gettext(NO_SALES)}"
        when = (fmt.nice_date(peak[0], lang) if self.window.grain == "day"
                else fmt.month(peak[0], lang))
        highest = lang.gettext(HIGHEST).format(value=fmt.money(peak[1], lang))
        return f"{self.title(lang)}. {highest} ({when})"

    def png(self, lang: Lang) -> bytes:
        peak = self.peak
        right = (lang.gettext(HIGHEST).format(value=fmt.money(peak[1], lang)) if peak
                 else lang.gettext(NO_SALES))
        left = fmt.date_range(self.window.start, self.window.end, lang)
        return render([v for _, v in self.values],
                      [self.highlight[0] <= d <= self.highlight[1] for d, _ in self.values],
                      left, right)


def sales_chart(service: PulseService, query: str, frequency: str,
                period: tuple[date, date]) -> SalesChart:
    """The view's sales over the window ending with the digest's period."""
    window = window_for(frequency, period)
    filters = view_filters(service, query, window.start, window.end)
    points = service.timeseries(filters, window.grain)["points"]
    sales: dict[str, Any] = {p["period"]: p["sales"] for p in points}
    values = [(slot, Decimal(str(sales.get(label(slot, window.grain)) or 0)))
              for slot in window.slots()]
    start = period[0].replace(day=1) if window.grain == "month" else period[0]
    return SalesChart(window, values, (start, period[1]))


def label(slot: date, grain: str) -> str:
    """The timeseries' own period label of a slot (`metrics.period_label`)."""
    return slot.strftime("%Y-%m") if grain == "month" else slot.isoformat()


@lru_cache(maxsize=1)
def font() -> ImageFont.FreeTypeFont:
    """DejaVu Sans cut to the Latin letters, dashes and currency signs (33 kB, its
    licence beside it): Pillow's own default font has no `é`, `ç`, `€` or `–`, so
    `févr.` or `1 234,56 €` would show boxes, and no font can be assumed on the
    machine that sends mail. Made with `python -m fontTools.subset DejaVuSans.ttf
    --unicodes=U+0020-007E,U+00A0-017F,U+2010-2027,U+202F-203A,U+2212,U+20AC,U+20B9,U+2122
    --layout-features=kern --no-hinting`."""
    return ImageFont.truetype(str(FONT), size=12)


def render(values: list[Decimal], marked: list[bool], left: str, right: str) -> bytes:
    """A WIDTH×HEIGHT PNG: one bar per value (marked ones highlighted), `left` and
    `right` written above the bars."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font_ = font()
    draw.text((LEFT, 4), left, fill=INK, font=font_)
    draw.text((RIGHT - draw.textlength(right, font=font_), 4), right, fill=INK, font=font_)
    peak = max(values, default=Decimal(0))
    for i, (value, mark) in enumerate(zip(values, marked, strict=True)):
        height = bar_height(value, peak)
        if height:
            x0, x1 = slot_box(i, len(values))
            draw.rectangle((x0, BOTTOM - height, x1, BOTTOM - 1),
                           fill=HIGHLIGHT if mark else BAR)
    draw.line((LEFT, BOTTOM, RIGHT, BOTTOM), fill=BASELINE)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
