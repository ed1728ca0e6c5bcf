"""Recipients an admin adds (issue #16: "recipients are the signed-in user's own address
unless an admin adds others"): `pulse_users.is_admin` (set by `pulse user add --admin` or
`pulse user admin NAME`), and a `recipients` list on subscriptions and alerts, the
addresses a digest or an alert's e-mail goes to besides the owner's. Empty by default, so
every existing row keeps going to its owner only; the check repeats the API's limit (at
most 20 addresses; their shape is checked in dashapp/userdata.py).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "CHECK (cardinality(recipients) <= 20)"


def upgrade() -> None:
    op.execute("ALTER TABLE pulse_users ADD COLUMN is_admin boolean NOT NULL DEFAULT false")
    for table in ("pulse_subscriptions", "pulse_alerts"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN recipients text[] NOT NULL "
                   f"DEFAULT '{{}}' CONSTRAINT ck_{table}_recipients {_CHECK}")


def downgrade() -> None:
    for table in ("pulse_alerts", "pulse_subscriptions"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN recipients")
    op.execute("ALTER TABLE pulse_users DROP COLUMN is_admin")
