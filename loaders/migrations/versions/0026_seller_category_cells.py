"""Customers under a seller filter with a category filter from cells, not from their
item rows: `cust_day_sellcat` and `cust_month_sellcat` (the day sums per seller and
category) and `cust_multipair` (the orders of several (seller, category) rows, taken
back k - 1 times). See `loaders.customerfacts`.

Written out (tests/test_customer_facts.py holds it equal to `loaders.customerfacts.DDL`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed).

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    late = ", ".join(f"{m}_{i} integer NOT NULL" for i in range(7)
                     for m in ("late_n", "late_sum", "late_rn", "late_low"))
    for table in ("cust_day_sellcat", "cust_month_sellcat"):
        op.execute(
            f"CREATE TABLE {table} (seller_id text NOT NULL, category text NOT NULL, "
            "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
            f"firsts integer NOT NULL, singles integer NOT NULL, "
            f"single_sales numeric NOT NULL, {late})"
        )
        op.execute(f"CREATE INDEX ix_{table}_pair ON {table} (seller_id, category, day)")
    op.execute(
        "CREATE TABLE cust_multipair (order_id text NOT NULL, sellers text[] NOT NULL, "
        "categories text[] NOT NULL, seq integer NOT NULL, n_sales integer NOT NULL, "
        "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
        "days_late integer, review_sum bigint NOT NULL, review_n bigint NOT NULL, "
        "review_low bigint NOT NULL)"
    )
    op.execute("CREATE INDEX ix_cust_multipair_sellers ON cust_multipair USING gin (sellers)")

def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS cust_multipair")
    op.execute("DROP TABLE IF EXISTS cust_month_sellcat")
    op.execute("DROP TABLE IF EXISTS cust_day_sellcat")
