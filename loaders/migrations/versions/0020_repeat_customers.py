"""Segments without grouping most repeat customers: `cust_order.last_day` (the customer's
last sales order's day, on each of their orders) and `cust_repeat` (one row per customer
with several sales orders: first and last day, number of sales orders, their sales). A
window holding all of a repeat customer's orders takes that customer from `cust_repeat`
whole; only those with orders on both sides of an edge are still grouped from their
orders, found through partial indexes on `first_day` and `last_day`. See
`loaders.customerfacts`.

Written out (tests/test_customer_facts.py holds it equal to `loaders.customerfacts.DDL`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed).

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE cust_order ADD COLUMN last_day date")
    op.execute("CREATE INDEX ix_cust_order_repeat_first ON cust_order (first_day) "
               "WHERE n_sales > 1")
    op.execute("CREATE INDEX ix_cust_order_repeat_last ON cust_order (last_day) "
               "WHERE n_sales > 1")
    op.execute("CREATE TABLE cust_repeat (person text NOT NULL, first_day date NOT NULL, "
               "last_day date NOT NULL, n_sales integer NOT NULL, sales numeric NOT NULL)")
    op.execute("CREATE INDEX ix_cust_repeat_first ON cust_repeat (first_day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS cust_repeat")
    op.execute("DROP INDEX IF EXISTS ix_cust_order_repeat_last")
    op.execute("DROP INDEX IF EXISTS ix_cust_order_repeat_first")
    op.execute("ALTER TABLE cust_order DROP COLUMN IF EXISTS last_day")
