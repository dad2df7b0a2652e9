"""`leerkring slack` (run the Slack bot) and `leerkring slack backfill`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from tqdm import tqdm

from bot.cli_support import fail, open_app, run_platforms, settings_of
from bot.errors import LeerkringError
from bot.messages import t


@click.group("slack", invoke_without_command=True)
@click.pass_context
def group(ctx: click.Context) -> None:
    """Run the Slack bot (Socket Mode by default; SLACK_MODE=http for HTTP mode)."""
    if ctx.invoked_subcommand is None:
        run_platforms(ctx, ["slack"])


@group.command("backfill")
@click.option("--channel", required=True, help="The channel id (C…) to read.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only messages since this date.")
@click.pass_context
def backfill(ctx: click.Context, channel: str, since: datetime | None) -> None:
    """Capture the messages in a channel's history that carry the capture emoji (safe to run again)."""
    from bot.handlers.slack.run import backfill, build_bolt

    app = open_app(settings_of(ctx))
    try:
        _, adapter = build_bolt(app)
        with tqdm(desc="backfill", unit="bericht", file=sys.stderr, leave=False) as bar:
            seen, captured = backfill(app, adapter, channel, since.replace(tzinfo=UTC) if since else None,
                                      progress=bar.update)
    except LeerkringError as exc:
        fail(exc, app.settings.default_language)
    finally:
        app.close()
    click.echo(t("cli.backfill_done", app.settings.default_language, seen=seen, captured=captured))
