"""Engine, sessions and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigurationError


class Database:
    """One engine and its session factory. Created by the bootstrap, never at import time."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, object] = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(resources.files("bot.storage") / "migrations"))
        return config

    def upgrade(self) -> tuple[str | None, str]:
        """Apply all migrations (idempotent); (the revision before, the revision now). A database that a
        newer Leerkring has upgraded is refused: this version cannot know what its newer schema means."""
        config = self._alembic_config()
        script = ScriptDirectory.from_config(config)
        head = str(script.get_current_head())
        before = self.current_revision()
        if before is not None and before not in {revision.revision for revision in script.walk_revisions()}:
            raise ConfigurationError("config.db_newer", current=before, head=head)
        if before == head:
            return before, head
        with self.engine.begin() as connection:
            if self.is_sqlite:
                # sqlite3 runs DDL outside a transaction unless one is open: open it, so that a crash during
                # a migration leaves no table without its version stamp (and two starting processes take turns).
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return before, head

    def current_revision(self) -> str | None:
        """The migration the database is at; None for a database Leerkring has not created yet."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def needs_upgrade(self) -> bool:
        script = ScriptDirectory.from_config(self._alembic_config())
        return self.current_revision() != script.get_current_head()

    def scrub(self) -> None:
        """After an erasure: no copy of erased content stays in the database's files. SQLite zeroes freed
        space as it goes (secure_delete); here the write-ahead log, which still holds earlier versions of
        the pages, is folded into the database and emptied. PostgreSQL's dead rows are vacuumed away."""
        if self.is_sqlite:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(
                "VACUUM lessons, embeddings, questions, question_vectors, feedback, people, introductions, checkbacks, "
                "notices")

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted and overwritten content is zeroed, not left in free pages
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
