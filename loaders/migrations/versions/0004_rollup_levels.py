"""Smaller rollup levels: orders without the category or the payment sets, items
without the state, payments without the payment sets; indexes on the selective
dimensions (see `loaders.rollups.Fact` for why).

Written out from `loaders.rollups.ddl()` like 0002. The new tables are empty
until the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE agg_order_pay_d (day date NOT NULL, state text NOT NULL, payset_id integer NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_pay_d_day ON agg_order_pay_d (day)")
    op.execute(
        "CREATE TABLE agg_order_pay_m (day date NOT NULL, state text NOT NULL, payset_id integer NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_pay_m_day ON agg_order_pay_m (day)")
    op.execute(
        "CREATE TABLE agg_order_cat_d (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_cat_d_day ON agg_order_cat_d (day)")
    op.execute("CREATE INDEX ix_agg_order_cat_d_catset_id ON agg_order_cat_d (catset_id, day)")
    op.execute(
        "CREATE TABLE agg_order_cat_m (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_cat_m_day ON agg_order_cat_m (day)")
    op.execute("CREATE INDEX ix_agg_order_cat_m_catset_id ON agg_order_cat_m (catset_id, day)")
    op.execute("CREATE INDEX ix_agg_order_full_d_catset_id ON agg_order_full_d (catset_id, day)")
    op.execute("CREATE INDEX ix_agg_order_full_m_catset_id ON agg_order_full_m (catset_id, day)")
    op.execute(
        "CREATE TABLE agg_item_nat_d (day date NOT NULL, category text NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, n_orders bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_item_nat_d_day ON agg_item_nat_d (day)")
    op.execute(
        "CREATE TABLE agg_item_nat_m (day date NOT NULL, category text NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, n_orders bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_item_nat_m_day ON agg_item_nat_m (day)")
    op.execute("CREATE INDEX ix_agg_item_lite_d_category ON agg_item_lite_d (category, day)")
    op.execute("CREATE INDEX ix_agg_item_lite_m_category ON agg_item_lite_m (category, day)")
    op.execute("CREATE INDEX ix_agg_item_full_d_category ON agg_item_full_d (category, day)")
    op.execute("CREATE INDEX ix_agg_item_full_m_category ON agg_item_full_m (category, day)")
    op.execute(
        "CREATE TABLE agg_payment_cat_d (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_payment_cat_d_day ON agg_payment_cat_d (day)")
    op.execute("CREATE INDEX ix_agg_payment_cat_d_catset_id ON agg_payment_cat_d (catset_id, day)")
    op.execute(
        "CREATE TABLE agg_payment_cat_m (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_payment_cat_m_day ON agg_payment_cat_m (day)")
    op.execute("CREATE INDEX ix_agg_payment_cat_m_catset_id ON agg_payment_cat_m (catset_id, day)")
    op.execute("CREATE INDEX ix_agg_payment_full_d_catset_id ON agg_payment_full_d (catset_id, day)")
    op.execute("CREATE INDEX ix_agg_payment_full_m_catset_id ON agg_payment_full_m (catset_id, day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_payment_cat_m")
    op.execute("DROP TABLE IF EXISTS agg_payment_cat_d")
    op.execute("DROP TABLE IF EXISTS agg_item_nat_m")
    op.execute("DROP TABLE IF EXISTS agg_item_nat_d")
    op.execute("DROP TABLE IF EXISTS agg_order_cat_m")
    op.execute("DROP TABLE IF EXISTS agg_order_cat_d")
    op.execute("DROP TABLE IF EXISTS agg_order_pay_m")
    op.execute("DROP TABLE IF EXISTS agg_order_pay_d")
    op.execute("DROP INDEX IF EXISTS ix_agg_order_full_d_catset_id")
    op.execute("DROP INDEX IF EXISTS ix_agg_order_full_m_catset_id")
    op.execute("DROP INDEX IF EXISTS ix_agg_item_lite_d_category")
    op.execute("DROP INDEX IF EXISTS ix_agg_item_lite_m_category")
    op.execute("DROP INDEX IF EXISTS ix_agg_item_full_d_category")
    op.execute("DROP INDEX IF EXISTS ix_agg_item_full_m_category")
    op.execute("DROP INDEX IF EXISTS ix_agg_payment_full_d_catset_id")
    op.execute("DROP INDEX IF EXISTS ix_agg_payment_full_m_catset_id")
