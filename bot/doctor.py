"""`leerkring doctor`: on one screen, what is configured and whether it works (database, model, index,
and each chat platform's own check), for the operator asked "does it work?". It changes nothing: no migration, no index
save, no message posted."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.errors import LeerkringError
from bot.messages import t

OK, FAIL, WARN, OFF = "ok", "FAIL", "WARN", "--"


@dataclass
class Check:
    name: str
    status: str
    detail: str


def _database(settings: Settings, lang: str) -> tuple[Check, Any]:
    from bot.storage import Database, Repository

    url = make_url(settings.resolved_database_url())
    where = f"{url.get_backend_name()} {url.host}:{url.port or 5432}/{url.database}" if url.host \
        else f"{url.get_backend_name()} {url.database}"
    database = Database(str(settings.resolved_database_url()))
    try:
        behind = database.needs_upgrade()
        if behind and database.current_revision() is None:
            return Check("database", WARN, t("doctor.database_new", lang, where=where)), None
        repo = Repository(database)
        lessons = repo.count_lessons()
        questions = repo.count_open_questions()
    except Exception as exc:  # unreachable, refused, unreadable: the reason in one line
        database.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Check("database", FAIL, f"{where}: {reason}"), None
    detail = t("doctor.database", lang, where=where, lessons=lessons, questions=questions)
    if behind:
        return Check("database", WARN, detail + "; " + t("doctor.needs_upgrade", lang)), repo
    return Check("database", OK, detail), repo


def _model(settings: Settings, lang: str) -> tuple[Check, Any]:
    from bot.bootstrap import make_embedder

    started = time.perf_counter()
    try:
        embedder = make_embedder(settings)
        embedder.embed_queries(["Heeft een gemeente al eens een burgerberaad georganiseerd?"])
    except (LeerkringError, OSError, ImportError, ValueError) as exc:
        return Check("model", FAIL, f"{settings.embedder}: {exc}"), None
    seconds = time.perf_counter() - started
    return Check("model", OK, t("doctor.model", lang, id=embedder.id, dim=embedder.dim,
                                seconds=f"{seconds:.1f}")), embedder


def _index(settings: Settings, repo: Any, embedder: Any, lang: str) -> Check:
    import json

    from bot.search.dense import DenseIndex

    if embedder is None:
        return Check("index", OFF, t("doctor.index_no_model", lang))
    _, manifest_path = DenseIndex.paths(settings.index_dir, embedder.id)
    if not manifest_path.exists():
        return Check("index", WARN, t("doctor.index_missing", lang, path=settings.index_dir.resolve()))
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return Check("index", WARN, t("doctor.index_unreadable", lang, path=manifest_path, reason=exc))
    pending = repo.count_changes_since(int(manifest["revision"])) if repo is not None else 0
    detail = t("doctor.index", lang, count=manifest["count"], structure=manifest["structure"], pending=pending,
               path=settings.index_dir.resolve())
    return Check("index", OK, detail)


def diagnose(settings: Settings) -> list[Check]:
    """Every check, in the order an operator reads them."""
    lang = settings.default_language
    database, repo = _database(settings, lang)
    model, embedder = _model(settings, lang)
    from bot.handlers import PLATFORMS, part
    from bot.web.health import check as web_check

    checks = [database, model, _index(settings, repo, embedder, lang),
              *(part(name, "health").check(settings, lang) for name in PLATFORMS), web_check(settings, lang)]
    if repo is not None:
        repo.db.dispose()
    if database.status != FAIL and settings.resolved_database_url().startswith("sqlite"):
        checks.append(Check("storage", WARN, t("doctor.sqlite", lang, path=settings.data_dir.resolve())))
    return checks


def report(checks: list[Check], echo: Callable[[str], None]) -> bool:
    """Print the checks, one line each; True when none failed."""
    width = max(len(check.name) for check in checks)
    for check in checks:
        echo(f"{check.status:<6} {check.name:<{width}}  {check.detail}")
    return all(check.status != FAIL for check in checks)
