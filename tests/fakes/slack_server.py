"""A loopback fake of Slack: Web API routes, the Socket Mode websocket and response_url, on 127.0.0.1:0.

The real slack_sdk / slack-bolt clients talk to it. It records every call so tests can assert what a
user would see. It holds the bot to the app's real contract, `slack-manifest.yml`: a Web API method whose
scope the manifest does not grant answers `missing_scope`, as Slack does, and an event the manifest does
not subscribe to is never delivered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from aiohttp import WSMsgType, web

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yml"

# The bot-token scope each Web API method needs (api.slack.com/methods); "{kind}" is the conversation's
# kind: channels, groups (private channels), im or mpim.
METHOD_SCOPES = {
    "chat.postMessage": "chat:write", "chat.postEphemeral": "chat:write", "chat.update": "chat:write",
    "chat.delete": "chat:write", "conversations.history": "{kind}:history",
    "conversations.replies": "{kind}:history", "conversations.info": "{kind}:read",
    "conversations.members": "{kind}:read", "conversations.open": "im:write", "users.info": "users:read",
    "users.list": "users:read", "reactions.get": "reactions:read", "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    # no scope: answered for any valid bot token (the app-level token for apps.connections.open)
    "auth.test": "", "chat.getPermalink": "", "views.open": "", "apps.connections.open": "",
    "oauth.v2.access": "",  # the app's client id and secret, not a token
}

BOT_USER = "UBOT"
TEAM = "T0001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str


def _page(messages: list[dict[str, Any]], p: dict[str, Any]) -> dict[str, Any]:
    """One page of a history as Slack pages it: `limit` messages from `cursor`, and the next cursor."""
    start, limit = int(p.get("cursor") or 0), min(int(p.get("limit") or 100), 1000)
    more = start + limit < len(messages)
    return {"ok": True, "messages": messages[start:start + limit], "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""}}


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    fail_next: dict[str, list[int]] = field(default_factory=dict)  # method -> status codes to answer first
    fail_after: dict[str, list[int]] = field(default_factory=dict)  # the same, but after doing the work
    port: int = 0
    manifest: Path = MANIFEST
    refused: list[tuple[str, str]] = field(default_factory=list)  # (method or event, what was missing)
    bot_token: str = "xoxb-test"  # the first workspace's bot token; any unknown token is invalid_auth, as on Slack
    app_token: str = "xapp-test"
    # more workspaces (OAuth installs): team id -> {"token", "name"}; a token works for its own team's channels
    # and users only, and for channels shared with its team (Slack Connect)
    teams: dict[str, dict[str, str]] = field(default_factory=dict)
    channel_teams: dict[str, set[str]] = field(default_factory=dict)
    user_teams: dict[str, str] = field(default_factory=dict)
    client_id: str = "111.222"
    client_secret: str = "app-geheim"
    codes: dict[str, str] = field(default_factory=dict)  # OAuth code -> the team that authorised the install

    def __post_init__(self) -> None:
        spec = yaml.safe_load(self.manifest.read_text(encoding="utf-8"))
        self.scopes = set(spec["oauth_config"]["scopes"]["bot"])
        self.bot_events = set(spec["settings"]["event_subscriptions"]["bot_events"])
        home = spec["features"].get("app_home") or {}
        # people can write to the bot only when the App Home's messages tab is on and not read-only
        self.messages_tab = bool(home.get("messages_tab_enabled")) and not home.get("messages_tab_read_only_enabled")
        self._loop = asyncio.new_event_loop()
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.teams.setdefault(TEAM, {"token": self.bot_token, "name": "Gemeenten"})

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "fake Slack did not start"
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/link/", self._websocket)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{id}", self._upload)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        async def close() -> None:
            for ws in list(self._sockets):
                await ws.close()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{uuid.uuid4().hex}"

    # -- world -----------------------------------------------------------------------------------
    def add_team(self, team_id: str, name: str, token: str) -> None:
        """Another workspace; the app gets `token` there once it is installed (an OAuth code from `authorise`)."""
        self.teams[team_id] = {"token": token, "name": name}

    def authorise(self, team_id: str) -> str:
        """An admin of `team_id` approved the install: the code Slack sends to the redirect URL."""
        code = uuid.uuid4().hex
        self.codes[code] = team_id
        return code

    def revoke(self, team_id: str) -> None:
        """The app was uninstalled there: its token no longer works."""
        self.teams[team_id]["token"] = "revoked-" + uuid.uuid4().hex

    def add_user(self, user_id: str, name: str, locale: str = "nl-NL", *, team: str = TEAM, **extra: Any) -> None:
        self.user_teams[user_id] = team
        self.users[user_id] = {"id": user_id, "name": name.lower().replace(" ", "."), "real_name": name,
                               "locale": locale, "is_bot": False, "deleted": False,
                               "profile": {"display_name": name, "real_name": name}, **extra}

    def add_channel(self, channel_id: str, name: str, members: list[str], *, private: bool = False,
                    im: bool = False, team: str = TEAM, shared_with: tuple[str, ...] = ()) -> None:
        self.channel_teams[channel_id] = {team, *shared_with}
        shared = {"is_shared": True, "is_ext_shared": True, "conversation_host_id": team} if shared_with else {}
        self.channels[channel_id] = {"id": channel_id, "name": name, "is_private": private, "is_im": im,
                                     "is_mpim": False, **shared}
        self.members[channel_id] = list(members)
        self.messages.setdefault(channel_id, [])

    def post(self, channel_id: str, user: str, text: str, *, thread_ts: str = "", **extra: Any) -> dict[str, Any]:
        ts = f"{1700000000 + next(self._ts)}.000100"
        message = {"type": "message", "user": user, "text": text, "ts": ts, **extra}
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = self.find(channel_id, thread_ts)
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def find(self, channel_id: str, ts: str) -> dict[str, Any]:
        return next(m for m in self.messages[channel_id] if m["ts"] == ts)

    # -- reading what happened -------------------------------------------------------------------
    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("timed out waiting for the bot")

    # -- socket mode -----------------------------------------------------------------------------
    def _kind(self, channel_id: str) -> str:
        channel = self.channels.get(channel_id, {})
        if channel.get("is_im"):
            return "im"
        if channel.get("is_mpim"):
            return "mpim"
        return "groups" if channel.get("is_private") else "channels"

    def _subscription(self, event: dict[str, Any]) -> str:
        """The manifest's name for an event: message.channels, message.im, reaction_added, ..."""
        if event.get("type") != "message":
            return str(event.get("type"))
        kind = {"channel": "channels", "group": "groups"}.get(event.get("channel_type", ""), event.get("channel_type"))
        return f"message.{kind or self._kind(event.get('channel', ''))}"

    def send(self, envelope_type: str, payload: dict[str, Any], *, envelope_id: str = "",
             retry_attempt: int = 0) -> str:
        """Push an envelope to every connected Socket Mode client; returns its envelope id. An event the
        manifest does not subscribe to is dropped, as Slack would never send it."""
        envelope_id = envelope_id or uuid.uuid4().hex
        if envelope_type == "events_api":
            subscription = self._subscription(payload.get("event", {}))
            if subscription not in self.bot_events:
                with self._lock:
                    self.refused.append((subscription, "not subscribed"))
                return envelope_id
            if subscription == "message.im" and not payload["event"].get("bot_id") and not self.messages_tab:
                with self._lock:  # Slack tells the person "sending messages to this app has been turned off"
                    self.refused.append((subscription, "App Home messages tab off"))
                return envelope_id
        envelope = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                    "accepts_response_payload": envelope_type != "events_api", "retry_attempt": retry_attempt,
                    "retry_reason": "timeout" if retry_attempt else ""}
        self.wait_for(lambda: self._sockets, timeout=15)

        async def push() -> None:
            for ws in list(self._sockets):
                await ws.send_str(json.dumps(envelope))

        asyncio.run_coroutine_threadsafe(push(), self._loop).result(10)
        return envelope_id

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A1"}}))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    with self._lock:
                        self.acks.append(json.loads(message.data))
        finally:
            self._sockets.remove(ws)
        return ws

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        with self._lock:
            self.uploads.append({"id": request.match_info["id"], "bytes": data})
        return web.Response(text="OK")

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.responses.append({**body, "response_id": request.match_info["id"]})
        return web.json_response({"ok": True})

    # -- web api ---------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.read()
        if request.content_type == "application/json":
            params = json.loads(raw or b"{}")
        else:
            params = dict(parse_qsl(raw.decode()))
            params.update(dict(request.query))
        for key in ("blocks", "view", "attachments", "metadata"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or params.get("token", "")
        with self._lock:
            self.calls.append(Call(method, params, token))
            failures = self.fail_next.get(method)
            status = failures.pop(0) if failures else 200
        if status == 429:
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        if status >= 500:
            return web.Response(status=status, text="upstream trouble")
        if method == "oauth.v2.access":
            return web.json_response(self.api_oauth_v2_access(params, request.headers.get("Authorization", "")))
        team = self._team_of_token(token)
        if method == "apps.connections.open" and token == self.app_token:
            team = TEAM
        elif team is None or method == "apps.connections.open":
            return web.json_response({"ok": False, "error": "invalid_auth" if token else "not_authed"})
        if not self._reachable(team, params):
            return web.json_response({"ok": False, "error": "channel_not_found"})
        needed = METHOD_SCOPES.get(method, "").format(kind=self._kind(str(params.get("channel", ""))))
        if method == "conversations.open" and "," in str(params.get("users", "")):
            needed = "mpim:write"
        if needed and needed not in self.scopes:
            with self._lock:
                self.refused.append((method, needed))
            return web.json_response({"ok": False, "error": "missing_scope", "needed": needed,
                                      "provided": ",".join(sorted(self.scopes))})
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": True})
        result = handler({**params, "_token": token} if method == "auth.test" else params)
        with self._lock:
            late = self.fail_after.get(method)
            late_status = late.pop(0) if late else 200
        if late_status >= 500:  # it was done, but the answer is lost on the way
            return web.Response(status=late_status, text="upstream trouble")
        return web.json_response(result)

    def _team_of_token(self, token: str) -> str | None:
        return next((team for team, info in self.teams.items() if token and info["token"] == token), None)

    def _reachable(self, team: str, p: dict[str, Any]) -> bool:
        """A token reaches its own team's channels and users, and channels shared with its team."""
        channel = str(p.get("channel", ""))
        if channel in self.channel_teams and team not in self.channel_teams[channel]:
            return False
        if channel.startswith("U") and self.user_teams.get(channel, team) != team:
            return False  # a direct message to someone outside the token's workspace
        users = [str(p.get("user", "")), *str(p.get("users", "")).split(",")]
        return all(self.user_teams.get(user, team) == team for user in users if user and not channel)

    def api_oauth_v2_access(self, p: dict[str, Any], authorization: str) -> dict[str, Any]:
        import base64

        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        sent = (p.get("client_id"), p.get("client_secret"))
        if authorization != f"Basic {expected}" and sent != (self.client_id, self.client_secret):
            return {"ok": False, "error": "invalid_client_id"}
        team = self.codes.pop(str(p.get("code", "")), None)  # a code works once
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        return {"ok": True, "app_id": "A1", "authed_user": {"id": "U0ADMIN"}, "scope": ",".join(sorted(self.scopes)),
                "token_type": "bot", "access_token": self.teams[team]["token"], "bot_user_id": BOT_USER,
                "team": {"id": team, "name": self.teams[team]["name"]}, "enterprise": None,
                "is_enterprise_install": False}

    def api_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        team = self._team_of_token(str(p.get("_token", ""))) or TEAM
        return {"ok": True, "url": "https://fake.slack.test/", "team": self.teams[team]["name"], "user": "leerkring",
                "team_id": team, "user_id": BOT_USER, "bot_id": "BBOT"}

    def api_apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4().hex}"}

    def api_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p["channel"]
        if channel.startswith("U"):  # a DM to a user
            channel = "D" + channel
            self.channels.setdefault(channel, {"id": channel, "name": "", "is_im": True, "is_private": True})
        message = self.post(channel, BOT_USER, p.get("text", ""), thread_ts=p.get("thread_ts", "") or "",
                            bot_id="BBOT", blocks=p.get("blocks"),
                            **({"metadata": p["metadata"]} if p.get("metadata") else {}))
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def api_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": f"{time.time():.6f}"}

    def api_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        stamp = p["message_ts"].replace(".", "")
        return {"ok": True, "channel": p["channel"],
                "permalink": f"https://gemeenten.slack.test/archives/{p['channel']}/p{stamp}"}

    def api_conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first, between `oldest` and `latest`, a page of `limit` at a time."""
        messages = [m for m in self.messages.get(p["channel"], []) if m.get("thread_ts", m["ts"]) == m["ts"]]
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
        if p.get("latest"):
            messages = [m for m in messages if float(m["ts"]) < float(p["latest"])
                        or (inclusive and m["ts"] == p["latest"])]
        if p.get("oldest"):
            messages = [m for m in messages if float(m["ts"]) > float(p["oldest"])
                        or (inclusive and m["ts"] == p["oldest"])]
        return _page(list(reversed(messages)), p)

    def api_conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        thread = [m for m in self.messages.get(p["channel"], [])
                  if m["ts"] == p["ts"] or m.get("thread_ts") == p["ts"]]
        if p.get("latest") and p.get("inclusive") and p.get("limit") in ("1", 1):
            thread = [m for m in self.messages.get(p["channel"], []) if m["ts"] == p["latest"]]
        return _page(thread, p)

    def api_conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self.channels.get(p["channel"])
        return {"ok": True, "channel": channel} if channel else {"ok": False, "error": "channel_not_found"}

    def api_conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["channel"] not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "members": self.members[p["channel"]], "response_metadata": {"next_cursor": ""}}

    def api_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = sorted(p["users"].split(","))
        channel_id = "G" + "".join(u[-3:] for u in users).upper()
        self.add_channel(channel_id, "", [*users, BOT_USER], private=True, team=self.user_teams.get(users[0], TEAM))
        return {"ok": True, "channel": {"id": channel_id}}

    def api_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(p["user"])
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def api_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        """Members a page at a time, as Slack pages them: `limit` per page, then `next_cursor`."""
        users = sorted(self.users.values(), key=lambda u: u["id"])
        start, limit = int(p.get("cursor") or 0), min(int(p.get("limit") or 100), 2)  # small pages, to page
        page = users[start:start + limit]
        following = str(start + limit) if start + limit < len(users) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": following}}

    def api_reactions_get(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self.find(p["channel"], p["timestamp"])
        return {"ok": True, "type": "message", "message": message}

    def api_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {**p["view"], "id": "V" + uuid.uuid4().hex[:8]}}

    def api_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = "F" + uuid.uuid4().hex[:8].upper()
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def api_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files or []]}
