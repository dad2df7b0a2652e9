"""`leerkring teams` (run the Teams bot) and `leerkring teams manifest` (the app package to upload)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli_support import run_platforms, settings_of
from bot.messages import t


@click.group("teams", invoke_without_command=True)
@click.pass_context
def group(ctx: click.Context) -> None:
    """Run the Microsoft Teams bot (POST /api/messages on TEAMS_LISTEN)."""
    if ctx.invoked_subcommand is None:
        run_platforms(ctx, ["teams"])


@group.command("manifest")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("leerkring-teams.zip"),
              show_default=True, help="Where to write the app package.")
@click.option("--version", "version", default="0.1.0", show_default=True,
              help="The app's version (raise it for every upload of a changed package).")
@click.pass_context
def manifest(ctx: click.Context, output: Path, version: str) -> None:
    """Write the Teams app package (manifest.json and icons) for TEAMS_APP_ID and TEAMS_PUBLIC_URL."""
    from bot.handlers.teams.manifest import write_package

    settings = settings_of(ctx)
    lang = settings.default_language
    if not settings.teams_app_id:
        raise click.ClickException(t("config.teams", lang))
    write_package(settings, output, version)
    click.echo(t("cli.teams_manifest", lang, path=str(output), app=settings.teams_app_id))
