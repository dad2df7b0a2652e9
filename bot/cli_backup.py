"""`leerkring backup` and `leerkring restore`: the whole database in one file that moves between SQLite and
PostgreSQL, and back; the index is rebuilt from the restored database at the next start."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from bot.cli_support import fail, settings_of
from bot.config import Settings
from bot.errors import LeerkringError
from bot.messages import t
from bot.storage import Database


def _database(ctx: click.Context) -> tuple[Settings, Database]:
    settings = settings_of(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings, Database(settings.resolved_database_url())


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup(ctx: click.Context, target: Path) -> None:
    """Write every lesson, person, question and vector to TARGET (.tar.gz), safe while the bot runs."""
    from bot.storage.backup import write_backup

    settings, database = _database(ctx)
    try:
        database.upgrade()
        manifests = sorted(settings.index_dir.glob("dense-*.json")) if settings.index_dir.exists() else []
        with tqdm(desc="backup", unit="rij", file=sys.stderr, leave=False) as bar:
            about = write_backup(database, target, index_manifests=manifests, progress=bar.update)
    except LeerkringError as exc:
        fail(exc, settings.default_language)
    finally:
        database.dispose()
    tables = about["tables"]
    click.echo(t("backup.done", settings.default_language, path=target, lessons=tables.get("lessons", 0),
                 rows=sum(tables.values()), tables=len(tables)))


@click.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the lessons already in the database.")
@click.pass_context
def restore(ctx: click.Context, source: Path, replace: bool) -> None:
    """Load a backup made by `leerkring backup` (stop the bot first). The saved index is dropped and rebuilt
    from the restored database at the next start."""
    from bot.storage.backup import read_about, restore_backup

    settings, database = _database(ctx)
    try:
        total = sum(read_about(source).get("tables", {}).values())
        with tqdm(total=total, desc="restore", unit="rij", file=sys.stderr, leave=False) as bar:
            restored = restore_backup(database, source, replace=replace, progress=bar.update)
    except LeerkringError as exc:
        fail(exc, settings.default_language)
    finally:
        database.dispose()
    if settings.index_dir.exists():  # an index of the database that was replaced would answer from it
        for stale in [*settings.index_dir.glob("dense-*"), *settings.index_dir.glob("text-*")]:
            stale.unlink()
    click.echo(t("backup.restored", settings.default_language, path=source, lessons=restored.get("lessons", 0),
                 rows=sum(restored.values())))
