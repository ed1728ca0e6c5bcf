"""Alerts: a rule on one KPI of a saved view, checked by each `pulse notify run`.

A rule is checked when the data changed since its last check (the data version) or its
window moved (day: the last whole day; week: the last 7 days; month: the last calendar
month, all ending before the run's clock). It fires when its condition becomes true,
and again only after a check saw it false: `active` holds the condition's last state,
and the firing (a history row) is written in the same transaction that sets it. The
value is the card's: `below`/`above` compare the KPI in the unit `/api/v1/kpis` gives
it (rates as fractions); `drop_pct`/`rise_pct` compare its change on the period before
(the cards' growth, previous period of the same length) in percent.

A firing's channels (one e-mail to the user's own address and the recipients an admin
added, all in `To:` as a digest is, so the channel is sent or failed as a whole and a
retry repeats it to no one who had it; a JSON POST to the webhook with a `text` field
Slack and Teams read) are tried one by one; each outcome is written right after it
(`sent`, or `failed` and why), so a dead server delays its own channel only and the
next run tries it again (up to `MAX_TRIES`).
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from html import escape
from typing import Any

from sqlalchemy import Engine

from loaders import userdata as writes

from ..filters import FilterError
from ..metrics import MONEY_FIELDS
from ..page import formatting as fmt
from ..page.formatting import N_
from ..page.i18n import Lang
from ..queries import userdata as reads
from ..service import DatabaseUnavailable, NoData, PulseService
from ..userdata import webhook_refusal
from .mail import Smtp, reason, send
from .views import addresses, header_safe, view_filters, view_lang, view_link

log = logging.getLogger(__name__)
#: Tries of a firing's channels before the run stops retrying (about two days hourly).
MAX_TRIES = 48
WEBHOOK_TIMEOUT = 10

CONDITIONS = {
    "below": N_("{metric} for {period} is {value}, below {threshold}."),
    "above": N_("{metric} for {period} is {value}, above {threshold}."),
    "drop_pct": N_("{metric} for {period} is {value}, down {change} on the period before "
                   "(alert: more than {threshold})."),
    "rise_pct": N_("{metric} for {period} is {value}, up {change} on the period before "
                   "(alert: more than {threshold})."),
}


def alert_period(window: str, now: datetime) -> tuple[date, date]:
    """The window that has just ended at `now` (first and last day)."""
    today = now.date()
    if window == "day":
        return today - timedelta(days=1), today - timedelta(days=1)
    if window == "week":
        return today - timedelta(days=7), today - timedelta(days=1)
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def percent_change(current: Any, previous: Any) -> Decimal | None:
    """The cards' growth (`metrics.change`) in percent, exact: None without a base."""
    if current is None or previous is None or previous == 0:
        return None
    cur, prev = Decimal(str(current)), Decimal(str(previous))
    return (cur - prev) / prev * 100


def holds(op: str, threshold: Decimal, value: Any, change: Decimal | None) -> bool:
    """Whether the condition is true; a value or change that cannot be computed (no
    orders, no previous period) is not a crossing."""
    if op in ("below", "above"):
        if value is None:
            return False
        current = Decimal(str(value))
        return current < threshold if op == "below" else current > threshold
    if change is None:
        return False
    return -change > threshold if op == "drop_pct" else change > threshold


def measure(service: PulseService, rule: dict, period: tuple[date, date]
            ) -> tuple[Any, Decimal | None]:
    """(the KPI over the period, its change in percent on the period before)."""
    kpis = service.kpis(view_filters(service, rule["query"], *period))
    value = kpis["current"].get(rule["metric"])
    return value, percent_change(value, kpis["previous"].get(rule["metric"]))


def check_all(engine: Engine, service: PulseService, now: datetime) -> int:
    """Check every rule whose data or window moved; returns how many fired."""
    version = service.version()
    if not version:
        return 0
    with engine.connect() as conn:
        rules = reads.alerts_to_check(conn)
    fired = 0
    for rule in rules:
        period = alert_period(rule["window"], now)
        if rule["checked_version"] == version and rule["checked_period"] == period[0]:
            continue
        where = {"alert": rule["id"], "period": period[0].isoformat()}
        try:
            value, change = measure(service, rule, period)
        except (FilterError, DatabaseUnavailable, NoData) as exc:
            log.warning("alert %s not checked: %s", rule["id"], type(exc).__name__,
                        extra={"event": "alert_unchecked", **where})
            continue
        check = {"holds": holds(rule["op"], rule["threshold"], value, change),
                 "value": value, "change": change, "version": version, "period": period}
        with engine.begin() as conn:
            history = writes.record_check(conn, rule["id"], check)
        if history is not None:
            fired += 1
            log.info("alert %s fired for %s", rule["id"], period[0],
                     extra={"event": "alert_fired", "history": history, **where})
    return fired


def _number(field: str, value: Any) -> Any:
    return value if value is None or field in MONEY_FIELDS else float(value)


def sentence(row: dict, lang: Lang) -> str:
    """What happened, in the view's language, numbers as the cards write them."""
    metric = row["metric"]
    threshold = Decimal(row["fired_threshold"])
    if row["op"] in ("below", "above"):
        shown_threshold = fmt.kpi_value(metric, _number(metric, threshold), lang)
    else:
        shown_threshold = fmt.percent(float(threshold) / 100, lang)
    change = row["change"]
    return lang.gettext(CONDITIONS[row["op"]]).format(
        metric=lang.gettext(fmt.KPI_LABELS.get(metric, metric)),
        period=(fmt.nice_date(row["period_start"], lang)
                if row["period_start"] == row["period_end"]
                else fmt.date_range(row["period_start"], row["period_end"], lang)),
        value=fmt.kpi_value(metric, _number(metric, row["value"]), lang),
        change=fmt.NONE if change is None else fmt.percent(abs(float(change)) / 100, lang),
        threshold=shown_threshold)


def compose_email(row: dict, lang: Lang, text: str, link: str, smtp: Smtp) -> EmailMessage:
    label = lang.gettext(fmt.KPI_LABELS.get(row["metric"], row["metric"]))
    word = lang.gettext("Alert")
    msg = EmailMessage()
    msg["Subject"] = f"Pulse · {word} · {header_safe(row['name'])} · {label}"
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(addresses(row))
    msg.set_content("\n".join([row["name"], "", text, "", link]))
    msg.add_alternative(
        f"<html lang=\"{lang.code.replace('_', '-')}\"><body><h2>{escape(row['name'])}</h2>"
        f"<p>{escape(text)}</p><p><a href=\"{escape(link)}\">{escape(link)}</a></p>"
        "</body></html>", subtype="html")
    return msg


def webhook_body(row: dict, text: str, link: str) -> dict[str, Any]:
    """The JSON the webhook gets: `text` for chat tools, the rule and numbers for code
    (never the webhook's own address)."""
    def num(value: Any) -> Any:
        return None if value is None else float(value)

    return {"text": f"{text} {link}", "url": link,
            "alert": {"id": row["id"], "view_id": row["view_id"], "view": row["name"],
                      "metric": row["metric"], "window": row["window"], "op": row["op"],
                      "threshold": num(row["fired_threshold"]),
                      "channels": list(row["channels"])},
            "value": num(row["value"]), "threshold": num(row["fired_threshold"]),
            "change_pct": num(row["change"]),
            "period": {"start": row["period_start"].isoformat(),
                       "end": row["period_end"].isoformat()}}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET somewhere else: report it, don't follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_json(url: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Pulse-alerts"})
    opener = urllib.request.build_opener(_NoRedirects)
    with opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
        response.read(1024)


def try_channel(channel: str, row: dict, smtp: Smtp, text: str, link: str,
                lang: Lang, allow_private: bool = False) -> str | None:
    """None when the channel took the message, else why not (short, no secrets). The
    webhook's address is checked again right before the POST: its host may resolve
    elsewhere now than when the alert was saved."""
    try:
        if channel == "email":
            if not row["email"]:
                return "the user has no e-mail address"
            send(smtp, compose_email(row, lang, text, link, smtp))
        else:
            refused = webhook_refusal(row["webhook_url"], allow_private)
            if refused:
                return f"refused: {refused}"
            post_json(row["webhook_url"], webhook_body(row, text, link))
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except urllib.error.URLError as exc:
        return reason(exc.reason) if isinstance(exc.reason, BaseException) \
            else f"URLError: {exc.reason}"[:200]
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        return reason(exc)
    return None


def deliver_due(engine: Engine, smtp: Smtp, base_url: str, currency: str,
                locale: str = "en", allow_private: bool = False) -> tuple[int, int]:
    """(sent, failed) of the firings' channels still due; the caller holds the lock.
    `allow_private` is PULSE_WEBHOOK_ALLOW_PRIVATE, passed by the caller (the command
    line reads the settings; this layer does not)."""
    sent = failed = 0
    with engine.connect() as conn:
        rows = reads.alert_deliveries_due(conn, MAX_TRIES)
    for row in rows:
        lang = view_lang(row["query"], currency, locale)
        text, link = sentence(row, lang), view_link(base_url, row["query"])
        for channel in ("email", "webhook"):
            if row[f"{channel}_status"] not in ("due", "failed"):
                continue
            error = try_channel(channel, row, smtp, text, link, lang, allow_private)
            writes.record_channel(engine, row["history_id"], channel, error)
            where = {"event": "alert_failed" if error else "alert_sent", "alert": row["id"],
                     "history": row["history_id"], "channel": channel}
            if error:
                failed += 1
                log.warning("alert %s by %s not sent: %s", row["id"], channel, error,
                            extra=where)
            else:
                sent += 1
                log.info("alert %s sent by %s", row["id"], channel, extra=where)
    return sent, failed
