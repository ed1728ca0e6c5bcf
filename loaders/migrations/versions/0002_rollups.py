"""Rollup tables the query layer reads (see loaders/rollups.py for why these shapes).

The statements are written out (generated once from `loaders.rollups.ddl()`), so
this migration stays what it was when later code changes; a test checks that
the live tables still match what `loaders.rollups` writes into them.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE dim_catset (catset_id integer PRIMARY KEY, categories text[] NOT NULL)"
    )
    op.execute("CREATE INDEX ix_dim_catset_categories ON dim_catset USING gin (categories)")
    op.execute("CREATE TABLE dim_payset (payset_id integer PRIMARY KEY, types text[] NOT NULL)")
    op.execute("CREATE INDEX ix_dim_payset_types ON dim_payset USING gin (types)")
    op.execute(
        "CREATE TABLE agg_repeat (customer_key integer NOT NULL, first_day date NOT NULL, day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_repeat_day ON agg_repeat (day)")
    op.execute(
        "CREATE TABLE agg_order_full_d (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_full_d_day ON agg_order_full_d (day)")
    op.execute(
        "CREATE TABLE agg_order_full_m (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_full_m_day ON agg_order_full_m (day)")
    op.execute(
        "CREATE TABLE agg_order_lite_d (day date NOT NULL, state text NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_lite_d_day ON agg_order_lite_d (day)")
    op.execute(
        "CREATE TABLE agg_order_lite_m (day date NOT NULL, state text NOT NULL, kind char(1) NOT NULL, n_orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n bigint NOT NULL, ontime_n bigint NOT NULL, deliv_seconds numeric NOT NULL, single_customers bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_order_lite_m_day ON agg_order_lite_m (day)")
    op.execute(
        "CREATE TABLE agg_item_full_d (day date NOT NULL, state text NOT NULL, category text NOT NULL, payset_id integer NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, n_orders bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_item_full_d_day ON agg_item_full_d (day)")
    op.execute(
        "CREATE TABLE agg_item_full_m (day date NOT NULL, state text NOT NULL, category text NOT NULL, payset_id integer NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, n_orders bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_item_full_m_day ON agg_item_full_m (day)")
    op.execute(
        "CREATE TABLE agg_item_lite_d (day date NOT NULL, state text NOT NULL, category text NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, n_orders bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_item_lite_d_day ON agg_item_lite_d (day)")
    op.execute(
        "CREATE TABLE agg_item_lite_m (day date NOT NULL, state text NOT NULL, category text NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, n_orders bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_item_lite_m_day ON agg_item_lite_m (day)")
    op.execute(
        "CREATE TABLE agg_payment_full_d (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_payment_full_d_day ON agg_payment_full_d (day)")
    op.execute(
        "CREATE TABLE agg_payment_full_m (day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_payment_full_m_day ON agg_payment_full_m (day)")
    op.execute(
        "CREATE TABLE agg_payment_lite_d (day date NOT NULL, state text NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_payment_lite_d_day ON agg_payment_lite_d (day)")
    op.execute(
        "CREATE TABLE agg_payment_lite_m (day date NOT NULL, state text NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_payment_lite_m_day ON agg_payment_lite_m (day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_payment_lite_m")
    op.execute("DROP TABLE IF EXISTS agg_payment_lite_d")
    op.execute("DROP TABLE IF EXISTS agg_payment_full_m")
    op.execute("DROP TABLE IF EXISTS agg_payment_full_d")
    op.execute("DROP TABLE IF EXISTS agg_item_lite_m")
    op.execute("DROP TABLE IF EXISTS agg_item_lite_d")
    op.execute("DROP TABLE IF EXISTS agg_item_full_m")
    op.execute("DROP TABLE IF EXISTS agg_item_full_d")
    op.execute("DROP TABLE IF EXISTS agg_order_lite_m")
    op.execute("DROP TABLE IF EXISTS agg_order_lite_d")
    op.execute("DROP TABLE IF EXISTS agg_order_full_m")
    op.execute("DROP TABLE IF EXISTS agg_order_full_d")
    op.execute("DROP TABLE IF EXISTS agg_repeat")
    op.execute("DROP TABLE IF EXISTS dim_payset")
    op.execute("DROP TABLE IF EXISTS dim_catset")
