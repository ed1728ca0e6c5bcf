"""Reads of what people add to the data: saved views, targets and events (migration 0012).

Not cached and not part of a data version: these rows change when a person saves
something, not when a load commits, so every read goes to the database (they are small
and indexed).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from loaders.userdata import ALERT_COLUMNS


def user_id(conn: Connection, username: str) -> int | None:
    return conn.execute(text("SELECT id FROM pulse_users WHERE username = :u"),
                        {"u": username}).scalar()


def views(conn: Connection, owner: int | None) -> list[dict[str, Any]]:
    """The owner's views, oldest first (the menu's order: the order they were saved)."""
    rows = conn.execute(text(
        "SELECT id, name, query, created_at FROM pulse_views "
        "WHERE user_id IS NOT DISTINCT FROM :u ORDER BY id"), {"u": owner})
    return [dict(r) for r in rows.mappings()]


def view(conn: Connection, owner: int | None, view_id: int) -> dict[str, Any] | None:
    row = conn.execute(text(
        "SELECT id, name, query, created_at FROM pulse_views "
        "WHERE id = :id AND user_id IS NOT DISTINCT FROM :u"),
        {"id": view_id, "u": owner}).mappings().first()
    return dict(row) if row else None


def targets(conn: Connection, start: date | None = None, end: date | None = None
            ) -> list[dict[str, Any]]:
    """Targets of the months that start within [start, end] (all when open)."""
    rows = conn.execute(text(
        "SELECT id, month, dimension, value, amount, updated_at FROM pulse_targets "
        "WHERE (CAST(:s AS date) IS NULL OR month >= date_trunc('month', CAST(:s AS date))) "
        "AND (CAST(:e AS date) IS NULL OR month <= :e) "
        "ORDER BY month, dimension, value"), {"s": start, "e": end})
    return [dict(r) for r in rows.mappings()]


def events(conn: Connection, start: date | None = None, end: date | None = None
           ) -> list[dict[str, Any]]:
    """Events overlapping [start, end] (all when open), by start day."""
    rows = conn.execute(text(
        "SELECT id, start_day, end_day, label, note, created_at FROM pulse_events "
        "WHERE (CAST(:s AS date) IS NULL OR end_day >= :s) "
        "AND (CAST(:e AS date) IS NULL OR start_day <= :e) "
        "ORDER BY start_day, id"), {"s": start, "e": end})
    return [dict(r) for r in rows.mappings()]


def due_digests(conn: Connection) -> list[dict[str, Any]]:
    """Active subscriptions with their user's address and view (the caller decides which
    period is due and checks the ledger)."""
    rows = conn.execute(text(
        "SELECT s.id, s.frequency, s.recipients, u.username, u.email, v.name, v.query "
        "FROM pulse_subscriptions s JOIN pulse_users u ON u.id = s.user_id "
        "JOIN pulse_views v ON v.id = s.view_id "
        "WHERE s.unsubscribed_at IS NULL AND u.email IS NOT NULL ORDER BY s.id"))
    return [dict(r) for r in rows.mappings()]


def subscription_query(conn: Connection, subscription_id: int) -> str | None:
    """The saved view's query of a subscription (its language is the digest's); None when
    there is no such subscription."""
    return conn.execute(text(
        "SELECT v.query FROM pulse_subscriptions s JOIN pulse_views v ON v.id = s.view_id "
        "WHERE s.id = :s"), {"s": subscription_id}).scalar_one_or_none()


def digest_sent(conn: Connection, subscription_id: int, period_start: date) -> bool:
    return conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pulse_digests_sent WHERE subscription_id = :s "
        "AND period_start = :p)"), {"s": subscription_id, "p": period_start}).scalar_one()


def subscriptions(conn: Connection, owner: int) -> list[dict[str, Any]]:
    rows = conn.execute(text(
        "SELECT id, view_id, frequency, recipients, created_at, unsubscribed_at "
        "FROM pulse_subscriptions "
        "WHERE user_id = :u ORDER BY id"), {"u": owner})
    return [dict(r) for r in rows.mappings()]


def user_mailing(conn: Connection, owner: int) -> dict[str, Any]:
    """The user's own address and whether they may add others' (an admin)."""
    row = conn.execute(text("SELECT email, is_admin FROM pulse_users WHERE id = :u"),
                       {"u": owner}).mappings().first()
    return dict(row) if row else {"email": None, "is_admin": False}


def alerts(conn: Connection, owner: int, alert_id: int | None = None) -> list[dict[str, Any]]:
    """The owner's alerts (or the one of that id, if theirs), oldest first."""
    rows = conn.execute(text(
        f"SELECT {ALERT_COLUMNS} FROM pulse_alerts WHERE user_id = :u "
        "AND (CAST(:id AS bigint) IS NULL OR id = :id) ORDER BY id"),
        {"u": owner, "id": alert_id})
    return [dict(r) for r in rows.mappings()]


def alert_history(conn: Connection, alert_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """An alert's firings, newest first."""
    rows = conn.execute(text(
        "SELECT id, fired_at, period_start, period_end, value, change, threshold, "
        "email_status, email_error, webhook_status, webhook_error, attempts "
        "FROM pulse_alert_history WHERE alert_id = :a ORDER BY id DESC LIMIT :n"),
        {"a": alert_id, "n": limit})
    return [dict(r) for r in rows.mappings()]


_RULE = ("a.id, a.metric, a.time_window AS window, a.op, a.threshold, a.channels, "
         "a.webhook_url, a.recipients, u.email, v.name, v.query, v.id AS view_id")


def alerts_to_check(conn: Connection) -> list[dict[str, Any]]:
    """Every alert with what its check needs: the view, the state of the last check."""
    rows = conn.execute(text(
        f"SELECT {_RULE}, a.active, a.checked_version, a.checked_period "
        "FROM pulse_alerts a JOIN pulse_users u ON u.id = a.user_id "
        "JOIN pulse_views v ON v.id = a.view_id ORDER BY a.id"))
    return [dict(r) for r in rows.mappings()]


def alert_deliveries_due(conn: Connection, max_attempts: int) -> list[dict[str, Any]]:
    """Firings with a channel not yet sent (due, or failed and not given up on), oldest
    first, with their alert's rule and view."""
    rows = conn.execute(text(
        f"SELECT h.id AS history_id, h.period_start, h.period_end, h.value, h.change, "
        f"h.threshold AS fired_threshold, h.email_status, h.webhook_status, {_RULE} "
        "FROM pulse_alert_history h JOIN pulse_alerts a ON a.id = h.alert_id "
        "JOIN pulse_users u ON u.id = a.user_id JOIN pulse_views v ON v.id = a.view_id "
        "WHERE (h.email_status IN ('due', 'failed') OR h.webhook_status IN ('due', 'failed'))"
        " AND h.attempts < :n ORDER BY h.id"), {"n": max_attempts})
    return [dict(r) for r in rows.mappings()]
