"""Run the Slack bot: Socket Mode (default, works behind a firewall) or HTTP mode, and backfill."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.bootstrap import App as Core
from bot.config import Settings
from bot.digest import DigestScheduler, parse_channels
from bot.errors import ConfigurationError, LeerkringError
from bot.followup import FollowUps
from bot.handlers.common import QuietHandler, ThreadingWSGIServer
from bot.handlers.slack.adapter import SlackAdapter
from bot.observe import health_and_metrics

log = logging.getLogger(__name__)


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient on the configured API URL that retries on 429 (Retry-After), 5xx and dropped connections."""
    if token is None:
        if settings.slack_bot_token is None:
            raise ConfigurationError("config.slack_token")
        token = settings.slack_bot_token.get_secret_value()
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(token=token, base_url=base_url, retry_handlers=[
        RateLimitErrorRetryHandler(max_retry_count=8), ServerErrorRetryHandler(max_retry_count=6),
        ConnectionErrorRetryHandler(max_retry_count=6)])


def check_token(client: WebClient, api_url: str) -> dict[str, Any]:
    """Ask Slack who the bot token belongs to (auth.test); a refused token or an unreachable API is a
    ConfigurationError that names SLACK_BOT_TOKEN or SLACK_API_URL."""
    sdk_log = logging.getLogger("slack_sdk.web.base_client")
    level = sdk_log.level
    sdk_log.setLevel(logging.CRITICAL)  # its own line per failed attempt would bury the one that says why
    try:
        return dict(client.auth_test().data)  # type: ignore[arg-type]
    except SlackApiError as exc:
        raise ConfigurationError("config.slack_refused", error=exc.response.get("error", "?"),
                                 setting="SLACK_BOT_TOKEN") from exc
    except OSError as exc:  # refused, unresolvable, timed out (after the client's retries)
        reason = getattr(exc, "reason", None) or exc
        raise ConfigurationError("config.unreachable", service="Slack", address=api_url, setting="SLACK_API_URL",
                                 reason=str(reason) or type(exc).__name__) from exc
    finally:
        sdk_log.setLevel(level)


def probe_client(settings: Settings) -> WebClient:
    """A client that asks once, without retries: at start a Slack that cannot be reached is said at once."""
    if settings.slack_bot_token is None:
        raise ConfigurationError("config.slack_token")
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=base_url, timeout=10,
                     retry_handlers=[])


def preflight(settings: Settings) -> None:
    """Before anything loads: every setting the mode needs is there and Slack accepts both tokens."""
    if settings.slack_client_id and settings.slack_bot_token is None:  # each workspace's token comes at install
        if settings.slack_mode != "http" or settings.slack_signing_secret is None:
            raise ConfigurationError("config.slack_oauth_http")
        if settings.slack_client_secret is None:
            raise ConfigurationError("config.slack_client_secret")
        return
    client = probe_client(settings)
    check_token(client, settings.slack_api_url)
    if settings.slack_mode == "http":
        if settings.slack_signing_secret is None:
            raise ConfigurationError("config.slack_signing_secret")
        return
    if settings.slack_app_token is None:
        raise ConfigurationError("config.slack_app_token")
    try:  # a connection URL nobody uses expires by itself
        client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value())
    except SlackApiError as exc:
        raise ConfigurationError("config.slack_refused", error=exc.response.get("error", "?"),
                                 setting="SLACK_APP_TOKEN") from exc


def build_bolt(core: Core, *, client: WebClient | None = None, http: bool = False) -> tuple[App, SlackAdapter]:
    """The bolt App with Leerkring's listeners. In Socket Mode requests are not signed. With SLACK_CLIENT_ID
    (HTTP mode) one app serves every workspace that installs it."""
    settings = core.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if http and not secret:
        raise ConfigurationError("config.slack_signing_secret")
    if settings.slack_client_id:
        return build_multi_workspace_bolt(core, secret)
    client = client or web_client(settings)
    check_token(client, settings.slack_api_url)
    bolt = App(client=client, signing_secret=secret or "unused-in-socket-mode",
               request_verification_enabled=http, name="leerkring")
    return bolt, SlackAdapter(core, bolt)


def build_multi_workspace_bolt(core: Core, secret: str | None) -> tuple[App, SlackAdapter]:
    """slack-bolt's OAuth flow (`/slack/install`, `/slack/oauth_redirect`) with slack_sdk's SQLAlchemy
    installation and state stores in Leerkring's database; every call carries its workspace's token."""
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    from bot.handlers.slack.workspaces import BOT_SCOPES, Installations, RoutingClient

    settings = core.settings
    if settings.slack_mode != "http" or not secret:
        raise ConfigurationError("config.slack_oauth_http")
    if settings.slack_client_secret is None:
        raise ConfigurationError("config.slack_client_secret")
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    installations = Installations(settings.slack_client_id, core.db.engine, base_url)
    client = RoutingClient(installations, base_url=base_url, retry_handlers=[
        RateLimitErrorRetryHandler(max_retry_count=8), ServerErrorRetryHandler(max_retry_count=6),
        ConnectionErrorRetryHandler(max_retry_count=6)])
    oauth = OAuthSettings(client_id=settings.slack_client_id,
                          client_secret=settings.slack_client_secret.get_secret_value(), scopes=list(BOT_SCOPES),
                          installation_store=installations.store, state_store=installations.states,
                          authorization_url=settings.slack_authorize_url)
    bolt = App(client=client, signing_secret=secret, oauth_settings=oauth, name="leerkring")
    return bolt, SlackAdapter(core, bolt, installations)


def socket_mode_handler(bolt: App, app_token: str) -> SocketModeHandler:
    return SocketModeHandler(bolt, app_token=app_token)


def wsgi_app(bolt: App) -> Callable[..., Iterable[bytes]]:
    """Events, commands and interactivity on `/slack/events`; with one app for many workspaces also
    `/slack/install` and `/slack/oauth_redirect`; `/healthz` and `/metrics`."""
    handler = SlackRequestHandler(bolt)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answered = health_and_metrics(environ, start_response)
        if answered is not None:
            return answered
        if environ.get("PATH_INFO") not in ("/slack/events", "/slack/install", "/slack/oauth_redirect"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        return handler(environ, start_response)

    return application


def http_server(bolt: App, host: str, port: int) -> WSGIServer:
    return make_server(host, port, wsgi_app(bolt), server_class=ThreadingWSGIServer, handler_class=QuietHandler)


def run(core: Core, stop: threading.Event | None = None) -> None:
    """Run until stopped (or `stop` is set), in the mode the settings ask for."""
    settings = core.settings
    stop = stop or threading.Event()
    if settings.slack_mode == "http":
        bolt, _ = build_bolt(core, http=True)
        server = http_server(bolt, "0.0.0.0", settings.slack_port)
        log.info("slack: HTTP mode on port %d (/slack/events, /healthz)", settings.slack_port)
        threading.Thread(target=server.serve_forever, name="slack-http", daemon=True).start()
        closers: list[Callable[[], None]] = [server.shutdown, server.server_close]
    else:
        if settings.slack_app_token is None:
            raise ConfigurationError("config.slack_app_token")
        bolt, _ = build_bolt(core)
        handler = socket_mode_handler(bolt, settings.slack_app_token.get_secret_value())
        try:
            handler.connect()
        except SlackApiError as exc:  # apps.connections.open refused the app-level token
            raise ConfigurationError("config.slack_refused", error=exc.response.get("error", "?"),
                                     setting="SLACK_APP_TOKEN") from exc
        log.info("slack: Socket Mode")
        closers = [lambda: _close_within(handler.close, 10)]
    digest = start_digest(core, bolt)
    followups = FollowUps(core.service, "slack", interval=settings.followup_seconds).start()
    try:
        stop.wait()
    finally:
        digest.stop()
        followups.stop()
        for close in closers:
            close()


def _close_within(close: Callable[[], None], seconds: float) -> None:
    """slack_sdk's Socket Mode client can wait forever in close() on a thread blocked reading the socket."""
    closer = threading.Thread(target=close, daemon=True)
    closer.start()
    closer.join(seconds)


def start_digest(core: Core, bolt: App) -> DigestScheduler:
    """The weekly digest for the Slack channels in LEERKRING_DIGEST_CHANNELS."""
    from bot.handlers.slack.blocks import escape

    scheduler = DigestScheduler(core.service, "slack", parse_channels(core.settings.digest_channels, "slack"),
                                lambda channel, text: bolt.client.chat_postMessage(channel=channel, text=text),
                                cron=core.settings.digest_cron, escape=escape)
    scheduler.start()
    return scheduler


def backfill(core: Core, adapter: SlackAdapter, channel: str, since: datetime | None,
             progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Capture every message in a channel's history that carries a capture emoji, replies in threads
    included (a tagged thread parent becomes the thread's story), page by page.

    Re-running is safe (the same message updates its one lesson); rate limits are retried by the client.
    Returns (messages seen, lessons captured).
    """
    client = adapter.bolt.client
    team_id = client.auth_test().get("team_id", "")
    cursor = None
    seen = captured = 0
    while True:
        response = client.conversations_history(channel=channel, cursor=cursor, limit=200,
                                                oldest=str(since.timestamp()) if since else "0")
        for message in response.get("messages") or []:
            replies = adapter.gateway.thread(channel, message["ts"])[1:] if message.get("reply_count") else []
            for each in (message, *replies):
                seen += 1
                captured += _backfill_one(adapter, team_id, channel, each)
                if progress:
                    progress(1)
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return seen, captured


def _backfill_one(adapter: SlackAdapter, team_id: str, channel: str, message: dict[str, Any]) -> int:
    """Capture one message of the history if someone tagged it; 1 when it was captured."""
    taggers = [user for reaction in message.get("reactions") or []
               if reaction.get("name") in adapter.emojis for user in reaction.get("users") or []]
    if not taggers or not message.get("text"):
        return 0
    try:
        adapter.capture_message(team_id=team_id, channel_id=channel, message=dict(message), tagger=taggers[0])
        return 1
    except LeerkringError as exc:
        log.info("backfill: message %s skipped (%s)", message.get("ts"), exc.key)
        return 0


