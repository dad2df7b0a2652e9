"""Backups as an operator makes them: `leerkring backup` and `leerkring restore` round-trip everything a user
would miss (lessons, people, open questions, vectors), between SQLite and PostgreSQL when the suite runs on
PostgreSQL; upgrades say so, and a database from a newer Leerkring is refused without being touched."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from bot.cli import cli
from bot.storage import Database

LESSONS = [
    {"id": "z1", "text": "Burgerbegroting in de wijk: 2.300 stemmers. Het is gelukt. #burgerbegroting",
     "municipality": "Zwolle", "contact": "Fenna Dijkstra"},
    {"id": "d1", "text": "Energiecoaches bij huishoudens met een laag inkomen. #energie", "municipality": "Den Haag"},
]


def env_for(url: str, tmp: Path) -> dict[str, str]:
    return {"LEERKRING_DATA_DIR": str(tmp / "data"), "LEERKRING_INDEX_DIR": str(tmp / "index"), "DATABASE_URL": url,
            "LEERKRING_EMBEDDER": "fake", "LEERKRING_LANGUAGE": "en"}


def run(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env)


def export(env: dict[str, str]) -> list[dict]:
    rows = [json.loads(line) for line in run(env, "export").stdout.splitlines()]
    return sorted(({k: v for k, v in row.items() if k != "id"} for row in rows), key=lambda r: r["text"])


def seeded(settings, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = env_for(settings.database_url, tmp_path / "origin")
    source = tmp_path / "lessons.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in LESSONS), encoding="utf-8")
    assert run(env, "import", str(source)).exit_code == 0
    assert "Ik heb nog geen les" in run(env, "ask", "Heeft iemand deelauto's in een nieuwbouwwijk geprobeerd?").output
    return env


def test_a_backup_restores_into_an_empty_database_with_everything_a_user_would_miss(settings, tmp_path):
    origin = seeded(settings, tmp_path)
    made = run(origin, "backup", str(tmp_path / "leerkring.tar.gz"))
    assert made.exit_code == 0 and "Backup written" in made.output and "2 lessons" in made.output
    with tarfile.open(tmp_path / "leerkring.tar.gz") as archive:
        assert {"backup.json", "tables/lessons.jsonl", "tables/embeddings.jsonl"} <= set(archive.getnames())
    elsewhere = env_for(f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}", tmp_path / "elsewhere")
    restored = run(elsewhere, "restore", str(tmp_path / "leerkring.tar.gz"))
    assert restored.exit_code == 0 and "Restored" in restored.output and "2 lessons" in restored.output
    assert export(elsewhere) == export(origin)
    answer = json.loads(run(elsewhere, "ask", "burgerbegroting wijk", "--json").stdout)
    assert answer["hits"][0]["municipality"] == "Zwolle"
    stats = json.loads(run(elsewhere, "stats", "--json").stdout)
    assert stats["lessons"] == 2 and stats["questions"]["asked"] >= 1  # the open question came along
    # and back again over what is there, only when asked to
    refused = run(origin, "restore", str(tmp_path / "leerkring.tar.gz"))
    assert refused.exit_code != 0 and "already holds 2 lessons; use --replace" in refused.output
    assert run(origin, "restore", "--replace", str(tmp_path / "leerkring.tar.gz")).exit_code == 0
    assert export(origin) == export(elsewhere)
    added = run(origin, "add", "Taalcafé in de bibliotheek. #taal", "--municipality", "Utrecht")
    assert added.exit_code == 0, added.output  # new ids continue after the restored ones
    assert len(export(origin)) == 3


def test_a_file_that_is_not_a_backup_is_refused_in_one_line(settings, tmp_path):
    env = seeded(settings, tmp_path)
    before = export(env)
    junk = tmp_path / "notes.tar.gz"
    junk.write_text("boodschappen: melk, brood", encoding="utf-8")
    result = run(env, "restore", "--replace", str(junk))
    assert result.exit_code != 0 and "is not a Leerkring backup" in result.output and "Traceback" not in result.output
    assert export(env) == before


def test_upgrades_say_so_and_a_database_from_a_newer_version_is_refused(settings, tmp_path):
    env = seeded(settings, tmp_path)
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    head = ScriptDirectory.from_config(Database(settings.database_url)._alembic_config()).get_current_head()
    result = run(env, "stats")
    assert result.exit_code == 2
    assert f"schema 0099, from a newer Leerkring; this version knows up to {head}" in result.output
    with engine.begin() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"
        assert connection.execute(text("SELECT COUNT(*) FROM lessons")).scalar() == 2
    engine.dispose()
    # a database an older Leerkring made (migrated up to 0003 only) is upgraded at start, which says so
    older = env_for(f"sqlite:///{tmp_path / 'older.sqlite3'}", tmp_path / "older")
    database = Database(older["DATABASE_URL"])
    config = database._alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    database.dispose()
    upgraded = run(older, "stats")
    assert upgraded.exit_code == 0 and f"database upgraded from schema 0003 to {head}" in upgraded.output
    assert "upgraded" not in run(older, "stats").output  # said once, when it happened
