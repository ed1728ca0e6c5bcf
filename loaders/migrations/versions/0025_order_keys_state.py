"""`order_keys (state, purchased_at)`: an order list filtered to a few small states reads
their rows of its range and sorts them, instead of walking the whole range in purchase
order past other states' rows (at 10M orders, AP and PB with two categories and a
payment type: ~600k rows walked, 0.25-2.3 s). See `loaders.listkeys`.

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_order_keys_state ON order_keys (state, purchased_at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_order_keys_state")
