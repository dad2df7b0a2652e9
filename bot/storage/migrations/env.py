"""Alembic environment: run on the connection that `bot.storage.db.Database.upgrade` hands over."""

from alembic import context

from bot.storage.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
