"""The seller breakdown's derived tables: `agg_seller_pair_*` (one row per seller x
cell of its (seller, order) pairs, at six levels and two grains), `agg_seller_item_*` (a
seller's items per category, for category filters) and `dim_seller_catset` (the sets of a
seller's categories in an order). See `loaders.rollups` for why.

Written out from `loaders.rollups.seller_facts_ddl()` (tests/test_rollup_schema.py holds
them equal); filled by the next load or `pulse db refresh` (a release runs it: the rollup
code's fingerprint changed). The reader role reads them through the default privileges
`pulse db grant-reader` set.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE dim_seller_catset (catset_id integer PRIMARY KEY, categories text[] NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_dim_seller_catset_categories ON dim_seller_catset USING gin (categories)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_lite_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_seller_pair_lite_d_day ON agg_seller_pair_lite_d (day)")
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_lite_d_seller ON agg_seller_pair_lite_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_lite_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_agg_seller_pair_lite_m_day ON agg_seller_pair_lite_m (day)")
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_lite_m_seller ON agg_seller_pair_lite_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_state_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_state_d_state ON agg_seller_pair_state_d (state, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_state_d_seller ON agg_seller_pair_state_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_state_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_state_m_state ON agg_seller_pair_state_m (state, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_state_m_seller ON agg_seller_pair_state_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_cat_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, catset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_cat_d_catset_id ON agg_seller_pair_cat_d (catset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_cat_d_seller ON agg_seller_pair_cat_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_cat_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, catset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_cat_m_catset_id ON agg_seller_pair_cat_m (catset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_cat_m_seller ON agg_seller_pair_cat_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_pay_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, payset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_pay_d_payset_id ON agg_seller_pair_pay_d (payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_pay_d_seller ON agg_seller_pair_pay_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_pay_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, payset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_pay_m_payset_id ON agg_seller_pair_pay_m (payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_pay_m_seller ON agg_seller_pair_pay_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_statepay_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, payset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_statepay_d_state_payset_id ON agg_seller_pair_statepay_d (state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_statepay_d_seller ON agg_seller_pair_statepay_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_statepay_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, payset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_statepay_m_state_payset_id ON agg_seller_pair_statepay_m (state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_statepay_m_seller ON agg_seller_pair_statepay_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_full_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_full_d_catset_id_state_payset_id ON agg_seller_pair_full_d (catset_id, state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_full_d_seller ON agg_seller_pair_full_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_pair_full_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, orders bigint NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, shipped bigint NOT NULL, late bigint NOT NULL, all_orders bigint NOT NULL, canceled bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_full_m_catset_id_state_payset_id ON agg_seller_pair_full_m (catset_id, state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_pair_full_m_seller ON agg_seller_pair_full_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_item_full_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, catset_id integer NOT NULL, category text NOT NULL, state text NOT NULL, payset_id integer NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_item_full_d_category_catset_id_state_payset_id ON agg_seller_item_full_d (category, catset_id, state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_item_full_d_seller ON agg_seller_item_full_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_item_full_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, catset_id integer NOT NULL, category text NOT NULL, state text NOT NULL, payset_id integer NOT NULL, sales numeric NOT NULL, freight numeric NOT NULL, items bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_item_full_m_category_catset_id_state_payset_id ON agg_seller_item_full_m (category, catset_id, state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_item_full_m_seller ON agg_seller_item_full_m (seller_id, day)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_seller_item_full_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_item_full_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_full_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_full_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_statepay_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_statepay_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_pay_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_pay_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_cat_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_cat_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_state_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_state_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_lite_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_pair_lite_d")
    op.execute("DROP TABLE IF EXISTS dim_seller_catset")
