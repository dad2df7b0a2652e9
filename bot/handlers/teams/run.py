"""Run the Teams bot: the Teams SDK's app serving POST /api/messages (every activity's token checked
against the Bot Framework's signing keys), its event loop in a thread of its own, and the follow-ups and
digests every platform runs."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI
from microsoft_teams.api.auth.cloud_environment import CloudEnvironment, with_overrides
from microsoft_teams.api.auth.cloud_environment import from_name as cloud_named
from microsoft_teams.apps import App as TeamsApp
from microsoft_teams.apps import FastAPIAdapter
from microsoft_teams.common import Client, ClientOptions

from bot.bootstrap import App as Core
from bot.chat import Place
from bot.config import Settings
from bot.digest import DigestScheduler, parse_channels
from bot.errors import ConfigurationError
from bot.followup import FollowUps
from bot.handlers.teams.adapter import PLATFORM, TeamsAdapter
from bot.handlers.teams.cards import escape
from bot.handlers.teams.connector import BotTokens, Connector, Retrying

log = logging.getLogger(__name__)


def cloud_for(settings: Settings) -> CloudEnvironment:
    """The Microsoft cloud the bot lives in (TEAMS_CLOUD), with any single endpoint overridden."""
    try:
        cloud = cloud_named(settings.teams_cloud or "Public")
    except ValueError as exc:
        raise ConfigurationError("config.teams_cloud", cloud=settings.teams_cloud) from exc
    overrides = {"login_endpoint": settings.teams_login_url, "openid_metadata_url": settings.teams_openid_metadata_url,
                 "token_issuer": settings.teams_token_issuer}
    return with_overrides(cloud, **{k: v.rstrip("/") for k, v in overrides.items() if v})


def _credentials(settings: Settings) -> tuple[str, str]:
    if not settings.teams_app_id or settings.teams_app_password is None:
        raise ConfigurationError("config.teams")
    return settings.teams_app_id, settings.teams_app_password.get_secret_value()


def preflight(settings: Settings) -> None:
    """Before anything loads: the app id and secret are set and the identity platform accepts them."""
    app_id, password = _credentials(settings)
    cloud = cloud_for(settings)
    tokens = BotTokens(app_id, password, cloud, settings.teams_tenant_id)
    try:
        asyncio.run(tokens(cloud.bot_scope))
    except Exception as exc:
        raise ConfigurationError("config.teams_login", reason=type(exc).__name__) from exc


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "0.0.0.0", int(port or 3978)


class TeamsBot:
    """The Teams SDK app for this bot: its HTTP server and event loop run in one thread; activities are
    handled in worker threads by the adapter."""

    def __init__(self, core: Core, *, retry_base: float = 0.5) -> None:
        settings = core.settings
        app_id, password = _credentials(settings)
        self.core = core
        self.cloud = cloud_for(settings)
        client = Client(ClientOptions(timeout=30.0))
        client.use(Retrying(base_delay=retry_base))
        self._server: uvicorn.Server | None = None
        self._host, self._port = _listen(settings.teams_listen)
        self.http = FastAPIAdapter(server_factory=self._make_server)
        self.sdk = TeamsApp(client_id=app_id, tenant_id=settings.teams_tenant_id or None,
                            token=BotTokens(app_id, password, self.cloud, settings.teams_tenant_id), client=client,
                            cloud=self.cloud, http_server_adapter=self.http,
                            dangerously_allow_unauthenticated_requests=False)
        self.loop = asyncio.new_event_loop()
        admins = frozenset(x.strip() for x in settings.teams_admins.split(",") if x.strip())
        self.adapter = TeamsAdapter(core, Connector(self.sdk.api, self.loop), app_id=app_id, admins=admins)
        self.sdk.on_activity(self._on_activity)
        self.http.app.get("/healthz")(lambda: {"ok": True})
        self._thread: threading.Thread | None = None
        self.port = 0

    def _make_server(self, app: FastAPI) -> uvicorn.Server:
        self._server = uvicorn.Server(uvicorn.Config(app, host=self._host, port=self._port, log_level="warning",
                                                     access_log=False, lifespan="on"))
        return self._server

    async def _on_activity(self, ctx: Any) -> Any:
        """Every activity Teams posts (its token already checked by the SDK): the adapter's work in a worker
        thread, so the event loop stays free for the connector calls that work makes."""
        activity = ctx.activity.model_dump(by_alias=True, exclude_none=True, mode="json")
        try:
            body = await asyncio.to_thread(self.adapter.handle, activity)
        except Exception:
            log.exception("teams: handling %s %s failed", activity.get("type"), activity.get("name", ""))
            body = None
        if activity.get("type") == "invoke":
            return {"status": 200, "body": body or {}}
        return None

    def start(self, host: str | None = None, port: int | None = None) -> int:
        """Serve in a thread of its own; the port it listens on (0 asks for a free one)."""
        if host is not None:
            self._host = host
        if port is not None:
            self._port = port
        ready = threading.Event()

        async def serve() -> None:
            await self.sdk.initialize()
            task = asyncio.ensure_future(self.http.start(self._port))
            while self._server is None or not self._server.started:
                if task.done():
                    await task  # raises what stopped it
                await asyncio.sleep(0.02)
            self.port = self._server.servers[0].sockets[0].getsockname()[1]
            ready.set()
            await task

        def main() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(serve())
            except Exception:
                log.exception("teams: the server stopped")
            finally:
                ready.set()

        self._thread = threading.Thread(target=main, name="teams", daemon=True)
        self._thread.start()
        ready.wait(30)
        if not self.port:
            raise ConfigurationError("config.teams_listen", listen=f"{self._host}:{self._port}")
        return self.port

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self._server is not None:
            self.loop.call_soon_threadsafe(setattr, self._server, "should_exit", True)
        if self._thread is not None:
            self._thread.join(10)


def run(core: Core, stop: threading.Event | None = None) -> None:
    """Run until stopped (or `stop` is set): POST /api/messages on TEAMS_LISTEN, follow-ups and digests."""
    bot = TeamsBot(core)
    bot.start()
    channels = parse_channels(core.settings.digest_channels, PLATFORM)
    digest = DigestScheduler(core.service, PLATFORM, channels,
                             lambda channel, text: bot.adapter.post_markup(Place(channel), text),
                             cron=core.settings.digest_cron, escape=escape)
    digest.start()
    followups = FollowUps(core.service, PLATFORM, interval=core.settings.followup_seconds).start()
    log.info("teams: listening on %s (POST /api/messages)", core.settings.teams_listen)
    stop = stop or threading.Event()
    try:
        while not stop.is_set() and bot.running():
            stop.wait(1.0)
    finally:
        digest.stop()
        followups.stop()
        bot.stop()
