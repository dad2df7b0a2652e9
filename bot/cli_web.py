"""`leerkring web`: the coordinators' web page on its own; `--create-admin` prints a one-time sign-in link."""

from __future__ import annotations

import click

from bot.cli_support import fail, open_app, settings_of
from bot.errors import LeerkringError
from bot.messages import t


@click.command()
@click.option("--listen", default=None, help="host:port (default LEERKRING_WEB_LISTEN, else 127.0.0.1:8090)")
@click.option("--create-admin", is_flag=True, help="Print a one-time sign-in link (24 hours) and stop.")
@click.option("--workspace", "workspaces", multiple=True, metavar="PLATFORM:WORKSPACE",
              help="With --create-admin: a workspace whose private lessons the link's holder may tend.")
@click.pass_context
def web(ctx: click.Context, listen: str | None, create_admin: bool, workspaces: tuple[str, ...]) -> None:
    """Serve the web page where coordinators browse and tend the lesson base."""
    from bot.web import run as web_run
    from bot.web.auth import create_admin_link

    settings = settings_of(ctx)
    listen = listen or settings.web_listen or "127.0.0.1:8090"
    try:
        host, port = web_run.address(listen)
        web_run.preflight(settings)
    except LeerkringError as exc:
        fail(exc, settings.default_language)
    if create_admin:
        from bot.cli_support import bootstrap_app

        app = bootstrap_app(settings)
        try:
            base = settings.web_url or f"http://{host}:{port}"
            for item in workspaces:
                if ":" not in item:
                    raise click.BadParameter(f"{item}: expected platform:workspace", param_hint="--workspace")
            click.echo(t("web.admin_link", settings.default_language,
                         url=create_admin_link(app.repo, base, list(workspaces))))
        finally:
            app.close()
        return
    app = open_app(settings)
    try:
        click.echo(f"leerkring web: http://{host}:{port}", err=True)
        web_run.server(app, listen).run()  # until Ctrl-C or SIGTERM
    finally:
        app.close()

