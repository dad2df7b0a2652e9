"""What every `leerkring` command needs: its settings, the app (with a one-line message when the database
cannot be reached), progress bars on stderr, and errors as one line instead of a traceback."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from tqdm import tqdm

from bot.config import Settings
from bot.errors import ConfigurationError, LeerkringError
from bot.messages import t


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
        return bootstrap(settings, start_index=False)
    except OperationalError as exc:  # a host that does not resolve, a port where nothing listens
        if logging.getLogger().isEnabledFor(logging.INFO):
            raise
        url = make_url(settings.resolved_database_url())
        address = f"{url.host}:{url.port or 5432}" if url.host else str(url.database)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        click.echo(t("config.database_unreachable", settings.default_language, address=address, reason=reason),
                   err=True)
        sys.exit(2)


def fail(exc: LeerkringError, lang: str = "nl") -> None:
    """A user's error as one line: exit code 2 for configuration (a setting to fix), 1 otherwise."""
    if isinstance(exc, ConfigurationError):
        if logging.getLogger().isEnabledFor(logging.INFO):
            raise exc
        click.echo(t(exc.key, lang, **exc.params), err=True)
        sys.exit(2)
    raise click.ClickException(t(exc.key, lang, **exc.params))
