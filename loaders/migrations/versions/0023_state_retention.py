"""Cohorts and segments under a state filter without grouping every repeat customer's
orders: `cust_order.multi_state` (whether the customer's sales orders lie in several
states), `cust_retention_state` (per cohort month, later month and state, the active
repeat customers of one state) and `cust_repeat.state` (a repeat customer's one state).
See `loaders.customerfacts`.

Written out (tests/test_customer_facts.py holds it equal to `loaders.customerfacts.DDL`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed).

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE cust_order ADD COLUMN multi_state boolean NOT NULL DEFAULT false")
    op.execute("CREATE TABLE cust_retention_state (cohort date NOT NULL, month date NOT NULL, "
               "state text NOT NULL, active integer NOT NULL)")
    op.execute("ALTER TABLE cust_repeat ADD COLUMN state text")
    op.execute("CREATE INDEX ix_cust_repeat_state ON cust_repeat (state, first_day)")
    op.execute("CREATE INDEX ix_cust_order_repeat_multi ON cust_order (day) "
               "WHERE n_sales > 1 AND multi_state")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_cust_order_repeat_multi")
    op.execute("DROP INDEX IF EXISTS ix_cust_repeat_state")
    op.execute("ALTER TABLE cust_repeat DROP COLUMN IF EXISTS state")
    op.execute("DROP TABLE IF EXISTS cust_retention_state")
    op.execute("ALTER TABLE cust_order DROP COLUMN IF EXISTS multi_state")
