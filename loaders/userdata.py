"""Writes of what people add to the data: saved views, targets and events (migration 0012).

They live in the database beside the users for the reason the accounts do
(loaders/accounts.py): every web process and `pulse` command sees the same rows. The
web role may write these three tables and no other data (`pulse db grant-reader`).
Values arrive validated (dashapp/userdata.py); the table checks repeat the rules so a
bug above cannot store a negative target or an event that ends before it starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

#: The tables the web role may write (granted by `warehouse.grant_reader`).
USER_TABLES = ("pulse_views", "pulse_targets", "pulse_events", "pulse_subscriptions",
               "pulse_alerts")

_VIEW_COLUMNS = "id, name, query, created_at"
_TARGET_COLUMNS = "id, month, dimension, value, amount, updated_at"
_EVENT_COLUMNS = "id, start_day, end_day, label, note, created_at"
#: An alert as the API shows it (`time_window` is `window` there: WINDOW is reserved SQL).
ALERT_COLUMNS = ("id, view_id, metric, time_window AS window, op, threshold, channels, "
                 "webhook_url, recipients, created_at, active, last_value, last_change, "
                 "checked_at")


def save_view(engine: Engine, user_id: int | None, name: str, query: str) -> dict[str, Any]:
    with engine.begin() as conn:
        row = conn.execute(text(
            f"INSERT INTO pulse_views (user_id, name, query) VALUES (:u, :n, :q) "
            f"RETURNING {_VIEW_COLUMNS}"), {"u": user_id, "n": name, "q": query})
        return dict(row.mappings().one())


def delete_view(engine: Engine, user_id: int | None, view_id: int) -> bool:
    """Only the owner's row goes: another user's id deletes nothing (the API says 404)."""
    with engine.begin() as conn:
        return conn.execute(text(
            "DELETE FROM pulse_views WHERE id = :id AND user_id IS NOT DISTINCT FROM :u"),
            {"id": view_id, "u": user_id}).rowcount == 1


def set_target(engine: Engine, month: date, amount: Decimal, dimension: str = "",
               value: str = "") -> dict[str, Any]:
    """One target per month and scope: setting it again replaces the amount."""
    with engine.begin() as conn:
        row = conn.execute(text(
            "INSERT INTO pulse_targets (month, dimension, value, amount) "
            "VALUES (:m, :d, :v, :a) ON CONFLICT ON CONSTRAINT uq_pulse_targets "
            "DO UPDATE SET amount = EXCLUDED.amount, updated_at = now() "
            f"RETURNING {_TARGET_COLUMNS}"), {"m": month, "d": dimension, "v": value,
                                              "a": amount})
        return dict(row.mappings().one())


def delete_target(engine: Engine, target_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(text("DELETE FROM pulse_targets WHERE id = :id"),
                            {"id": target_id}).rowcount == 1


def add_event(engine: Engine, start: date, end: date, label: str,
              note: str | None) -> dict[str, Any]:
    with engine.begin() as conn:
        row = conn.execute(text(
            "INSERT INTO pulse_events (start_day, end_day, label, note) "
            f"VALUES (:s, :e, :l, :n) RETURNING {_EVENT_COLUMNS}"),
            {"s": start, "e": end, "l": label, "n": note})
        return dict(row.mappings().one())


def delete_event(engine: Engine, event_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(text("DELETE FROM pulse_events WHERE id = :id"),
                            {"id": event_id}).rowcount == 1


def set_email(engine: Engine, username: str, email: str | None) -> bool:
    with engine.begin() as conn:
        return conn.execute(text("UPDATE pulse_users SET email = :e WHERE username = :u"),
                            {"e": email, "u": username}).rowcount == 1


def set_user_email(engine: Engine, user_id: int, email: str | None) -> bool:
    """The signed-in user's own address (the page's and `PUT /api/v1/me`'s write)."""
    with engine.begin() as conn:
        return conn.execute(text("UPDATE pulse_users SET email = :e WHERE id = :u"),
                            {"e": email, "u": user_id}).rowcount == 1


def set_admin(engine: Engine, username: str, admin: bool) -> bool:
    """Whether the user may send digests and alerts to other addresses (migration 0018)."""
    with engine.begin() as conn:
        return conn.execute(text("UPDATE pulse_users SET is_admin = :a WHERE username = :u"),
                            {"a": admin, "u": username}).rowcount == 1


def subscribe(engine: Engine, user_id: int, view_id: int, frequency: str,
              recipients: list[str] | None = None) -> dict[str, Any] | None:
    """None when the view is not the user's own (the API says 404)."""
    with engine.begin() as conn:
        row = conn.execute(text(
            "INSERT INTO pulse_subscriptions (user_id, view_id, frequency, recipients) "
            "SELECT :u, id, :f, :r FROM pulse_views WHERE id = :v AND user_id = :u "
            "RETURNING id, view_id, frequency, recipients, created_at"),
            {"u": user_id, "v": view_id, "f": frequency,
             "r": list(recipients or [])}).mappings().first()
        return dict(row) if row else None


def record_digest(conn: Any, subscription_id: int, period_start: date) -> None:
    """The ledger row that makes a digest sent: written right after the server took it."""
    conn.execute(text("INSERT INTO pulse_digests_sent (subscription_id, period_start) "
                      "VALUES (:s, :p) ON CONFLICT DO NOTHING"),
                 {"s": subscription_id, "p": period_start})


DIGEST_LOCK = 7_301_016


@contextmanager
def digest_lock(engine: Engine) -> Iterator[None]:
    """One `pulse notify run` at a time, across machines: a second one waits here, then
    finds the ledger rows the first wrote (a session lock, released even on errors)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": DIGEST_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": DIGEST_LOCK})
            conn.commit()


def delete_subscription(engine: Engine, user_id: int | None, subscription_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(text(
            "DELETE FROM pulse_subscriptions WHERE id = :id AND user_id = :u"),
            {"id": subscription_id, "u": user_id}).rowcount == 1


def stop_subscription(engine: Engine, subscription_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(text(
            "UPDATE pulse_subscriptions SET unsubscribed_at = coalesce(unsubscribed_at, now()) "
            "WHERE id = :id"), {"id": subscription_id}).rowcount == 1


# --- alerts (migration 0015) ------------------------------------------------------------


def add_alert(engine: Engine, user_id: int, view_id: int, rule: dict[str, Any]
              ) -> dict[str, Any] | None:
    """None when the view is not the user's own (the API says 404)."""
    with engine.begin() as conn:
        row = conn.execute(text(
            "INSERT INTO pulse_alerts (user_id, view_id, metric, time_window, op, threshold, "
            "channels, webhook_url, recipients) SELECT :u, id, :m, :w, :o, :t, :c, :h, :r "
            f"FROM pulse_views WHERE id = :v AND user_id = :u RETURNING {ALERT_COLUMNS}"),
            {"u": user_id, "v": view_id, "m": rule["metric"], "w": rule["window"],
             "o": rule["op"], "t": rule["threshold"], "c": list(rule["channels"]),
             "h": rule["webhook_url"], "r": list(rule.get("recipients") or [])}
        ).mappings().first()
        return dict(row) if row else None


def delete_alert(engine: Engine, user_id: int | None, alert_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(text(
            "DELETE FROM pulse_alerts WHERE id = :id AND user_id = :u"),
            {"id": alert_id, "u": user_id}).rowcount == 1


def record_check(conn: Any, alert_id: int, check: dict[str, Any]) -> int | None:
    """Store what a check saw; when the condition has just become true, also the firing
    (a history row whose channels are due), in the caller's transaction so the state and
    the firing are written together or not at all. Returns the new history row's id."""
    fired = conn.execute(text(
        "UPDATE pulse_alerts n SET active = :holds, last_value = :v, last_change = :c, "
        "checked_at = now(), checked_version = :ver, checked_period = :p "
        "FROM pulse_alerts o WHERE n.id = o.id AND n.id = :id "
        "RETURNING n.active AND NOT o.active"),
        {"id": alert_id, "holds": check["holds"], "v": check["value"], "c": check["change"],
         "ver": check["version"], "p": check["period"][0]}).scalar()
    if not fired:
        return None
    return conn.execute(text(
        "INSERT INTO pulse_alert_history (alert_id, period_start, period_end, value, change, "
        "threshold, email_status, webhook_status) SELECT id, :s, :e, :v, :c, threshold, "
        "CASE WHEN 'email' = ANY (channels) THEN 'due' END, "
        "CASE WHEN 'webhook' = ANY (channels) THEN 'due' END FROM pulse_alerts WHERE id = :id "
        "RETURNING id"),
        {"id": alert_id, "s": check["period"][0], "e": check["period"][1],
         "v": check["value"], "c": check["change"]}).scalar_one()


def record_channel(engine: Engine, history_id: int, channel: str, error: str | None) -> None:
    """A channel's outcome, right after it was tried: `sent`, or `failed` with why."""
    if channel not in ("email", "webhook"):
        raise ValueError(channel)
    with engine.begin() as conn:
        conn.execute(text(
            f"UPDATE pulse_alert_history SET {channel}_status = :s, {channel}_error = :e, "
            "attempts = attempts + 1 WHERE id = :id"),
            {"id": history_id, "s": "failed" if error else "sent", "e": error})
