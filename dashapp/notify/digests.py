"""E-mail digests: a subscription is a saved view and a frequency; its digest covers the
period just ended (daily: yesterday; weekly: last Monday-Sunday; monthly: last calendar
month, all by the run's clock) under the view's other filters: the cards' KPI set with
the change against the period before, the top states and categories, formatted in the
view's language by the page's own functions, a link to the view and a signed one-click
unsubscribe link. Sent once: `pulse_digests_sent` gets its row right after the SMTP
server accepted the message (see the package's docstring for the lock)."""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

from sqlalchemy import Engine

from loaders import userdata as writes

from ..metrics import KPI_FIELDS
from ..page import formatting as fmt
from ..page.i18n import Lang
from ..queries import userdata as reads
from ..service import PulseService
from ..userdata import unsubscribe_token
from .chart import HEIGHT, WIDTH, SalesChart, sales_chart
from .mail import Smtp, send
from .views import addresses, header_safe, view_filters, view_lang, view_link

log = logging.getLogger(__name__)
FREQUENCIES = ("daily", "weekly", "monthly")
TOP = 3


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


def top_lines(tops: dict[str, list[dict]], lang: Lang) -> list[tuple[str, str, str]]:
    """(dimension label, value, sales) of the period's largest states and categories."""
    _ = lang.gettext
    labels = {"state": lang.place("States"), "category": _("Categories")}
    return [(labels[dim], str(row["key"]), fmt.money(row.get("sales"), lang))
            for dim, rows in tops.items() for row in rows]


def compose(sub: dict, kpis: dict, lang: Lang, period: tuple[date, date], link: str,
            smtp: Smtp, unsubscribe: str = "", tops: dict[str, list[dict]] | None = None,
            chart: SalesChart | None = None) -> EmailMessage:
    """One message to the owner and the recipients an admin added, all in `To:`: one SMTP
    transaction is one ledger row, so a digest is sent once to everyone or (the server
    refused it) to no one and retried whole; one message per address could half-send and
    then repeat itself to those who already had it. The signed unsubscribe link is the
    subscription's: a recipient who wants no more mail can stop it without an account.
    The chart is an inline image of the HTML part (multipart/related, `cid:`), the plain
    part says it in a line."""
    _ = lang.gettext
    span = fmt.date_range(period[0], period[1], lang)
    rows = [(_(fmt.KPI_LABELS[f]), fmt.kpi_value(f, kpis["current"].get(f), lang),
             fmt.change_text(kpis["growth"].get(f), lang))
            for f in KPI_FIELDS if f in fmt.KPI_LABELS]
    rows += top_lines(tops or {}, lang)
    msg = EmailMessage()
    msg["Subject"] = f"Pulse · {header_safe(sub['name'])} · {span}"
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(addresses(sub))
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    stop = _("Unsubscribe")
    plain = "\n".join([f"{sub['name']} · {span}", "", *[f"{k}: {v} ({c})" for k, v, c in rows],
                       *(["", chart.summary(lang)] if chart else []),
                       "", link, *([f"{stop}: {unsubscribe}"] if unsubscribe else [])])
    msg.set_content(plain)
    cells = "".join(f"<tr><td>{escape(k)}</td><td><b>{escape(v)}</b></td>"
                    f"<td>{escape(c)}</td></tr>" for k, v, c in rows)
    cid = make_msgid(domain="pulse.chart")
    image = (f"<p><img src=\"cid:{cid[1:-1]}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" "
             f"alt=\"{escape(chart.summary(lang))}\"></p>" if chart else "")
    msg.add_alternative(
        f"<html lang=\"{lang.code.replace('_', '-')}\"><body><h2>{escape(sub['name'])}</h2>"
        f"<p>{escape(span)}</p><table>{cells}</table>{image}"
        f"<p><a href=\"{escape(link)}\">{escape(link)}</a></p>"
        + (f"<p><a href=\"{escape(unsubscribe)}\">{escape(stop)}</a></p>" if unsubscribe
           else "")
        + "</body></html>", subtype="html")
    if chart:
        html = msg.get_payload()[1]
        html.add_related(chart.png(lang), maintype="image", subtype="png", cid=cid,
                         filename="sales.png", disposition="inline")
    return msg



def run(engine: Engine, service: PulseService, smtp: Smtp, now: datetime, base_url: str,
        currency: str, secret: str | None = None, locale: str = "en") -> tuple[int, int]:
    """(sent, failed) of the digests due at `now`, under the run's lock; `locale`
    (PULSE_LOCALE) is the language of a digest whose view names none."""
    with writes.digest_lock(engine):
        return send_due(engine, service, smtp, now, base_url, currency, secret, locale)


def send_due(engine: Engine, service: PulseService, smtp: Smtp, now: datetime,
             base_url: str, currency: str, secret: str | None = None,
             locale: str = "en") -> tuple[int, int]:
    """(sent, failed); the caller holds the run's lock."""
    sent = failed = 0
    with engine.connect() as conn:
        subs = reads.due_digests(conn)
    for sub in subs:
        period = period_for(sub["frequency"], now)
        with engine.connect() as conn:
            if reads.digest_sent(conn, sub["id"], period[0]):
                continue
        ok = deliver(engine, service, smtp, sub, period, base_url, currency, secret, locale)
        sent, failed = sent + ok, failed + (not ok)
    return sent, failed


def deliver(engine: Engine, service: PulseService, smtp: Smtp, sub: dict,
            period: tuple[date, date], base_url: str, currency: str,
            secret: str | None = None, locale: str = "en") -> bool:
    where = {"subscription": sub["id"], "period": period[0].isoformat()}
    lang = view_lang(sub["query"], currency, locale)
    try:
        filters = view_filters(service, sub["query"], *period)
        kpis = service.kpis(filters)
        tops = {dim: sorted(service.breakdown(filters, dim)["rows"],
                            key=lambda r: -(r.get("sales") or 0))[:TOP]
                for dim in ("state", "category")}
        stop = (f"{base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(secret, sub['id'])}"
                if secret else "")
        chart = sales_chart(service, sub["query"], sub["frequency"], period)
        send(smtp, compose(sub, kpis, lang, period, view_link(base_url, sub["query"]), smtp,
                           stop, tops, chart))
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("digest %s for %s not sent: %s", sub["id"], period[0],
                    type(exc).__name__, extra={"event": "digest_failed", **where})
        return False
    with engine.begin() as conn:
        writes.record_digest(conn, sub["id"], period[0])
    log.info("digest %s for %s sent", sub["id"], period[0],
             extra={"event": "digest_sent", **where})
    return True
