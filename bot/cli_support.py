"""What every `leerkring` command needs: its settings, the app (with a one-line message when the database
cannot be reached), progress bars on stderr, and errors as one line instead of a traceback."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from tqdm import tqdm

from bot.config import Settings
from bot.errors import ConfigurationError, LeerkringError
from bot.messages import t

VERBOSE = False  # `leerkring -v`: errors with their traceback, for whoever debugs


@contextmanager
def progress_bar(total: int, desc: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (hidden when there is nothing to do)."""
    with tqdm(total=total, desc=desc, unit="les", file=sys.stderr, disable=total == 0, leave=False,
              dynamic_ncols=True) as bar:
        yield bar.update


def settings_of(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def open_app(settings: Settings, *, quiet: bool = False):
    """Bootstrap, with a progress bar while the index catches up with the database."""
    app = bootstrap_app(settings)
    pending = app.engine.pending()
    with progress_bar(0 if quiet else pending, "index") as tick:
        app.engine.start(progress=tick)
    return app


def bootstrap_app(settings: Settings):
    """The app without its index started; a database that cannot be reached is named in one line."""
    from bot.bootstrap import bootstrap

    try:
        app = bootstrap(settings, start_index=False)
    except LeerkringError as exc:  # a database a newer Leerkring has upgraded
        fail(exc, settings.default_language)
    except OperationalError as exc:  # a host that does not resolve, a port where nothing listens
        if VERBOSE:
            raise
        url = make_url(settings.resolved_database_url())
        address = f"{url.host}:{url.port or 5432}" if url.host else str(url.database)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        click.echo(t("config.database_unreachable", settings.default_language, address=address, reason=reason),
                   err=True)
        sys.exit(2)
    before, now = app.schema
    if before is not None and before != now:  # an upgrade says so; a new database is simply made
        click.echo(t("db.upgraded", settings.default_language, before=before, now=now), err=True)
    return app


def fail(exc: LeerkringError, lang: str = "nl") -> None:
    """A user's error as one line: exit code 2 for configuration (a setting to fix), 1 otherwise."""
    if isinstance(exc, ConfigurationError):
        if VERBOSE:
            raise exc
        click.echo(t(exc.key, lang, **exc.params), err=True)
        sys.exit(2)
    raise click.ClickException(t(exc.key, lang, **exc.params))


def run_platforms(ctx: click.Context, platforms: list[str]) -> None:
    """Check each platform's settings and tokens, then load the model and index once and run every platform
    on it in this one process until it is stopped (or one of them stops)."""
    import importlib

    settings = settings_of(ctx)
    runners = []
    for name in platforms:
        try:
            runner = importlib.import_module("bot.web.run" if name == "web" else f"bot.handlers.{name}.run")
        except ImportError:
            raise click.ClickException(f"{name} support is not installed: pip install 'leerkring[{name}]'") from None
        try:
            runner.preflight(settings)  # tokens and servers checked before the model and index load
        except LeerkringError as exc:
            fail(exc, settings.default_language)
        runners.append((name, runner))
    app = open_app(settings)
    health = None
    if settings.health_listen:
        from bot.observe import serve_health

        health = serve_health(settings.health_listen)
    try:
        failures = serve(app, runners)
    finally:
        if health is not None:
            health.shutdown()
        app.close()
    for name, error in failures:
        if isinstance(error, LeerkringError):
            fail(error, settings.default_language)
        raise click.ClickException(f"{name}: {error}") from error


def serve(app: object, runners: Sequence[tuple[str, Any]], stop: threading.Event | None = None
          ) -> list[tuple[str, BaseException]]:
    """Run each platform on the one app, each in its own thread, until `stop` is set, Ctrl-C, or one of them
    ends; then stop them all. Returns what the platforms failed with."""
    stop = stop or threading.Event()
    ended = threading.Event()
    failures: list[tuple[str, BaseException]] = []

    def run(name: str, runner: object) -> None:
        try:
            runner.run(app, stop)  # type: ignore[attr-defined]
        except BaseException as exc:
            failures.append((name, exc))
        finally:
            ended.set()

    threads = [threading.Thread(target=run, args=(name, runner), name=name, daemon=True) for name, runner in runners]
    for thread in threads:
        thread.start()
    logging.getLogger(__name__).warning("leerkring: running %s in one process", ", ".join(n for n, _ in runners))
    try:
        while not (stop.is_set() or ended.is_set()):
            ended.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    return failures
