"""Returning customers under one category or payment type over whole months:
`agg_repeat_by_month`, the month sums of `agg_repeat_by_day` (a range's whole months
come from it, its edges' days from the day cells), and a partial index finding a value's
customers seen in several states without reading its other rows. See
`loaders.rollups.REPEAT_BY_MONTH`.

Filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed); tests/test_rollup_schema.py holds it equal to the code's.

Revision ID: 0031
Revises: 0030
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TABLE agg_repeat_by_month (dim text NOT NULL, value text NOT NULL, "
               "day date NOT NULL, state text NOT NULL, firsts integer NOT NULL, "
               "seconds integer NOT NULL)")
    op.execute("CREATE INDEX ix_agg_repeat_by_month_value "
               "ON agg_repeat_by_month (dim, value, day)")
    op.execute("CREATE INDEX ix_agg_repeat_by_multi ON agg_repeat_by (dim, value, day) "
               "WHERE multi_state")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_agg_repeat_by_multi")
    op.execute("DROP TABLE IF EXISTS agg_repeat_by_month")
