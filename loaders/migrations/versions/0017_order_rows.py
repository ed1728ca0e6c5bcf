"""`order_keys` holds a list row's every field, so the whole-list CSV reads one table
(see `loaders.rollups.ORDER_KEYS_COLUMNS`): the customer's unique id, the status, the
item count and freight, the review rows' sum and count, the delivery and estimated
dates.

Written out (tests/test_rollup_schema.py holds it equal to `loaders.rollups.ddl()`);
filled by the next load or `pulse db refresh`: the release phase runs it right after this
migration (the rollup code's fingerprint changed), before the new code serves. The
placeholders only keep the columns NOT NULL until then.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (column, type, placeholder until the refresh fills it)
COLUMNS = (
    ("customer_unique_id", "text NOT NULL", "''"), ("status", "text NOT NULL", "''"),
    ("items", "integer NOT NULL", "0"), ("freight", "numeric NOT NULL", "0"),
    ("review_sum", "bigint NOT NULL", "0"), ("review_n", "integer NOT NULL", "0"),
    ("delivered_at", "timestamp", None), ("estimated_at", "timestamp", None),
)


def upgrade() -> None:
    for name, kind, placeholder in COLUMNS:
        default = f" DEFAULT {placeholder}" if placeholder else ""
        op.execute(f"ALTER TABLE order_keys ADD COLUMN {name} {kind}{default}")
        if placeholder:
            op.execute(f"ALTER TABLE order_keys ALTER COLUMN {name} DROP DEFAULT")


def downgrade() -> None:
    for name, _kind, _placeholder in reversed(COLUMNS):
        op.execute(f"ALTER TABLE order_keys DROP COLUMN IF EXISTS {name}")
