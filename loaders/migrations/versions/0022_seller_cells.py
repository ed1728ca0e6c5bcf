"""The seller-filtered dashboard from cells: `agg_seller_pair_*` gain the order measures a
dashboard shows (payments, delivery, unavailable orders), `agg_seller_payment_*` hold the
pairs' payments per type, and `agg_seller_multi` the (seller, order) rows of orders with
items of several sellers, which a view of several sellers takes back once each. See
`loaders.rollups` and `dashapp.queries.sellerfilter` for why.

Written out from `loaders.rollups` (tests/test_rollup_schema.py holds the tables, columns
and indexes equal); filled by the next load or `pulse db refresh` (a release runs it: the
rollup code's fingerprint changed).

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE agg_seller_pair_lite_d "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_lite_m "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_state_d "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_state_m "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_cat_d "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_cat_m "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_pay_d "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_pay_m "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_statepay_d "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_statepay_m "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_full_d "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE agg_seller_pair_full_m "
               "ADD COLUMN payments numeric NOT NULL DEFAULT 0, ADD COLUMN deliv_n bigint NOT NULL DEFAULT 0, ADD COLUMN ontime_n bigint NOT NULL DEFAULT 0, ADD COLUMN deliv_seconds numeric NOT NULL DEFAULT 0, ADD COLUMN unavailable bigint NOT NULL DEFAULT 0")
    op.execute(
        "CREATE TABLE agg_seller_payment_lite_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute('CREATE INDEX ix_agg_seller_payment_lite_d_day ON agg_seller_payment_lite_d (day)')
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_lite_d_seller ON agg_seller_payment_lite_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_payment_lite_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute('CREATE INDEX ix_agg_seller_payment_lite_m_day ON agg_seller_payment_lite_m (day)')
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_lite_m_seller ON agg_seller_payment_lite_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_payment_state_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_state_d_state ON agg_seller_payment_state_d (state, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_state_d_seller ON agg_seller_payment_state_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_payment_state_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_state_m_state ON agg_seller_payment_state_m (state, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_state_m_seller ON agg_seller_payment_state_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_payment_full_d (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_full_d_catset_id_state_payset_id ON agg_seller_payment_full_d (catset_id, state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_full_d_seller ON agg_seller_payment_full_d (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_payment_full_m (day date NOT NULL, seller_id text COLLATE \"C\" NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, payment_type text NOT NULL, n_rows bigint NOT NULL, n_orders bigint NOT NULL, value numeric NOT NULL, installments bigint NOT NULL)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_full_m_catset_id_state_payset_id ON agg_seller_payment_full_m (catset_id, state, payset_id, day)"
    )
    op.execute(
        "CREATE INDEX ix_agg_seller_payment_full_m_seller ON agg_seller_payment_full_m (seller_id, day)"
    )
    op.execute(
        "CREATE TABLE agg_seller_multi (seller_id text COLLATE \"C\" NOT NULL, day date NOT NULL, order_id text NOT NULL, state text NOT NULL, catset_id integer NOT NULL, payset_id integer NOT NULL, kind char(1) NOT NULL, payments numeric NOT NULL, review_sum bigint NOT NULL, review_n bigint NOT NULL, deliv_n integer NOT NULL, ontime_n integer NOT NULL, deliv_seconds numeric NOT NULL, pay_types text[] NOT NULL, pay_rows bigint[] NOT NULL, pay_values numeric[] NOT NULL, pay_installments bigint[] NOT NULL)"
    )
    op.execute('CREATE INDEX ix_agg_seller_multi_seller ON agg_seller_multi (seller_id, day)')


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS agg_seller_multi")
    op.execute("DROP TABLE IF EXISTS agg_seller_payment_full_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_payment_full_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_payment_state_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_payment_state_d")
    op.execute("DROP TABLE IF EXISTS agg_seller_payment_lite_m")
    op.execute("DROP TABLE IF EXISTS agg_seller_payment_lite_d")
    op.execute("ALTER TABLE agg_seller_pair_lite_d "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_lite_m "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_state_d "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_state_m "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_cat_d "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_cat_m "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_pay_d "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_pay_m "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_statepay_d "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_statepay_m "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_full_d "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
    op.execute("ALTER TABLE agg_seller_pair_full_m "
               "DROP COLUMN IF EXISTS payments, DROP COLUMN IF EXISTS deliv_n, DROP COLUMN IF EXISTS ontime_n, DROP COLUMN IF EXISTS deliv_seconds, DROP COLUMN IF EXISTS unavailable")
