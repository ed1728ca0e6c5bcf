"""The seller filter's derived tables: `agg_seller_order`, one row per order x seller x
category, stored and indexed by (seller_id, day) (see `loaders.rollups` for why), and
`dim_seller`, the seller ids (and states) the filter is checked against.

Written out like 0002 (tests/test_rollup_schema.py holds it equal to
`loaders.rollups.seller_ddl()`); filled by the next load or `pulse db refresh` (a release
runs it: the rollup code's fingerprint changed). The reader role reads it through the
default privileges `pulse db grant-reader` set, like every table created after it ran.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TABLE dim_seller (seller_id text PRIMARY KEY, state text)")
    op.execute(
        "CREATE TABLE agg_seller_order (seller_id text NOT NULL, day date NOT NULL, "
        "order_id text NOT NULL, category text NOT NULL, state text NOT NULL, "
        "kind char(1) NOT NULL, customer_key integer, first_day date, "
        "payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, "
        "delivered boolean NOT NULL, on_time boolean NOT NULL, "
        "deliv_seconds numeric NOT NULL, pay_types text[] NOT NULL, "
        "pay_rows bigint[] NOT NULL, pay_values numeric[] NOT NULL, "
        "pay_installments bigint[] NOT NULL, sales numeric NOT NULL, "
        "freight numeric NOT NULL, items bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_seller_order_seller ON agg_seller_order (seller_id, day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_seller_order")
    op.execute("DROP TABLE IF EXISTS dim_seller")
