"""Serving the web page: on its own (`leerkring web`) or beside the chat platforms (`leerkring run`, when
LEERKRING_WEB_LISTEN is set), in the same process, on the same app."""

from __future__ import annotations

import threading
from typing import Any

from bot.config import Settings
from bot.errors import LeerkringError


def address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise LeerkringError("config.invalid", name="LEERKRING_WEB_LISTEN", value=listen, expected="host:port")
    return host or "127.0.0.1", int(port)


def preflight(settings: Settings) -> None:
    address(settings.web_listen or "127.0.0.1:8090")
    if settings.oidc_issuer and not settings.oidc_client_id:
        raise LeerkringError("config.invalid", name="LEERKRING_OIDC_CLIENT_ID", value="",
                             expected="the client id registered at the issuer")


def server(app: Any, listen: str) -> Any:
    import uvicorn

    from bot.web.app import create_app

    host, port = address(listen)
    config = uvicorn.Config(create_app(app), host=host, port=port, log_level="warning", access_log=False,
                            proxy_headers=True, server_header=False)
    return uvicorn.Server(config)


def run(app: Any, stop: threading.Event) -> None:
    """Serve until `stop` is set."""
    web = server(app, app.settings.web_listen or "127.0.0.1:8090")

    def watch() -> None:
        stop.wait()
        web.should_exit = True

    threading.Thread(target=watch, name="web-stop", daemon=True).start()
    web.run()
