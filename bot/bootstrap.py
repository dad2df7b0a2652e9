"""One place that builds everything from one Settings object. Nothing happens at import time."""

from __future__ import annotations

from dataclasses import dataclass

from bot.access import AccessChecker
from bot.commands import CommandRouter
from bot.config import Settings
from bot.errors import ConfigurationError
from bot.search.embedder import (
    E5Embedder,
    Embedder,
    HashingEmbedder,
    Progress,
    SentenceTransformerEmbedder,
)
from bot.search.engine import SearchEngine
from bot.service import LeerkringService
from bot.storage import Database, Repository


@dataclass
class App:
    settings: Settings
    db: Database
    repo: Repository
    engine: SearchEngine
    service: LeerkringService
    router: CommandRouter
    schema: tuple[str | None, str] = (None, "")  # the database's schema revision before this start, and now

    def close(self) -> None:
        try:
            self.engine.close()
        finally:
            self.db.dispose()


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "e5":
        return E5Embedder()
    if settings.embedder == "fake":
        return HashingEmbedder()
    if settings.embedder == "sentence-transformers":
        if not settings.embedding_model:
            raise ConfigurationError("config.model_missing")
        return SentenceTransformerEmbedder(settings.embedding_model,
                                           allow_download=settings.allow_model_download)
    raise ConfigurationError("config.unknown_embedder", embedder=settings.embedder)  # pragma: no cover


def bootstrap(settings: Settings | None = None, *, embedder: Embedder | None = None,
              access: AccessChecker | None = None, start_index: bool = True,
              index_progress: Progress | None = None) -> App:
    """Build the app: database (migrated), search engine (loaded and caught up), service and router."""
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url())
    try:
        schema = db.upgrade()
    except Exception:
        db.dispose()
        raise
    repo = Repository(db)
    engine = SearchEngine(repo, embedder or make_embedder(settings), settings.index_dir,
                          approximate_from=settings.approximate_from)
    if start_index:
        engine.start(progress=index_progress)
    service = LeerkringService(settings, repo, engine, access=access)
    return App(settings, db, repo, engine, service, CommandRouter(service), schema)
