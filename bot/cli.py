"""The `leerkring` command (also `python -m bot`)."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
from pydantic import ValidationError
from tqdm import tqdm

from bot import __version__
from bot.cli_support import bootstrap_app, fail, open_app, progress_bar, run_platforms, settings_of
from bot.config import Settings
from bot.errors import InputError, LeerkringError
from bot.messages import t
from bot.model import Asker, PersonRef, Source, Visibility

DEMO_FILE = "demo_lessons.jsonl"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leerkring")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Leerkring: lessons from municipal practice, shared between municipalities."""
    import bot.cli_support as support
    from bot.observe import configure_logging

    support.VERBOSE = verbose > 0
    configure_logging(["WARNING", "INFO", "DEBUG"][min(verbose, 2)], "text")
    try:
        settings = Settings()
        ctx.obj = {"settings": settings, "verbose": verbose}
    except ValidationError as exc:
        if verbose:
            raise
        # one line per setting that will not do, naming it and what it takes; exit code 2, no traceback
        lang = "en" if os.environ.get("LEERKRING_LANGUAGE", "nl").lower().startswith("en") else "nl"
        for error in exc.errors(include_url=False):
            expected = (error.get("ctx") or {}).get("expected") or error["msg"]
            click.echo(t("config.invalid", lang, name=".".join(str(part) for part in error["loc"]),
                         value=error.get("input"), expected=expected), err=True)
        ctx.exit(2)
    if not verbose:  # -v wins over the settings
        configure_logging(settings.log_level, settings.log_format)
    elif settings.log_format == "json":
        configure_logging(["INFO", "DEBUG"][min(verbose, 2) - 1], "json")


# -- console ----------------------------------------------------------------------------------------
@cli.command()
@click.option("--demo", is_flag=True, help="Use a separate demo store seeded with invented lessons.")
@click.option("--user", default="gast", show_default=True, help="Your (fake) user name.")
@click.option("--channel", default="algemeen", show_default=True, help="The (fake) channel you talk in.")
@click.option("--private", is_flag=True, help="Pretend the channel is private.")
@click.option("--municipality", default="", help="Set your municipality before starting.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default=None, help="Preferred language.")
@click.pass_context
def console(ctx: click.Context, demo: bool, user: str, channel: str, private: bool, municipality: str,
            lang: str | None) -> None:
    """Talk to the bot in this terminal (`you> ` prompt). Ctrl-D quits."""
    from bot.handlers.console import ConsoleAdapter, ConsoleIdentity

    settings = settings_of(ctx)
    if demo:
        settings = settings.model_copy(update={"data_dir": settings.data_dir / "demo",
                                               "index_dir": settings.index_dir / "demo", "database_url": ""})
    app = open_app(settings)
    try:
        if demo:
            _seed_demo(app)
        identity = ConsoleIdentity(user=user, channel=channel, private=private, locale=lang or "")
        if municipality:
            try:
                app.service.set_municipality(PersonRef("console", identity.user_id, user), municipality)
            except LeerkringError as exc:
                fail(exc, lang or "nl")
        ConsoleAdapter(app, identity, stdin=sys.stdin, stdout=sys.stdout).run(interactive=sys.stdin.isatty())
    finally:
        app.close()


def _seed_demo(app) -> None:
    from importlib import resources

    from bot.importer import import_file

    with resources.as_file(resources.files("bot.data").joinpath(DEMO_FILE)) as path:
        import_file(app.repo, path, platform="demo")
    with progress_bar(app.engine.pending(), "demo") as tick:
        app.engine.sync(progress=tick)


# -- ask and add ------------------------------------------------------------------------------------
@cli.command()
@click.argument("question", default="")
@click.option("--k", "k", type=click.IntRange(1, 50), default=None, help="How many lessons at most.")
@click.option("--municipality", default="", help="Only lessons from this municipality.")
@click.option("--province", default="", help="Only lessons from this province.")
@click.option("--size", default="", help="Only municipalities of this size: klein, middelgroot, groot, zeer groot.")
@click.option("--theme", default="", help="Only lessons with this theme.")
@click.option("--outcome", default="", help="Only lessons with this outcome: gelukt, mislukt, gemengd.")
@click.option("--since", default="", help="Only lessons from this date on (2023-01-01).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def ask(ctx: click.Context, question: str, k: int | None, municipality: str, province: str, size: str,
        theme: str, outcome: str, since: str, as_json: bool) -> None:
    """Ask a question, as a colleague would in chat; with only filters, list the lessons that pass."""
    from bot.commands import parse_filters
    from bot.render import render_answer
    from bot.storage.repository import lesson_summary

    parts = [question] + [f'{key}="{value}"' for key, value in (("gemeente", municipality), ("provincie", province),
                                                                  ("grootte", size), ("thema", theme),
                                                                  ("uitkomst", outcome), ("sinds", since)) if value]
    app = open_app(settings_of(ctx), quiet=as_json)
    try:
        text, filters = parse_filters(" ".join(parts))
        result = app.service.ask(text, Asker("cli", "cli", "cli"), filters=filters, k=k)
    except LeerkringError as exc:
        fail(exc)
    finally:
        app.close()
    answer = result.answer
    if as_json:
        click.echo(json.dumps({"question": answer.question, "lang": answer.lang, "kind": answer.kind.value,
                               "found": answer.found, "kept_open": answer.kept_open,
                               "hits": [{**lesson_summary(h.lesson), "score": round(h.score, 4)}
                                        for h in answer.hits]}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_answer(answer))


@cli.command()
@click.argument("text")
@click.option("--title", default=None)
@click.option("--municipality", default=None)
@click.option("--theme", "themes", multiple=True, help="A theme (repeatable); #hashtags in the text count too.")
@click.option("--outcome", default=None, help="gelukt, mislukt, gemengd or onbekend.")
@click.option("--learned", default=None, help="What was learned.")
@click.option("--contact", default="", help="The person to talk to (default: the author).")
@click.option("--author", default="cli", show_default=True)
@click.option("--permalink", default="")
@click.pass_context
def add(ctx: click.Context, text: str, title: str | None, municipality: str | None, themes: tuple[str, ...],
        outcome: str | None, learned: str | None, contact: str, author: str, permalink: str) -> None:
    """Add one lesson."""
    import uuid

    from bot.capture import extract_themes, parse_outcome
    from bot.commands import capture_confirmation
    from bot.service import CaptureRequest

    app = open_app(settings_of(ctx))
    try:
        parsed_outcome = None
        if outcome is not None:
            parsed_outcome = parse_outcome(outcome)
            if parsed_outcome is None:
                raise InputError("capture.bad_outcome", value=outcome)
        person = PersonRef("cli", author, author)
        request = CaptureRequest(
            text=text, source=Source("cli", "local", "cli", visibility=Visibility.PUBLIC,
                                     message_id=uuid.uuid4().hex, permalink=permalink),
            author=person, captured_by=person, contact=PersonRef("cli", "", contact) if contact else None,
            municipality=municipality, outcome=parsed_outcome, learned=learned, title=title,
            themes=[*extract_themes(text), *(x.lstrip("#").lower() for x in themes)] if themes else None)
        result = app.service.capture(request)
        click.echo(capture_confirmation(result.lesson, result.created, result.lang, result.notices))
    except LeerkringError as exc:
        fail(exc)
    finally:
        app.close()


# -- bulk -------------------------------------------------------------------------------------------
@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only show what would be imported; save nothing.")
@click.pass_context
def import_(ctx: click.Context, file: Path, dry_run: bool) -> None:
    """Import lessons from a .jsonl or .csv file (importing again updates, never duplicates). CSV may be
    comma-, semicolon- or tab-separated, UTF-8 or Windows-1252, with Dutch or English column names."""
    from bot.importer import columns, count_records, drafts, import_file

    settings = settings_of(ctx)
    lang = settings.default_language
    try:
        used, ignored = columns(file)
        if "text" not in {field for _, field in used}:
            raise InputError("import.no_text_column", found=", ".join([name for name, _ in used] + ignored) or "-")
    except LeerkringError as exc:
        fail(exc, lang)
    click.echo(t("cli.import_columns", lang, used=", ".join(f"{name} → {field}" if name != field else name
                                                           for name, field in used),
                 ignored=", ".join(ignored) or "-"), err=True)
    if dry_run:
        skipped = [(number, problem) for number, draft, problem in drafts(file, lang=lang) if draft is None]
        click.echo(t("cli.import_dry", lang, count=count_records(file) - len(skipped), skipped=len(skipped)))
        for number, reason in skipped:
            click.echo(t("cli.import_line", lang, number=number, reason=reason), err=True)
        return
    app = open_app(settings)
    try:
        with progress_bar(count_records(file), "import") as tick:
            report = import_file(app.repo, file, progress=tick, lang=app.settings.default_language)
        with progress_bar(app.engine.pending(), "embed") as tick:
            app.engine.sync(progress=tick)
    except LeerkringError as exc:
        fail(exc)
    finally:
        app.close()
    lang = app.settings.default_language
    click.echo(t("cli.import_done", lang, created=report.created, updated=report.updated,
                 skipped=len(report.skipped or [])))
    for number, reason in report.skipped or []:
        click.echo(t("cli.import_line", lang, number=number, reason=reason), err=True)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "markdown"]), default="jsonl",
              show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: io.TextIOBase) -> None:
    """Export every lesson."""
    from bot.exporting import write_lessons
    from bot.storage.repository import lesson_summary

    app = open_app(settings_of(ctx), quiet=True)
    try:
        rows = [lesson_summary(lesson) for lesson in app.repo.iter_lessons()]
    finally:
        app.close()
    output.write(write_lessons(rows, fmt))


@cli.command()
@click.option("--full", is_flag=True, help="Rebuild from scratch instead of catching up.")
@click.pass_context
def reindex(ctx: click.Context, full: bool) -> None:
    """Bring the search index up to date with the database (resumable; cached vectors are reused)."""
    app = bootstrap_app(settings_of(ctx))
    try:
        if full:
            with progress_bar(app.repo.count_changes_since(0), "reindex") as tick:
                app.engine.rebuild(progress=tick)
        else:
            with progress_bar(app.engine.pending(), "reindex") as tick:
                app.engine.start(progress=tick)
        app.engine.wait_for_restructure()
        click.echo(f"index up to date: {len(app.engine.dense)} lessons, revision {app.engine.revision}, "
                   f"{app.engine.dense.layout.describe()}{' (rebuilt)' if full else ''}")
    finally:
        app.close()


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--png", "png", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw the charts into this PNG file.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool, png: Path | None) -> None:
    """Lessons per theme, municipality, province and outcome; questions asked and answered; knowledge gaps."""
    from bot.stats import compute, render_png, render_table

    settings = settings_of(ctx)
    app = bootstrap_app(settings)
    try:
        data = compute(app.repo)
    finally:
        app.close()
    if png is not None:
        render_png(data, png, settings.default_language)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(data, settings.default_language))


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.pass_context
def upgrade(ctx: click.Context) -> None:
    """Apply database migrations (also done on every start)."""
    from bot.storage import Database

    settings = settings_of(ctx.parent)  # type: ignore[arg-type]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url())
    database.upgrade()
    database.dispose()
    click.echo(t("cli.db_ok", settings.default_language))


@cli.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Show what is configured and whether it works (database, model, index, Slack, Mattermost)."""
    from bot.doctor import diagnose, report

    settings = settings_of(ctx)
    click.echo(f"leerkring {__version__}")
    if not report(diagnose(settings), click.echo):
        ctx.exit(1)


# -- chat platforms ---------------------------------------------------------------------------------
@cli.command("run")
@click.pass_context
def run_all(ctx: click.Context) -> None:
    """Run every chat platform whose settings are present, in one process (one model, one index)."""
    from bot.handlers import configured

    settings = settings_of(ctx)
    platforms = configured(settings) + (["web"] if settings.web_listen else [])
    if not platforms:
        click.echo(t("config.no_platform", settings.default_language), err=True)
        ctx.exit(2)
    run_platforms(ctx, platforms)


def _add_commands() -> None:
    from bot.cli_backup import backup, restore
    from bot.cli_web import web
    from bot.handlers import PLATFORMS, part

    cli.add_command(backup)
    cli.add_command(restore)
    cli.add_command(web)
    for name in PLATFORMS:
        cli.add_command(part(name, "cli").group)


_add_commands()


# -- evaluation -------------------------------------------------------------------------------------
@cli.command("eval")
@click.option("--queries", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep passage vectors here between runs (keyed by model and content hash).")
@click.option("--limit", type=int, default=None, help="Only the first N queries.")
@click.pass_context
def eval_(ctx: click.Context, queries: Path, corpus: Path, as_json: bool, cache: Path | None,
          limit: int | None) -> None:
    """Measure retrieval quality on a query/corpus pair (recall@k, MRR@10, nDCG@10, no-match F1)."""
    from bot.bootstrap import make_embedder
    from bot.evaluation import dumps, run_eval

    bars: list[tqdm] = []

    def progress(desc: str, total: int) -> Callable[[int], None]:
        bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True)
        bars.append(bar)
        return bar.update

    report = run_eval(queries, corpus, make_embedder(settings_of(ctx)), cache=cache, limit=limit,
                      progress=progress)
    for bar in bars:
        bar.close()
    if as_json:
        click.echo(dumps(report))
        return
    for key in ("queries", "answerable", "recall@1", "recall@3", "recall@10", "mrr@10", "ndcg@10"):
        click.echo(f"{key:>12}: {report[key]}")
    nm = report["no_match"]
    click.echo(f"{'no-match':>12}: precision {nm['precision']}, recall {nm['recall']}, f1 {nm['f1']}")  # type: ignore[index]
    click.echo(f"{'seconds':>12}: {report['seconds']}")


def main() -> None:
    cli(prog_name="leerkring")


if __name__ == "__main__":
    main()
