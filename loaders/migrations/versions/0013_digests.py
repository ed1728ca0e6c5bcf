"""E-mail digests: a user's address, their subscriptions of saved views, and the ledger of
digests sent (one row per subscription and period: `pulse notify run` sends what has no
row yet, under an advisory lock, so two runs at once send it once).

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE pulse_users ADD COLUMN email text "
               "CONSTRAINT ck_pulse_users_email CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$')")
    op.execute(
        "CREATE TABLE pulse_subscriptions (id bigserial PRIMARY KEY, "
        "user_id bigint NOT NULL REFERENCES pulse_users (id) ON DELETE CASCADE, "
        "view_id bigint NOT NULL REFERENCES pulse_views (id) ON DELETE CASCADE, "
        "frequency text NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')), "
        "created_at timestamptz NOT NULL DEFAULT now(), unsubscribed_at timestamptz)"
    )
    op.execute("CREATE INDEX ix_pulse_subscriptions_user ON pulse_subscriptions (user_id)")
    op.execute(
        "CREATE TABLE pulse_digests_sent (subscription_id bigint NOT NULL "
        "REFERENCES pulse_subscriptions (id) ON DELETE CASCADE, period_start date NOT NULL, "
        "sent_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (subscription_id, period_start))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE pulse_digests_sent")
    op.execute("DROP TABLE pulse_subscriptions")
    op.execute("ALTER TABLE pulse_users DROP COLUMN email")
