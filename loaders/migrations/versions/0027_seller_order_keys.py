"""The order list's sort keys on `agg_seller_order`: its purchase time and days late
beside the payments and review sums it already holds, so a page under a seller and a
category filter sorts the seller's rows (stored together) instead of looking each of
its orders up in `order_keys` (queries/orders.py, `seller_rows`).

Filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed); tests/test_rollup_schema.py holds the columns equal to the code's.

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE agg_seller_order ADD COLUMN purchased_at timestamp, "
               "ADD COLUMN days_late integer")


def downgrade() -> None:
    op.execute("ALTER TABLE agg_seller_order DROP COLUMN days_late, DROP COLUMN purchased_at")
