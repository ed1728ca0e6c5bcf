"""Returning customers under one category or payment type: `agg_repeat_by`, the repeat
customers' rows per category and per payment type with their previous order of that
value (see `loaders.rollups`).

Written out like 0002; filled by the next load or `pulse db refresh`.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE agg_repeat_by (dim text NOT NULL, value text NOT NULL, "
        "customer_key integer NOT NULL, first_day date NOT NULL, day date NOT NULL, "
        "state text NOT NULL, prev_day date, multi_state boolean NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_repeat_by_value ON agg_repeat_by (dim, value, day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_repeat_by")
