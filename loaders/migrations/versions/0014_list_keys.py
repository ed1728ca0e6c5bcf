"""The order list's other keys (see `loaders.listkeys`): each order's seller set on
`order_keys`, `dim_sellerset`, and `order_part_keys` (an order's sales per category and
per seller), with the indexes that let a filtered page find its rows without reading
every order of the list.

Written out (tests/test_rollup_schema.py holds it equal to `loaders.rollups.ddl()`);
filled by the next load or `pulse db refresh` (a release runs it: the rollup code's
fingerprint changed). Until then `order_keys` rows carry the empty seller set's id 0,
which no set has: a seller-filtered page is empty rather than wrong for that moment.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE order_keys ADD COLUMN sellerset_id integer NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE order_keys ALTER COLUMN sellerset_id DROP DEFAULT")
    for name, columns in (("purchased_at", "purchased_at, order_id"),
                          ("catset", "catset_id"), ("sellerset", "sellerset_id")):
        op.execute(f"CREATE INDEX ix_order_keys_{name} ON order_keys ({columns})")
    op.execute("CREATE TABLE dim_sellerset (sellerset_id integer PRIMARY KEY, "
               "sellers text[] NOT NULL, n_orders integer NOT NULL)")
    op.execute("CREATE INDEX ix_dim_sellerset_sellers ON dim_sellerset USING gin (sellers)")
    op.execute(
        "CREATE TABLE order_part_keys (dim char(1) NOT NULL, value text NOT NULL, "
        "order_id text NOT NULL, sales numeric NOT NULL, purchased_at timestamp NOT NULL, "
        "state text NOT NULL, kind char(1) NOT NULL, catset_id integer NOT NULL, "
        "payset_id integer NOT NULL, sellerset_id integer NOT NULL)")
    op.execute("CREATE INDEX ix_order_part_keys_sales ON order_part_keys "
               "(dim, value, sales, order_id)")
    op.execute("CREATE INDEX ix_order_part_keys_day ON order_part_keys "
               "(dim, value, purchased_at)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS order_part_keys")
    op.execute("DROP TABLE IF EXISTS dim_sellerset")
    for name in ("purchased_at", "catset", "sellerset"):
        op.execute(f"DROP INDEX IF EXISTS ix_order_keys_{name}")
    op.execute("ALTER TABLE order_keys DROP COLUMN IF EXISTS sellerset_id")
