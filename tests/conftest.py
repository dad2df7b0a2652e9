"""Shared fixtures. The suite runs against SQLite, or against PostgreSQL when
LEERKRING_TEST_DATABASE_URL is set (each test gets its own empty schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from bot.search.embedder import Embedder, HashingEmbedder

PG_URL = os.environ.get("LEERKRING_TEST_DATABASE_URL", "")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1) if PG_URL.startswith("postgresql://") else PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(LEERKRING_DATA_DIR=tmp_path / "data", LEERKRING_INDEX_DIR=tmp_path / "index",
                    DATABASE_URL=database_url, LEERKRING_EMBEDDER="fake", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def embedder() -> Embedder:
    return HashingEmbedder()


@pytest.fixture
def app(settings: Settings, embedder: Embedder) -> Iterator[App]:
    application = bootstrap(settings, embedder=embedder)
    yield application
    application.close()


@pytest.fixture(scope="session")
def e5() -> Embedder:
    """The real bundled model (loads in milliseconds)."""
    from bot.search.embedder import E5Embedder

    return E5Embedder()


@pytest.fixture(scope="module")
def app_for_fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One app for a whole fuzz module (hypothesis runs many examples per test)."""
    root = tmp_path_factory.mktemp("fuzz")
    settings = Settings(LEERKRING_DATA_DIR=root / "data", LEERKRING_INDEX_DIR=root / "index",
                        DATABASE_URL=f"sqlite:///{root / 'fuzz.sqlite3'}", LEERKRING_EMBEDDER="fake",
                        _env_file=None)  # type: ignore[call-arg]
    application = bootstrap(settings, embedder=HashingEmbedder())
    yield application
    application.close()


@pytest.fixture
def chat(request: pytest.FixtureRequest, settings: Settings) -> Iterator[object]:
    """A platform's driver (tests/platforms.py), named by `platforms(...)` on the test."""
    from platforms import DRIVERS

    name = request.param
    if name != "console":
        pytest.importorskip({"slack": "slack_bolt", "mattermost": "mattermostautodriver",
                             "teams": "microsoft_teams.apps"}[name])
    driver = DRIVERS[name](settings)
    yield driver
    driver.stop()
