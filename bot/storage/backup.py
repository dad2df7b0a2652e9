"""Backups that move between SQLite and PostgreSQL: every table as JSON lines in one gzipped tar, with the
schema revision, the counts and the saved index's manifest. The index itself is not in the backup: it is
rebuilt from the database (whose stored vectors make that fast) when it is missing.

Writing goes to a temporary file renamed at the end, so a crash never leaves half a backup under the
name; restoring runs in one transaction, so a failure leaves the database as it was.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, LargeBinary, Table, delete, func, insert, select, text

from bot.errors import ConfigurationError, InputError
from bot.storage.db import Database
from bot.storage.tables import Base

FORMAT = 1
BATCH = 1000


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)  # parents before children


def _plain(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row[column.name]
        if value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64encode(value).decode("ascii")
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[column.name] = value
    return out


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in row:
            continue  # a column newer than the backup: its default applies
        value = row[column.name]
        if value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64decode(value)
        elif value is not None and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
        out[column.name] = value
    return out


def _rows(database: Database, table: Table) -> Iterator[dict[str, Any]]:
    key = list(table.primary_key.columns)
    with database.engine.connect() as connection:
        for row in connection.execution_options(stream_results=True, yield_per=BATCH).execute(
                select(table).order_by(*key)).mappings():
            yield _plain(table, dict(row))


def _head(database: Database) -> str:
    return str(ScriptDirectory.from_config(database._alembic_config()).get_current_head())


def write_backup(database: Database, target: Path, *, index_manifests: list[Path] | None = None,
                 progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write every table of `database` to `target` (a .tar.gz). Returns what the backup holds."""
    counts: dict[str, int] = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".leerkring-backup-", dir=target.parent)
    os.close(handle)
    try:
        with tarfile.open(temporary, "w:gz") as archive:
            for table in _tables():
                with tempfile.TemporaryFile() as part:
                    count = 0
                    for row in _rows(database, table):
                        part.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
                        count += 1
                        if progress:
                            progress(1)
                    counts[table.name] = count
                    info = tarfile.TarInfo(f"tables/{table.name}.jsonl")
                    info.size = part.tell()
                    part.seek(0)
                    archive.addfile(info, part)
            for manifest in index_manifests or []:
                _add_bytes(archive, f"index/{manifest.name}", manifest.read_bytes())
            about = {"format": FORMAT, "schema": database.current_revision(), "created_at":
                     datetime.now(UTC).isoformat(), "tables": counts, "database": database.engine.dialect.name}
            _add_bytes(archive, "backup.json", json.dumps(about, indent=2).encode("utf-8"))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return about


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def read_about(source: Path) -> dict[str, Any]:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile("backup.json")
            if member is None:
                raise KeyError("backup.json")
            about: dict[str, Any] = json.loads(member.read())
            return about
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise InputError("backup.unreadable", path=str(source), reason=str(exc)) from exc


def restore_backup(database: Database, source: Path, *, replace: bool = False,
                   progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Load a backup into `database` (migrated to this version's schema first). An empty database is
    filled; one with lessons is replaced only when `replace` is set. Returns the rows restored per table."""
    about = read_about(source)
    script = ScriptDirectory.from_config(database._alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    if about.get("format") != FORMAT or (about.get("schema") and about["schema"] not in known):
        raise ConfigurationError("backup.newer", schema=about.get("schema"), head=_head(database))
    database.upgrade()
    tables = _tables()
    restored: dict[str, int] = {}
    with tarfile.open(source, "r:gz") as archive, database.engine.begin() as connection:
        present = connection.scalar(select(func.count()).select_from(Base.metadata.tables["lessons"])) or 0
        if present and not replace:
            raise InputError("backup.not_empty", lessons=present)
        for table in reversed(tables):
            connection.execute(delete(table))
        for table in tables:
            member = archive.extractfile(f"tables/{table.name}.jsonl")
            if member is None:
                continue
            batch: list[dict[str, Any]] = []
            count = 0
            for line in member:
                batch.append(_typed(table, json.loads(line)))
                if len(batch) >= BATCH:
                    connection.execute(insert(table), batch)
                    count += len(batch)
                    batch = []
                    if progress:
                        progress(BATCH)
            if batch:
                connection.execute(insert(table), batch)
                count += len(batch)
                if progress:
                    progress(len(batch))
            restored[table.name] = count
        if connection.dialect.name == "postgresql":  # the next id after the highest restored one
            for table in tables:
                for column in table.primary_key.columns:
                    if column.autoincrement is True or (column.autoincrement == "auto"
                                                        and column.type.python_type is int):
                        connection.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                            f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"))
    return restored
