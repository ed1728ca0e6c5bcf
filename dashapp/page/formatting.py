"""How numbers, money, dates and months look on the page: pure functions, one per kind.

Why a module of its own: the browser tests compare what a KPI card shows with
the REST API's number passed through these same functions, so the page and the
tests cannot drift apart on rounding, separators or the "no value" sign.

Why every function takes a `NumberStyle` (locale and currency): the page formats for the
person asking (`?lang=`, a cookie, the browser), not for the process, so the style
travels with each call instead of living in a global. The patterns (separators, where
the currency symbol goes and its spacing, month names, date order) are CLDR's, through
Babel: a hand-written table would be wrong for the next locale someone adds.

Money arrives as `Decimal` from the service and as a float (already rounded to
the cent) from the API; both round half-up to the cent here, as the API does,
so the two give the same string.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Literal

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import (
    NumberPattern,
    format_compact_currency,
    format_currency,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from babel.units import format_unit

from ..metrics import MONEY_FIELDS

Number = Decimal | int | float
Tone = Literal["good", "bad", "neutral", "none"]

NONE = "—"  # shown where METRICS.md says a value is undefined (null)
CENT = Decimal("0.01")
MINUS = "−"  # a change's sign: a real minus, as wide as the plus


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "extract, translate later"
    """Marks an English text for the catalogs where it is defined (a constant); the page
    translates it where it is shown, with the request's language."""
    return message


@dataclass(frozen=True)
class NumberStyle:
    """How one reader writes numbers: a CLDR locale (`pt_BR`) and the data's currency."""

    locale: str
    currency: str

    @cached_property
    def cldr(self) -> Locale:
        return Locale.parse(self.locale)

    @cached_property
    def separators(self) -> str:
        """plotly's `layout.separators`: the decimal mark, then the thousands one."""
        return get_decimal_symbol(self.cldr) + get_group_symbol(self.cldr)

    @cached_property
    def currency_affixes(self) -> tuple[str, str]:
        """(before, after) the digits of a positive amount, e.g. ('R$\xa0', '') in pt_BR,
        ('', '\xa0MAD') in fr_MA: an axis's tick prefix and suffix."""
        pattern = self.cldr.currency_formats["standard"]
        symbol = get_currency_symbol(self.currency, self.cldr)
        return (pattern.prefix[0].replace("\xa4", symbol),
                pattern.suffix[0].replace("\xa4", symbol))

    @cached_property
    def currency_symbol(self) -> str:
        return get_currency_symbol(self.currency, self.cldr)


@lru_cache(maxsize=64)
def _fixed(locale: Locale, kind: str, digits: int) -> NumberPattern:
    """The locale's decimal or percent pattern with exactly `digits` decimals."""
    base = locale.percent_formats[None] if kind == "percent" else locale.decimal_formats[None]
    pattern = copy.copy(base)
    pattern.frac_prec = (digits, digits)
    return pattern


#: What each KPI is called on screen (English source; the page translates it).
KPI_LABELS: dict[str, str] = {
    "sales": N_("Sales"),
    "freight": N_("Freight"),
    "revenue": N_("Revenue"),
    "orders": N_("Orders"),
    "items": N_("Items"),
    "aov": N_("Avg order value"),
    "items_per_order": N_("Items per order"),
    "customers": N_("Customers"),
    "new_customers": N_("New customers"),
    "repeat_rate": N_("Repeat customers"),
    "payments": N_("Payments"),
    "avg_review": N_("Average review"),
    "on_time_rate": N_("On-time delivery"),
    "avg_delivery_days": N_("Delivery time"),
    "canceled_rate": N_("Canceled"),
    "unavailable_rate": N_("Unavailable"),
}

#: +1: a rise is good news, -1: a rise is bad news, 0: neither (colour stays neutral).
#: Colour follows the meaning of the change, not its sign (canceled_rate up is bad).
POLARITY: dict[str, int] = {
    "sales": 1, "revenue": 1, "orders": 1, "items": 1, "aov": 1, "items_per_order": 1,
    "customers": 1, "new_customers": 1, "repeat_rate": 1, "payments": 1, "avg_review": 1,
    "on_time_rate": 1,
    "freight": 0,
    "avg_delivery_days": -1, "canceled_rate": -1, "unavailable_rate": -1,
}

RATE_FIELDS = frozenset({"repeat_rate", "on_time_rate", "canceled_rate", "unavailable_rate"})
COUNT_FIELDS = frozenset({"orders", "items", "customers", "new_customers"})

#: A change smaller than this (relative) is shown as "unchanged".
FLAT = 0.0005


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest repr, i.e. what the JSON carried
    return Decimal(value)


def _rounded(value: Number, digits: int) -> Decimal:
    """`value` rounded to `digits` decimals as Python's float formatting rounds (the
    binary value, so 123.45 -> 123.5): Babel would round the decimal half-even (123.4),
    and the page's figures must not change with the language."""
    return Decimal(f"{float(value):.{digits}f}")


def to_cents(value: Number) -> Decimal:
    """Round half-up to the cent, exactly as the API's JSON does (`jsonout.jsonable`)."""
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Number | None, style: NumberStyle) -> str:
    """`R$ 1.020.457,18` (pt_BR), `R$1,020,457.18` (en), `1 020 457,18 MAD` (fr_MA): CLDR's
    pattern, spacing and sign; None as a dash."""
    if value is None:
        return NONE
    try:
        cents = to_cents(value)
    except (InvalidOperation, ValueError):
        return NONE
    return format_currency(cents, style.currency, locale=style.cldr)


def money_compact(value: Number | None, style: NumberStyle) -> str:
    """`R$1.2M`, `R$ 35,4 mil`: for tight spots (bar labels), CLDR's short forms."""
    if value is None:
        return NONE
    return format_compact_currency(_decimal(value), style.currency, locale=style.cldr,
                                   fraction_digits=1)


def integer(value: Number | None, style: NumberStyle) -> str:
    """`12,345` / `12.345` / `12 345` with the locale's thousands separator."""
    if value is None:
        return NONE
    return _fixed(style.cldr, "decimal", 0).apply(int(value), style.cldr)


def percent(rate: float | None, style: NumberStyle, digits: int = 1) -> str:
    """A fraction as a percentage: 0.1234 -> `12.3%` (en), `12,3 %` (fr)."""
    if rate is None:
        return NONE
    return _fixed(style.cldr, "percent", digits).apply(
        _rounded(rate * 100, digits).scaleb(-2), style.cldr)


def number(value: Number | None, style: NumberStyle, digits: int = 2) -> str:
    if value is None:
        return NONE
    return _fixed(style.cldr, "decimal", digits).apply(_rounded(value, digits), style.cldr)


def days(value: Number | None, style: NumberStyle, digits: int = 1) -> str:
    """`12.3 days`, `12,3 dias`, `1 jour`: CLDR's unit patterns, plural rules included."""
    if value is None:
        return NONE
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_unit(_rounded(value, digits), "duration-day", locale=style.cldr,
                       format=pattern)


def kpi_value(field: str, value: Number | None, style: NumberStyle) -> str:
    """A KPI as its card shows it, by what kind of number METRICS.md says it is."""
    if field in MONEY_FIELDS:
        return money(value, style)
    if field in COUNT_FIELDS:
        return integer(value, style)
    if field in RATE_FIELDS:
        return percent(value, style)  # type: ignore[arg-type]
    if field == "avg_review":
        return NONE if value is None else f"{number(value, style, 2)} / 5"
    if field == "avg_delivery_days":
        return days(value, style)
    return number(value, style)


def signed_percent(growth: float | None, style: NumberStyle, digits: int = 1) -> str:
    """A change as `+12.3%` / `−4.0%` (a real minus sign); None as a dash."""
    if growth is None:
        return NONE
    text = percent(abs(growth), style, digits)
    if round(abs(growth) * 100, digits) == 0:
        return percent(0, style, digits)
    return ("+" if growth > 0 else MINUS) + text


def arrow(growth: float | None) -> str:
    """▲ up, ▼ down, ▶ unchanged, nothing when there is no comparison."""
    if growth is None:
        return ""
    if abs(growth) < FLAT:
        return "\u25b6"
    return "\u25b2" if growth > 0 else "\u25bc"


def tone(field: str, growth: float | None) -> Tone:
    """good / bad / neutral news, from the metric's polarity and the change's direction."""
    if growth is None:
        return "none"
    polarity = POLARITY.get(field, 0)
    if polarity == 0 or abs(growth) < FLAT:
        return "neutral"
    return "good" if (growth > 0) == (polarity > 0) else "bad"


def change_text(growth: float | None, style: NumberStyle) -> str:
    """What a card's change line says: `▲ +12.3%`, or a dash when nothing to compare."""
    if growth is None:
        return NONE
    return f"{arrow(growth)} {signed_percent(growth, style)}"


def _day(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def nice_date(value: date | str | None, style: NumberStyle) -> str:
    """`Jan 5, 2021`, `5 de jan. de 2021`, `5 janv. 2021`: the month named, so no reader
    meets a 01/02 puzzle."""
    if value is None or value == "":
        return NONE
    return format_skeleton("yMMMd", _day(value), locale=style.cldr)


def short_date(value: date | str | None, style: NumberStyle) -> str:
    """`31/12/2021` (pt_BR, fr), `12/31/2021` (en): a table's compact date."""
    if value is None or value == "":
        return NONE
    return format_skeleton("yMd", _day(value), locale=style.cldr)


def month(value: date | str, style: NumberStyle) -> str:
    """`Jan 2021`, `jan. de 2021`, `janv. 2021` from a month (`2021-01`) or a day."""
    day = date.fromisoformat(f"{value}-01") if isinstance(value, str) and len(value) == 7 \
        else _day(value)
    return format_skeleton("yMMM", day, locale=style.cldr)


def date_range(start: date | str | None, end: date | str | None, style: NumberStyle) -> str:
    return f"{nice_date(start, style)} \u2013 {nice_date(end, style)}"


def timestamp(value: str | datetime | None, style: NumberStyle) -> str:
    """`Nov 27, 2026, 16:08 UTC` from an ISO timestamp (the load time in meta)."""
    if not value:
        return NONE
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    zone = moment.strftime("%Z") or ""
    if zone in ("UTC+00:00", "+00:00"):
        zone = "UTC"
    day = format_skeleton("yMMMd", moment, locale=style.cldr)
    clock = format_skeleton("Hm", moment, locale=style.cldr)
    joined = style.cldr.datetime_formats["medium"].format(clock, day)
    return f"{joined} {zone}".rstrip()


PAYMENT_LABELS = {
    "credit_card": N_("Credit card"), "boleto": N_("Boleto"), "voucher": N_("Voucher"),
    "debit_card": N_("Debit card"), "not_defined": N_("Not defined"),
}


def payment_label(key: str, gettext: Callable[[str], str]) -> str:
    """A payment type in the reader's language (an unknown one as the data spells it)."""
    known = PAYMENT_LABELS.get(key)
    return gettext(known) if known else key.replace("_", " ").capitalize()


def short_id(seller_id: str) -> str:
    """`3442f8959a84dea7ee197c632cb2df15` -> `3442f895…2df15`: an Olist id is 32 hex
    digits, unreadable at a glance; its two ends tell sellers apart (the whole id stays in
    the URL and in the row's tooltip)."""
    return seller_id if len(seller_id) <= 14 else f"{seller_id[:8]}\u2026{seller_id[-5:]}"
