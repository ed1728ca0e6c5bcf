"""Item sums by category and payment-type set, without the state (`agg_item_pay_d`,
`agg_item_pay_m`): the category breakdown under a payment filter alone reads them instead
of the full level. See `loaders.rollups.ITEM`.

Filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed); tests/test_rollup_schema.py holds it equal to the code's.

Revision ID: 0032
Revises: 0031
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for grain in ("d", "m"):
        table = f"agg_item_pay_{grain}"
        op.execute(f"CREATE TABLE {table} (day date NOT NULL, category text NOT NULL, "
                   "payset_id integer NOT NULL, sales numeric NOT NULL, "
                   "freight numeric NOT NULL, items bigint NOT NULL, n_orders bigint NOT NULL)")
        op.execute(f"CREATE INDEX ix_{table}_day ON {table} (day)")
        op.execute(f"CREATE INDEX ix_{table}_category ON {table} (category, day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_item_pay_m")
    op.execute("DROP TABLE IF EXISTS agg_item_pay_d")
