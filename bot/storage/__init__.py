"""Storage: SQLAlchemy 2 tables, migrations and the repository the core talks to."""

from bot.storage.db import Database
from bot.storage.repository import Repository

__all__ = ["Database", "Repository"]
