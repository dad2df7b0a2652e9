"""Run the Mattermost bot: the websocket (reconnecting with back-off and jitter) and a small HTTP
listener for the slash command and buttons."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
import ssl
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIServer, make_server

import aiohttp
from mattermostautodriver import TypedDriver, Websocket
from mattermostautodriver.exceptions import NotEnoughPermissions

from bot.bootstrap import App as Core
from bot.config import Settings
from bot.digest import DigestScheduler, parse_channels
from bot.errors import ConfigurationError, LeerkringError
from bot.followup import FollowUps
from bot.handlers.common import QuietHandler, ThreadingWSGIServer
from bot.handlers.mattermost.adapter import MattermostAdapter, chat_message
from bot.handlers.mattermost.attachments import ActionSigner, escape
from bot.handlers.mattermost.dialog import read_state
from bot.handlers.mattermost.gateway import driver_options, probe
from bot.observe import health_and_metrics

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000
BACKFILL_PAGE = 200  # posts per page of a channel's history
IN_FLIGHT = 64  # events handled at once before the websocket waits


class ReconnectingWebsocket(Websocket):
    """The driver's websocket, reconnecting after any drop with exponential back-off and jitter."""

    def __init__(self, options: dict[str, Any], token: str, *, base_delay: float = 1.0,
                 max_delay: float = 60.0) -> None:
        super().__init__(options, token)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.connected = threading.Event()
        self.connections = 0

    def _url(self) -> tuple[str, ssl.SSLContext | bool]:
        secure = self.options["scheme"] == "https"
        context: ssl.SSLContext | bool = False
        if secure:
            context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH)
        scheme = "wss://" if secure else "ws://"
        return f"{scheme}{self.options['url']}:{self.options['port']}/api/v4/websocket", context

    async def connect(self, event_handler: Callable[[str], Any]) -> None:
        url, context = self._url()
        self._alive = True
        attempt = 0
        lost = False  # logged once when the connection goes, once when it is back; not per attempt
        while self._alive:
            try:
                async with aiohttp.ClientSession() as session, session.ws_connect(url, ssl=context) as websocket:
                    await self._authenticate_websocket(websocket, event_handler)
                    attempt = 0
                    self.connections += 1
                    self.connected.set()
                    if lost:
                        log.warning("mattermost: websocket connected again")
                        lost = False
                    await self._start_loop(websocket, event_handler)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # dropped, refused, closed: all end in a reconnect
                if not lost:
                    log.warning("mattermost: websocket lost (%s); reconnecting with back-off", type(exc).__name__)
                else:
                    log.debug("mattermost: reconnect failed (%s)", type(exc).__name__)
                lost = True
            self.connected.clear()
            if not self._alive:
                break
            delay = min(self.max_delay, self.base_delay * 2 ** attempt) * random.uniform(0.5, 1.0)
            attempt = min(attempt + 1, 16)
            await asyncio.sleep(delay)


def preflight(settings: Settings) -> None:
    """Before anything loads: the server answers and accepts the bot's token."""
    if not settings.mattermost_url or settings.mattermost_token is None:
        raise ConfigurationError("config.mattermost")
    probe(settings.mattermost_url, settings.mattermost_token.get_secret_value())
    if settings.mattermost_command_token is None:
        log.warning("mattermost: MATTERMOST_COMMAND_TOKEN is not set: the /leerkring command will be refused")


class MattermostBot:
    """The bot for one Mattermost server: login, websocket thread, HTTP listener."""

    def __init__(self, core: Core, *, driver: TypedDriver | None = None, reconnect_base: float = 1.0) -> None:
        settings = core.settings
        if not settings.mattermost_url or settings.mattermost_token is None:
            raise ConfigurationError("config.mattermost")
        token = settings.mattermost_token.get_secret_value()
        self.core = core
        self.options = driver_options(settings.mattermost_url, token)
        probe(settings.mattermost_url, token)
        self.driver = driver or TypedDriver(self.options)
        me = self.driver.login()
        if not isinstance(me, dict) or "id" not in me:
            raise ConfigurationError("config.mattermost_login")
        self.token = token
        command_token = settings.mattermost_command_token
        self.command_token = command_token.get_secret_value() if command_token else ""
        public = settings.mattermost_public_url or f"http://{settings.mattermost_listen}"
        self.adapter = MattermostAdapter(core, self.driver, bot_user_id=me["id"], bot_username=me.get("username", ""),
                                         site_url=settings.mattermost_url, public_url=public,
                                         signer=ActionSigner.from_token(token))
        self.websocket = ReconnectingWebsocket(self.driver.options, token, base_delay=reconnect_base)
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mm-event")
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self.server: WSGIServer | None = None

    # -- websocket -------------------------------------------------------------------------------
    async def _handle(self, message: str) -> None:
        """Hand an event to the worker pool without waiting for it, so one slow event (a post being
        retried) never holds up the websocket; at most IN_FLIGHT events are handled at once."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(IN_FLIGHT)
        await self._slots.acquire()
        future = asyncio.get_running_loop().run_in_executor(self._pool, self.adapter.handle_raw, message)
        future.add_done_callback(lambda _: self._slots.release() if self._slots else None)

    def start_websocket(self) -> None:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._task = self._loop.create_task(self.websocket.connect(self._handle))
            ready.set()
            try:
                self._loop.run_until_complete(self._task)
            except asyncio.CancelledError:
                pass
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=run, name="mm-websocket", daemon=True)
        self._thread.start()
        ready.wait(10)

    # -- HTTP ------------------------------------------------------------------------------------
    def wsgi(self) -> Callable[..., Iterable[bytes]]:
        def respond(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            answered = health_and_metrics(environ, start_response)
            if answered is not None:
                return answered
            if environ.get("REQUEST_METHOD") != "POST" or path not in ("/mattermost/command", "/mattermost/action",
                                                                        "/mattermost/dialog"):
                return respond(start_response, "404 Not Found", {"error": "not found"})
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            raw = environ["wsgi.input"].read(length)
            try:
                if path == "/mattermost/command":
                    form = dict(parse_qsl(raw.decode()))
                    header = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Token ").strip()
                    offered = header or form.get("token", "")
                    if not self.command_token or not hmac.compare_digest(offered, self.command_token):
                        log.warning("mattermost: slash command with a wrong token rejected")
                        return respond(start_response, "401 Unauthorized", {"text": "invalid token"})
                    return respond(start_response, "200 OK", self.adapter.on_command(form))
                payload = json.loads(raw or b"{}")
                if path == "/mattermost/dialog":
                    state = read_state(payload, self.adapter.signer)
                    if state is None:
                        log.warning("mattermost: dialog submission without a valid state rejected")
                        return respond(start_response, "403 Forbidden", {"error": "invalid request"})
                    return respond(start_response, "200 OK", self.adapter.on_dialog(payload, state))
                if not self.adapter.signer.verify(payload.get("context") or {}):
                    log.warning("mattermost: button request without a valid signature rejected")
                    return respond(start_response, "403 Forbidden", {"ephemeral_text": "invalid request"})
                return respond(start_response, "200 OK", self.adapter.on_action(payload))
            except (ValueError, KeyError):
                return respond(start_response, "400 Bad Request", {"text": "bad request"})
            except Exception:
                log.exception("mattermost: request to %s failed", path)
                return respond(start_response, "500 Internal Server Error", {"text": "error"})

        return application

    def start_http(self, host: str, port: int) -> WSGIServer:
        self.server = make_server(host, port, self.wsgi(), server_class=ThreadingWSGIServer,
                                  handler_class=QuietHandler)
        threading.Thread(target=self.server.serve_forever, name="mm-http", daemon=True).start()
        return self.server

    def stop(self) -> None:
        self.websocket.disconnect()
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(10)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self._pool.shutdown(wait=True)
        self.driver.close()


def backfill(adapter: MattermostAdapter, channel_id: str, since: datetime | None,
             progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Capture every post in a channel's history that carries a capture emoji, replies in threads included
    (a tagged thread root becomes the thread's story), page by page, newest first, back to `since`.

    Re-running is safe (the same post updates its one lesson). Returns (posts seen, lessons captured)."""
    oldest = int(since.timestamp() * 1000) if since else 0
    seen = captured = page = 0
    while True:
        try:
            response = adapter.driver.posts.get_posts_for_channel(channel_id, page=page, per_page=BACKFILL_PAGE)
        except NotEnoughPermissions as exc:  # the server lets a bot read only the channels it is in
            raise ConfigurationError("config.mattermost_not_member", channel=channel_id,
                                     bot=adapter.bot_username) from exc
        order = response.get("order") or []
        posts = response.get("posts") or {}
        for post in (posts[i] for i in order if i in posts):
            if post.get("create_at", 0) < oldest:
                return seen, captured
            seen += 1
            if progress:
                progress(1)
            tagger = _tagger(adapter, post)
            if tagger is None or post.get("type") or post.get("user_id") == adapter.bot_user_id:
                continue
            try:
                adapter.chat.capture(chat_message(post), tagger)
                captured += 1
            except LeerkringError as exc:
                log.info("backfill: post %s skipped (%s)", post.get("id"), exc.key)
        if len(order) < BACKFILL_PAGE:
            return seen, captured
        page += 1


def _tagger(adapter: MattermostAdapter, post: dict[str, Any]) -> str | None:
    """Who tagged `post` with a capture emoji (the first to), or None."""
    reactions = (post.get("metadata") or {}).get("reactions")
    if reactions is None and post.get("has_reactions"):
        reactions = adapter.driver.reactions.get_reactions(post["id"]) or []
    for reaction in reactions or []:
        if reaction.get("emoji_name") in adapter.emojis and reaction.get("user_id") != adapter.bot_user_id:
            return str(reaction["user_id"])
    return None


def run(core: Core, stop: threading.Event | None = None) -> None:
    """Run until stopped (or `stop` is set): websocket plus the HTTP listener on MATTERMOST_LISTEN."""
    bot = MattermostBot(core)
    host, _, port = core.settings.mattermost_listen.rpartition(":")
    bot.start_http(host or "0.0.0.0", int(port or 8080))
    bot.start_websocket()
    channels = parse_channels(core.settings.digest_channels, "mattermost")
    digest = DigestScheduler(core.service, "mattermost", channels,
                             lambda channel, text: bot.adapter.create_post(channel, text),
                             cron=core.settings.digest_cron, escape=escape)
    digest.start()
    followups = FollowUps(core.service, "mattermost", interval=core.settings.followup_seconds).start()
    log.info("mattermost: connected as @%s; listening on %s", bot.adapter.bot_username,
             core.settings.mattermost_listen)
    try:
        (stop or threading.Event()).wait()
    finally:
        digest.stop()
        followups.stop()
        bot.stop()
