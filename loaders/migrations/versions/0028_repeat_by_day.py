"""Returning customers under one category or payment type, counted from day cells when a
range starts before every returning customer's first order: `agg_repeat_by_day` (see
`loaders.rollups.REPEAT_BY_DAY`).

Filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed); tests/test_rollup_schema.py holds it equal to the code's.

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TABLE agg_repeat_by_day (dim text NOT NULL, value text NOT NULL, "
               "day date NOT NULL, state text NOT NULL, firsts integer NOT NULL, "
               "seconds integer NOT NULL)")
    op.execute("CREATE INDEX ix_agg_repeat_by_day_value ON agg_repeat_by_day (dim, value, day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_repeat_by_day")
