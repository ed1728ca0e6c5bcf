"""Segments under one category without grouping every repeat customer's orders:
`cust_repeat_cat`, one row per (repeat customer, category) over their sales orders with
an item of it (first and last day, how many, those items' sales). See
`loaders.customerfacts`.

Written out (tests/test_customer_facts.py holds it equal to `loaders.customerfacts.DDL`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed).

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TABLE cust_repeat_cat (person text NOT NULL, category text NOT NULL, "
               "first_day date NOT NULL, last_day date NOT NULL, n_orders integer NOT NULL, "
               "sales numeric NOT NULL)")
    op.execute("CREATE INDEX ix_cust_repeat_cat_category ON cust_repeat_cat "
               "(category, first_day)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS cust_repeat_cat")
