"""The order list's keys: `order_keys`, one row per order with what the list filters and
sorts by, each sort key indexed with the order id (see `loaders.rollups`: a page sorted
by sales walks an index instead of summing every order of the list first).

Written out (tests/test_rollup_schema.py holds it equal to
`loaders.rollups.order_keys_ddl()`); filled by the next load or `pulse db refresh` (a
release runs it: the rollup code's fingerprint changed).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE order_keys (order_id text NOT NULL, purchased_at timestamp NOT NULL, "
        "state text NOT NULL, kind char(1) NOT NULL, catset_id integer NOT NULL, "
        "payset_id integer NOT NULL, sales numeric NOT NULL, payments numeric NOT NULL, "
        "review numeric, days_late integer)"
    )
    for name, columns in (("sales", "sales, order_id"), ("payments", "payments, order_id"),
                          ("review", "review, order_id"),
                          ("review_desc", "review DESC NULLS LAST, order_id DESC"),
                          ("days_late", "days_late, order_id"),
                          ("days_late_desc", "days_late DESC NULLS LAST, order_id DESC")):
        op.execute(f"CREATE INDEX ix_order_keys_{name} ON order_keys ({columns})")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS order_keys")
