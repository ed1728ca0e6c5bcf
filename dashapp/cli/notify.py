"""`pulse notify run`: e-mail the digests that are due (issue #16, first part: digests).

A subscription is a saved view and a frequency. Its digest covers the period just ended
(daily: yesterday; weekly: last Monday-Sunday; monthly: last calendar month, all by
`--now`, which tests and back-fills set) with the view's other filters: the KPI set of
the cards, with the change against the period before, formatted in the view's language
by the page's own functions, and a link to the view.

Exactly once: the whole run holds a PostgreSQL advisory lock (a second run at the same
moment waits, then finds the ledger rows the first wrote), and a digest is sent only
when `pulse_digests_sent` has no row for its subscription and period; the row is written
right after the SMTP server accepted the message. A failed send writes nothing, so the
next run tries again, and never stops the other digests. Logs name the subscription and
the period, never the password or the message.
"""

from __future__ import annotations

import argparse
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from html import escape
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine

from loaders import userdata as writes

from ..cache import ResultCache
from ..config import ConfigError, get_settings
from ..filters import DATE_PARAMS
from ..metrics import KPI_FIELDS
from ..page import formatting as fmt
from ..page import urlstate
from ..page.i18n import Lang, subscriber_lang
from ..queries import userdata as reads
from ..service import PulseService
from ..userdata import unsubscribe_token

log = logging.getLogger(__name__)
FREQUENCIES = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: bool  # smtps: TLS from the first byte; smtp: STARTTLS where the server offers it
    sender: str


def smtp_from_url(url: str | None, sender: str | None = None) -> Smtp:
    """`smtp://` or `smtps://user:password@host:port`; anything else stops the run with a
    message naming SMTP_URL (the password never appears in it)."""
    if not url:
        raise ConfigError("SMTP_URL is not set (smtp://user:password@host:port)")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError("SMTP_URL is malformed: use smtp:// or "
                          "smtps://user:password@host:port") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("SMTP_URL must be smtp://host:port or smtps://user:password@"
                          f"host:port (got scheme {parts.scheme or 'none'!r})")
    tls = parts.scheme == "smtps"
    user = unquote(parts.username) if parts.username else None
    return Smtp(parts.hostname, port or (465 if tls else 587), user,
                unquote(parts.password) if parts.password else None, tls,
                sender or f"pulse@{parts.hostname}")


def period_for(frequency: str, now: datetime) -> tuple[date, date]:
    """The period that has just ended at `now`."""
    today = now.date()
    if frequency == "daily":
        return today - timedelta(days=1), today - timedelta(days=1)
    if frequency == "weekly":
        end = today - timedelta(days=today.weekday() + 1)
        return end - timedelta(days=6), end
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def digest_filters(service: PulseService, query: str, start: date, end: date) -> Any:
    params = urlstate.without_page_params(urlstate.parse_search(query))
    params = {k: v for k, v in params.items() if k not in (*DATE_PARAMS, "range")}
    params.update({"start": [start.isoformat()], "end": [end.isoformat()]})
    return service.parse(params)


TOP = 3


def top_lines(tops: dict[str, list[dict]], lang: Lang) -> list[tuple[str, str, str]]:
    """(dimension label, value, sales) of the period's largest states and categories."""
    _ = lang.gettext
    labels = {"state": lang.place("States"), "category": _("Categories")}
    return [(labels[dim], str(row["key"]), fmt.money(row.get("sales"), lang))
            for dim, rows in tops.items() for row in rows]


def compose(sub: dict, kpis: dict, lang: Lang, period: tuple[date, date], link: str,
            smtp: Smtp, unsubscribe: str = "", tops: dict[str, list[dict]] | None = None
            ) -> EmailMessage:
    _ = lang.gettext
    span = fmt.date_range(period[0], period[1], lang)
    rows = [(_(fmt.KPI_LABELS[f]), fmt.kpi_value(f, kpis["current"].get(f), lang),
             fmt.change_text(kpis["growth"].get(f), lang))
            for f in KPI_FIELDS if f in fmt.KPI_LABELS]
    rows += top_lines(tops or {}, lang)
    msg = EmailMessage()
    msg["Subject"] = f"Pulse · {sub['name']} · {span}"
    msg["From"] = smtp.sender
    msg["To"] = sub["email"]
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    stop = _("Unsubscribe")
    plain = "\n".join([f"{sub['name']} · {span}", "", *[f"{k}: {v} ({c})" for k, v, c in rows],
                       "", link, *([f"{stop}: {unsubscribe}"] if unsubscribe else [])])
    msg.set_content(plain)
    cells = "".join(f"<tr><td>{escape(k)}</td><td><b>{escape(v)}</b></td>"
                    f"<td>{escape(c)}</td></tr>" for k, v, c in rows)
    msg.add_alternative(
        f"<html lang=\"{lang.code.replace('_', '-')}\"><body><h2>{escape(sub['name'])}</h2>"
        f"<p>{escape(span)}</p><table>{cells}</table>"
        f"<p><a href=\"{escape(link)}\">{escape(link)}</a></p>"
        + (f"<p><a href=\"{escape(unsubscribe)}\">{escape(stop)}</a></p>" if unsubscribe
           else "")
        + "</body></html>", subtype="html")
    return msg


def send(smtp: Smtp, msg: EmailMessage) -> None:
    if smtp.tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=20,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=20)
    with client:
        client.ehlo()
        if not smtp.tls and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(msg)


def run(engine: Engine, service: PulseService, smtp: Smtp, now: datetime, base_url: str,
        currency: str, secret: str | None = None, locale: str = "en") -> tuple[int, int]:
    """(sent, failed) of the digests due at `now`; `locale` (PULSE_LOCALE) is the language
    of a digest whose view names none."""
    sent = failed = 0
    with writes.digest_lock(engine):
        with engine.connect() as conn:
            subs = reads.due_digests(conn)
        for sub in subs:
            period = period_for(sub["frequency"], now)
            with engine.connect() as conn:
                if reads.digest_sent(conn, sub["id"], period[0]):
                    continue
            ok = deliver(engine, service, smtp, sub, period, base_url, currency, secret,
                         locale)
            sent, failed = sent + ok, failed + (not ok)
    return sent, failed


def deliver(engine: Engine, service: PulseService, smtp: Smtp, sub: dict,
            period: tuple[date, date], base_url: str, currency: str,
            secret: str | None = None, locale: str = "en") -> bool:
    where = {"subscription": sub["id"], "period": period[0].isoformat()}
    lang = subscriber_lang(sub["query"], locale, currency)
    try:
        filters = digest_filters(service, sub["query"], *period)
        kpis = service.kpis(filters)
        tops = {dim: sorted(service.breakdown(filters, dim)["rows"],
                            key=lambda r: -(r.get("sales") or 0))[:TOP]
                for dim in ("state", "category")}
        link = f"{base_url.rstrip('/')}/?{sub['query']}" if sub["query"] else base_url
        stop = (f"{base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(secret, sub['id'])}"
                if secret else "")
        send(smtp, compose(sub, kpis, lang, period, link, smtp, stop, tops))
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("digest %s for %s not sent: %s", sub["id"], period[0],
                    type(exc).__name__, extra={"event": "digest_failed", **where})
        return False
    with engine.begin() as conn:
        writes.record_digest(conn, sub["id"], period[0])
    log.info("digest %s for %s sent", sub["id"], period[0],
             extra={"event": "digest_sent", **where})
    return True


def cmd_notify_run(args: argparse.Namespace) -> int:
    from .admin import upgraded_loader

    smtp = smtp_from_url(os.environ.get("SMTP_URL"), os.environ.get("PULSE_MAIL_FROM"))
    try:
        now = datetime.fromisoformat(args.now) if args.now else datetime.now()
    except ValueError:
        raise ConfigError(f"--now must be YYYY-MM-DDTHH:MM, got {args.now!r}") from None
    engine = upgraded_loader()
    settings = get_settings()
    service = PulseService(engine, ResultCache(settings))
    base = os.environ.get("PULSE_PUBLIC_URL", "http://127.0.0.1:8050")
    sent, failed = run(engine, service, smtp, now, base, settings.currency,
                       settings.secret_key, settings.locale)
    print(f"digests: {sent} sent, {failed} failed (tried again next run)")
    return 0 if not failed else 1


def register(sub: Any) -> None:
    notify = sub.add_parser("notify", help="e-mail digests")
    notify_sub = notify.add_subparsers(dest="notify_command", required=True)
    run_p = notify_sub.add_parser("run", help="send every digest that is due (SMTP_URL)")
    run_p.add_argument("--now", help="the clock, YYYY-MM-DDTHH:MM (tests, back-fills)")
    run_p.set_defaults(func=cmd_notify_run)
