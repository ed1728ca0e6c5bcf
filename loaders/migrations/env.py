"""Alembic environment: runs on the connection `loaders.migrate` hands it."""

from alembic import context

import loaders.accounts  # noqa: F401 - registers the account tables on Base
from loaders.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
