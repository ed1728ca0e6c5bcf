"""How numbers look on the page: one function per kind of value, pure and unit-tested.

Why a module of its own: the browser tests compare what a KPI card shows with
the REST API's number passed through these same functions, so the page and the
tests cannot drift apart on rounding, separators or the "no value" sign.

Money arrives as `Decimal` from the service and as a float (already rounded to
the cent) from the API; both round half-up to the cent here, as the API does,
so the two give the same string.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from ..metrics import MONEY_FIELDS

Number = Decimal | int | float
Tone = Literal["good", "bad", "neutral", "none"]

NONE = "—"  # shown where METRICS.md says a value is undefined (null)
CURRENCY = "R$"
CENT = Decimal("0.01")

#: What each KPI is called on screen (English, sentence case).
KPI_LABELS: dict[str, str] = {
    "sales": "Sales",
    "freight": "Freight",
    "revenue": "Revenue",
    "orders": "Orders",
    "items": "Items",
    "aov": "Avg order value",
    "items_per_order": "Items per order",
    "customers": "Customers",
    "new_customers": "New customers",
    "repeat_rate": "Repeat customers",
    "payments": "Payments",
    "avg_review": "Average review",
    "on_time_rate": "On-time delivery",
    "avg_delivery_days": "Delivery time",
    "canceled_rate": "Canceled",
    "unavailable_rate": "Unavailable",
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


def to_cents(value: Number) -> Decimal:
    """Round half-up to the cent, exactly as the API's JSON does (`jsonout.jsonable`)."""
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Number | None) -> str:
    """`R$ 1,234,567.89`; negative amounts as `-R$ 12.00`; None as a dash."""
    if value is None:
        return NONE
    try:
        cents = to_cents(value)
    except (InvalidOperation, ValueError):
        return NONE
    sign = "-" if cents < 0 else ""
    return f"{sign}{CURRENCY} {abs(cents):,.2f}"


def money_compact(value: Number | None) -> str:
    """`R$ 1.2M`, `R$ 35.4k`: for tight spots (axis hints, chart labels)."""
    if value is None:
        return NONE
    amount = float(_decimal(value))
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= limit:
            return f"{sign}{CURRENCY} {amount / limit:,.1f}{suffix}"
    return f"{sign}{CURRENCY} {amount:,.0f}"


def integer(value: Number | None) -> str:
    """`12,345` with thousands separators."""
    if value is None:
        return NONE
    return f"{int(value):,}"


def percent(rate: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.1234 -> `12.3%`."""
    if rate is None:
        return NONE
    return f"{rate * 100:,.{digits}f}%"


def number(value: Number | None, digits: int = 2) -> str:
    if value is None:
        return NONE
    return f"{float(value):,.{digits}f}"


def kpi_value(field: str, value: Number | None) -> str:
    """A KPI as its card shows it, by what kind of number METRICS.md says it is."""
    if field in MONEY_FIELDS:
        return money(value)
    if field in COUNT_FIELDS:
        return integer(value)
    if field in RATE_FIELDS:
        return percent(value)  # type: ignore[arg-type]
    if field == "avg_review":
        return NONE if value is None else f"{float(value):.2f} / 5"
    if field == "avg_delivery_days":
        return NONE if value is None else f"{float(value):.1f} days"
    return number(value)


def signed_percent(growth: float | None, digits: int = 1) -> str:
    """A change as `+12.3%` / `-4.0%` (with a real minus sign); None as a dash."""
    if growth is None:
        return NONE
    text = f"{abs(growth) * 100:,.{digits}f}%"
    if round(abs(growth) * 100, digits) == 0:
        return f"{0:.{digits}f}%"
    return ("+" if growth > 0 else "\u2212") + text


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


def change_text(growth: float | None) -> str:
    """What a card's change line says: `▲ +12.3%`, or a dash when nothing to compare."""
    if growth is None:
        return NONE
    return f"{arrow(growth)} {signed_percent(growth)}"


def nice_date(value: date | str | None) -> str:
    """`1 Jan 2019`: unambiguous for every reader (no 01/02 puzzles)."""
    if value is None or value == "":
        return NONE
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}"


def date_range(start: date | str | None, end: date | str | None) -> str:
    return f"{nice_date(start)} \u2013 {nice_date(end)}"


def timestamp(value: str | datetime | None) -> str:
    """`27 Nov 2026, 16:08 UTC` from an ISO timestamp (the load time in meta)."""
    if not value:
        return NONE
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    zone = moment.strftime("%Z") or ""
    if zone in ("UTC+00:00", "+00:00"):
        zone = "UTC"
    return f"{moment.day} {moment:%b %Y, %H:%M} {zone}".rstrip()


PAYMENT_LABELS = {
    "credit_card": "Credit card", "boleto": "Boleto", "voucher": "Voucher",
    "debit_card": "Debit card", "not_defined": "Not defined",
}


def payment_label(key: str) -> str:
    return PAYMENT_LABELS.get(key, key.replace("_", " ").capitalize())


def short_id(seller_id: str) -> str:
    """`3442f8959a84dea7ee197c632cb2df15` -> `3442f895…2df15`: an Olist id is 32 hex
    digits, unreadable at a glance; its two ends tell sellers apart (the whole id stays in
    the URL and in the row's tooltip)."""
    return seller_id if len(seller_id) <= 14 else f"{seller_id[:8]}\u2026{seller_id[-5:]}"
