"""Alerts: a rule on one KPI of a user's saved view (`pulse notify run` checks it), its
state (whether the condition holds now, so it fires once per crossing) and its history
(each firing with the value that triggered it and what each channel did).

The state columns say what the last check saw: the data version and the window it was
computed for, so a run skips a rule whose data and window have not moved. A history
row's channel status is `due` until the channel took it (`sent`) or refused it
(`failed`, retried by the next run); the error is a short reason, never a password, a
message body or the webhook's address.

Revision ID: 0015
Revises: 0014
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = "IN ('due', 'sent', 'failed')"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE pulse_alerts (id bigserial PRIMARY KEY, "
        "user_id bigint NOT NULL REFERENCES pulse_users (id) ON DELETE CASCADE, "
        "view_id bigint NOT NULL REFERENCES pulse_views (id) ON DELETE CASCADE, "
        "metric text NOT NULL CHECK (length(metric) BETWEEN 1 AND 40), "
        "time_window text NOT NULL CHECK (time_window IN ('day', 'week', 'month')), "
        "op text NOT NULL CHECK (op IN ('below', 'above', 'drop_pct', 'rise_pct')), "
        "threshold numeric(24, 6) NOT NULL CHECK (threshold >= 0), "
        "channels text[] NOT NULL CHECK (cardinality(channels) BETWEEN 1 AND 2 "
        "AND channels <@ ARRAY['email', 'webhook']::text[]), "
        "webhook_url text CHECK (length(webhook_url) <= 2000), "
        "created_at timestamptz NOT NULL DEFAULT now(), "
        "active boolean NOT NULL DEFAULT false, last_value numeric, last_change numeric, "
        "checked_at timestamptz, checked_version text, checked_period date, "
        "CONSTRAINT ck_pulse_alerts_webhook "
        "CHECK (('webhook' = ANY (channels)) = (webhook_url IS NOT NULL)))"
    )
    op.execute("CREATE INDEX ix_pulse_alerts_user ON pulse_alerts (user_id, id)")
    op.execute(
        "CREATE TABLE pulse_alert_history (id bigserial PRIMARY KEY, "
        "alert_id bigint NOT NULL REFERENCES pulse_alerts (id) ON DELETE CASCADE, "
        "fired_at timestamptz NOT NULL DEFAULT now(), "
        "period_start date NOT NULL, period_end date NOT NULL, "
        "value numeric, change numeric, threshold numeric(24, 6) NOT NULL, "
        f"email_status text CHECK (email_status {_STATUS}), email_error text, "
        f"webhook_status text CHECK (webhook_status {_STATUS}), webhook_error text, "
        "attempts integer NOT NULL DEFAULT 0, "
        "CONSTRAINT ck_pulse_alert_history_period CHECK (period_end >= period_start))"
    )
    op.execute("CREATE INDEX ix_pulse_alert_history_alert ON pulse_alert_history "
               "(alert_id, id)")
    op.execute("CREATE INDEX ix_pulse_alert_history_due ON pulse_alert_history (id) "
               "WHERE email_status IN ('due', 'failed') OR webhook_status IN ('due', 'failed')")


def downgrade() -> None:
    op.execute("DROP TABLE pulse_alert_history")
    op.execute("DROP TABLE pulse_alerts")
