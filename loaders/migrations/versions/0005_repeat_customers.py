"""Returning customers without DISTINCT: each order cell counts the repeat customers whose
first order it holds (`repeat_firsts`), and `agg_repeat` knows each row's previous order in
the same state (see `loaders.rollups` for how a range counts them).

Written out like 0002. The new columns are filled by the next load or `pulse db refresh`
(a release runs it: the rollup code's fingerprint changed).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_TABLES = [f"agg_order_{level}_{grain}" for level in ("lite", "pay", "cat", "full")
                for grain in ("d", "m")]


def upgrade() -> None:
    op.execute("ALTER TABLE agg_repeat ADD COLUMN prev_state_day date, "
               "ADD COLUMN multi_state boolean NOT NULL DEFAULT false")
    op.execute("CREATE INDEX ix_agg_repeat_multi ON agg_repeat (day) WHERE multi_state")
    op.execute("CREATE INDEX ix_agg_repeat_cross ON agg_repeat USING gist "
               "(daterange(prev_state_day, day, '(]')) "
               "WHERE NOT multi_state AND prev_state_day IS NOT NULL")
    for table in ORDER_TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN repeat_firsts bigint NOT NULL DEFAULT 0")


def downgrade() -> None:
    for table in ORDER_TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN repeat_firsts")
    op.execute("DROP INDEX IF EXISTS ix_agg_repeat_cross")
    op.execute("DROP INDEX IF EXISTS ix_agg_repeat_multi")
    op.execute("ALTER TABLE agg_repeat DROP COLUMN prev_state_day, DROP COLUMN multi_state")
