"""Customers under a category or seller filter from sums, not items: `cust_day_cat` (the
day sums of `cust_day` per order category set too), `cust_day_catpart` (one-order
customers' sales per category, for the category sets of several categories),
`cust_day_seller` (the day sums per seller), `cust_multiseller` (the orders with several
sellers, whose double counts a filter on several sellers takes back), the month twins of
the day-sums tables (`cust_month`, `cust_month_cat`, `cust_month_seller`) and partial
indexes of `cust_item` over repeat customers' rows, the only ones such a filter still
reads one by one; see `loaders.customerfacts` for why.

Written out (tests/test_customer_facts.py holds it equal to `loaders.customerfacts.DDL`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed).

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    late = ", ".join(f"{m}_{i} integer NOT NULL" for i in range(7)
                     for m in ("late_n", "late_sum", "late_rn", "late_low"))
    op.execute("CREATE INDEX ix_cust_item_repeat ON cust_item (category, day) "
               "WHERE n_sales > 1")
    op.execute(
        "CREATE TABLE cust_day_cat (catset_id integer NOT NULL, day date NOT NULL, "
        "state text NOT NULL, pay_types text[] NOT NULL, firsts integer NOT NULL, "
        f"singles integer NOT NULL, single_sales numeric NOT NULL, {late})"
    )
    op.execute("CREATE INDEX ix_cust_day_cat_catset ON cust_day_cat (catset_id, day)")
    op.execute(
        "CREATE TABLE cust_day_catpart (catset_id integer NOT NULL, category text NOT NULL, "
        "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
        "single_sales numeric NOT NULL)"
    )
    op.execute("CREATE INDEX ix_cust_day_catpart_catset ON cust_day_catpart "
               "(catset_id, day)")
    op.execute("CREATE INDEX ix_cust_item_repeat_seller ON cust_item (seller_id, day) "
               "WHERE n_sales > 1")
    op.execute(
        "CREATE TABLE cust_day_seller (seller_id text NOT NULL, day date NOT NULL, "
        "state text NOT NULL, pay_types text[] NOT NULL, firsts integer NOT NULL, "
        f"singles integer NOT NULL, single_sales numeric NOT NULL, {late})"
    )
    op.execute("CREATE INDEX ix_cust_day_seller_seller ON cust_day_seller (seller_id, day)")
    op.execute(
        "CREATE TABLE cust_multiseller (order_id text NOT NULL, sellers text[] NOT NULL, "
        "seq integer NOT NULL, n_sales integer NOT NULL, day date NOT NULL, "
        "state text NOT NULL, pay_types text[] NOT NULL, days_late integer, "
        "review_sum bigint NOT NULL, review_n bigint NOT NULL, review_low bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_cust_multiseller_sellers ON cust_multiseller USING gin "
               "(sellers)")
    sums = ("firsts integer NOT NULL, singles integer NOT NULL, "
            f"single_sales numeric NOT NULL, {late}")
    cells = "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL"
    op.execute(f"CREATE TABLE cust_month ({cells}, {sums})")
    op.execute("CREATE INDEX ix_cust_month_day ON cust_month (day)")
    op.execute(f"CREATE TABLE cust_month_cat (catset_id integer NOT NULL, {cells}, {sums})")
    op.execute("CREATE INDEX ix_cust_month_cat_catset ON cust_month_cat (catset_id, day)")
    op.execute(f"CREATE TABLE cust_month_seller (seller_id text NOT NULL, {cells}, {sums})")
    op.execute("CREATE INDEX ix_cust_month_seller_seller ON cust_month_seller (seller_id, day)")


def downgrade() -> None:
    for table in ("cust_month_seller", "cust_month_cat", "cust_month", "cust_multiseller"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP TABLE IF EXISTS cust_day_seller")
    op.execute("DROP INDEX IF EXISTS ix_cust_item_repeat_seller")
    op.execute("DROP TABLE IF EXISTS cust_day_catpart")
    op.execute("DROP TABLE IF EXISTS cust_day_cat")
    op.execute("DROP INDEX IF EXISTS ix_cust_item_repeat")
