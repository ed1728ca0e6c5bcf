"""`derived_keys`: the next customer key to give, so that an append (`pulse load --append`,
loaders/increment.py) can number its new customers after every key the derived tables
hold, without reading them all. Filled by the next load or `pulse db refresh` (a release
runs it: the rollup code's fingerprint changed).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TABLE derived_keys (next_customer_key integer NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS derived_keys")
