"""Alembic environment: always run against the connection Earwitness hands in."""

from alembic import context

from earwitness.web.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
