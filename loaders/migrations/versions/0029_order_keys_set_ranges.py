"""`order_keys (catset_id, purchased_at)` and `(sellerset_id, purchased_at)` instead of
the sets' ids alone: an order list under a category (or seller) filter and a date range
reads only the range's rows of each matching set, instead of every row of the sets
ANDed with the range's (at 10M orders, a week of two categories read ~770k index
entries to keep ~8k; p50 148-622 ms by lateness). See `loaders.listkeys`.

Revision ID: 0029
Revises: 0028
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SETS = ("catset", "sellerset")


def upgrade() -> None:
    for name in _SETS:
        op.execute(f"DROP INDEX IF EXISTS ix_order_keys_{name}")
        op.execute(f"CREATE INDEX ix_order_keys_{name} ON order_keys ({name}_id, purchased_at)")


def downgrade() -> None:
    for name in _SETS:
        op.execute(f"DROP INDEX IF EXISTS ix_order_keys_{name}")
        op.execute(f"CREATE INDEX ix_order_keys_{name} ON order_keys ({name}_id)")
