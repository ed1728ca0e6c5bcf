"""Customers, retention and lateness: `cust_order` (one row per sales order with its
customer's rank, count and first day), `cust_item` (item prices per order, category
and seller, with the order's facts) `cust_day` (their sums per day, state and
payment-type set) and `cust_retention` (repeat customers active per cohort and month); see `loaders.customerfacts` for why.

Written out (tests/test_customer_facts.py holds it equal to `loaders.customerfacts.DDL`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed). The reader role reads them through the default privileges
`pulse db grant-reader` set, like every table created after it ran.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE cust_order (order_id text NOT NULL, person text NOT NULL, "
        "seq integer NOT NULL, n_sales integer NOT NULL, first_day date NOT NULL, "
        "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
        "sales numeric NOT NULL, days_late integer, review_sum bigint NOT NULL, "
        "review_n bigint NOT NULL, review_low bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_cust_order_day ON cust_order (day)")
    op.execute("CREATE INDEX ix_cust_order_order ON cust_order (order_id)")
    op.execute("CREATE INDEX ix_cust_order_repeat ON cust_order (day) WHERE n_sales > 1")
    op.execute(
        "CREATE TABLE cust_item (order_id text NOT NULL, category text NOT NULL, "
        "seller_id text NOT NULL, sales numeric NOT NULL, person text NOT NULL, "
        "seq integer NOT NULL, n_sales integer NOT NULL, first_day date NOT NULL, "
        "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
        "days_late integer, review_sum bigint NOT NULL, review_n bigint NOT NULL, "
        "review_low bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_cust_item_category ON cust_item (category, day)")
    op.execute("CREATE INDEX ix_cust_item_seller ON cust_item (seller_id, day)")
    late = ", ".join(f"{m}_{i} integer NOT NULL" for i in range(7)
                     for m in ("late_n", "late_sum", "late_rn", "late_low"))
    op.execute(
        "CREATE TABLE cust_day (day date NOT NULL, state text NOT NULL, "
        "pay_types text[] NOT NULL, firsts integer NOT NULL, singles integer NOT NULL, "
        f"single_sales numeric NOT NULL, {late})"
    )
    op.execute("CREATE INDEX ix_cust_day_day ON cust_day (day)")
    op.execute("CREATE TABLE cust_retention (cohort date NOT NULL, month date NOT NULL, "
               "active integer NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS cust_retention")
    op.execute("DROP TABLE IF EXISTS cust_day")
    op.execute("DROP TABLE IF EXISTS cust_item")
    op.execute("DROP TABLE IF EXISTS cust_order")
