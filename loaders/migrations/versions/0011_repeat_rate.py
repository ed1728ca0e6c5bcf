"""Repeat customers in a range (`repeat_rate`): `agg_repeat` rows carry how many sales
orders they hold (`n_orders`: orders of one day in one cell were one row), the day of the
second order counted from the row (`second_day`) and whether the row holds the customer's
second sales order in its state (`second_order`); `agg_repeat_by` the first two per
value; each order cell counts the single-state returning customers whose second order it
holds (`repeat_seconds`). See `loaders.rollups` for how a range counts them.

Written out (tests/test_rollup_schema.py holds it equal to `loaders.rollups.ddl()`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_TABLES = [f"agg_order_{level}_{grain}" for level in ("lite", "pay", "cat", "full")
                for grain in ("d", "m")]


def upgrade() -> None:
    op.execute("ALTER TABLE agg_repeat ADD COLUMN n_orders integer NOT NULL DEFAULT 1, "
               "ADD COLUMN second_day date, "
               "ADD COLUMN second_order boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE agg_repeat_by ADD COLUMN n_orders integer NOT NULL DEFAULT 1, "
               "ADD COLUMN second_day date")
    # several payment types are counted on agg_repeat now, as several categories are
    op.execute("CREATE INDEX ix_agg_repeat_payset ON agg_repeat (payset_id, day)")
    for table in ORDER_TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN repeat_seconds bigint NOT NULL DEFAULT 0")


def downgrade() -> None:
    for table in ORDER_TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN repeat_seconds")
    op.execute("DROP INDEX IF EXISTS ix_agg_repeat_payset")
    op.execute("ALTER TABLE agg_repeat_by DROP COLUMN n_orders, DROP COLUMN second_day")
    op.execute("ALTER TABLE agg_repeat DROP COLUMN n_orders, DROP COLUMN second_day, "
               "DROP COLUMN second_order")
