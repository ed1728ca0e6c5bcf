"""A saved view as a message sees it: its filters over one period, its language, its link."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..filters import DATE_PARAMS, Filters
from ..page import urlstate
from ..page.i18n import Lang, subscriber_lang
from ..service import PulseService


def view_filters(service: PulseService, query: str, start: date, end: date) -> Filters:
    """The view's filters with the period's dates instead of its own (or its preset)."""
    params = urlstate.without_page_params(urlstate.parse_search(query))
    params = {k: v for k, v in params.items() if k not in (*DATE_PARAMS, "range")}
    params.update({"start": [start.isoformat()], "end": [end.isoformat()]})
    return service.parse(params)


def view_lang(query: str, currency: str, locale: str = "en") -> Lang:
    """The view's own language (its `lang=`), else `locale` (PULSE_LOCALE)."""
    return subscriber_lang(query, locale, currency)


def view_link(base_url: str, query: str) -> str:
    return f"{base_url.rstrip('/')}/?{query}" if query else base_url


def addresses(row: dict) -> list[str]:
    """Where a digest or an alert's e-mail goes: the owner's address, then the
    recipients an admin added (each once; the API checked their shape)."""
    out = [row["email"]]
    for address in row.get("recipients") or ():
        if address.lower() not in {a.lower() for a in out}:
            out.append(address)
    return out


def header_safe(text: Any) -> str:
    """A view's name in a Subject line: one line."""
    return " ".join(str(text).split())
