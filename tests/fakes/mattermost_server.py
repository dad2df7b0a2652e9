"""A loopback fake of Mattermost: the REST v4 subset the bot uses and the websocket with the
authentication challenge and `hello`, on 127.0.0.1:0. The real mattermostautodriver talks to it."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT = "botuserid000000000000000000"
TEAM = "teamid00000000000000000000"


@dataclass
class Call:
    method: str
    path: str
    body: Any


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # The drivers compare Content-Type with "application/json" exactly: no charset.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


@dataclass
class FakeMattermost:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    reactions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    dialogs: list[dict[str, Any]] = field(default_factory=list)  # dialogs opened
    triggers: set[str] = field(default_factory=set)  # trigger ids issued and not used yet
    calls: list[Call] = field(default_factory=list)
    fail_next: dict[str, list[int]] = field(default_factory=dict)  # "POST /api/v4/posts" -> statuses
    token: str = "bot-token"
    websocket_down: bool = False  # while True, websocket connections are refused with a 503
    websocket_refusals: int = 0
    port: int = 0
    chaos: float = 0.0  # share of POST /posts answered with 500, 503 or 429 (sustained-fault runs)
    slow: float = 0.0  # share of requests answered after `slow_seconds`
    slow_seconds: float = 2.0

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._random = random.Random(3)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.add_user(BOT, "leerkring", is_bot=True)
        self.teams = {TEAM: {"id": TEAM, "name": "gemeenten", "display_name": "Gemeenten"}}

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeMattermost:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/api/v4/websocket", self._websocket)
        app.router.add_route("*", "/api/v4/{path:.*}", self._api)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        self.drop_websockets()
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- world -----------------------------------------------------------------------------------
    def add_user(self, user_id: str, username: str, *, locale: str = "nl", is_bot: bool = False,
                 first: str = "", last: str = "", admin: bool = False) -> None:
        self.users[user_id] = {"id": user_id, "username": username, "first_name": first, "last_name": last,
                               "locale": locale, "is_bot": is_bot, "delete_at": 0,
                               "roles": "system_user system_admin" if admin else "system_user"}

    def add_channel(self, channel_id: str, name: str, kind: str, members: list[str], *, bot: bool = True) -> None:
        """A channel; the bot is a member unless `bot` is False (then the server refuses it the channel's posts)."""
        self.channels[channel_id] = {"id": channel_id, "name": name, "display_name": name, "type": kind,
                                     "team_id": TEAM if kind in "OP" else ""}
        self.members[channel_id] = set(members) | ({BOT} if bot else set())

    def new_post(self, channel_id: str, user_id: str, message: str, root_id: str = "") -> dict[str, Any]:
        now = int(time.time() * 1000) + next(self._seq)
        post = {"id": uuid.uuid4().hex[:26], "channel_id": channel_id, "user_id": user_id, "message": message,
                "root_id": root_id, "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0,
                "type": "", "props": {}, "received": time.monotonic()}
        self.posts[post["id"]] = post
        return post

    # -- events ----------------------------------------------------------------------------------
    def broadcast(self, event: str, data: dict[str, Any], channel_id: str = "") -> None:
        message = {"event": event, "data": data, "broadcast": {"channel_id": channel_id, "team_id": TEAM},
                   "seq": next(self._seq)}
        self.wait_for(lambda: self._sockets)

        async def push() -> None:
            for ws in list(self._sockets):
                await ws.send_str(json.dumps(message))

        asyncio.run_coroutine_threadsafe(push(), self._loop).result(10)

    def user_posts(self, channel_id: str, user_id: str, message: str, root_id: str = "",
                   mentions: list[str] | None = None) -> dict[str, Any]:
        """A person posts: stored, then broadcast as `posted` (as the server does)."""
        post = self.new_post(channel_id, user_id, message, root_id)
        data: dict[str, Any] = {"post": json.dumps(post), "channel_type": self.channels[channel_id]["type"],
                                "sender_name": "@" + self.users[user_id]["username"], "team_id": TEAM}
        if mentions:
            data["mentions"] = json.dumps(mentions)
        self.broadcast("posted", data, channel_id)
        return post

    def react(self, user_id: str, post_id: str, emoji: str = "bulb", *, removed: bool = False) -> None:
        reaction = {"user_id": user_id, "post_id": post_id, "emoji_name": emoji,
                    "create_at": int(time.time() * 1000)}
        if removed:
            self.reactions[post_id] = [r for r in self.reactions.get(post_id, [])
                                       if not (r["user_id"] == user_id and r["emoji_name"] == emoji)]
        else:
            self.reactions.setdefault(post_id, []).append(reaction)
        self.broadcast("reaction_removed" if removed else "reaction_added", {"reaction": json.dumps(reaction)},
                       self.posts[post_id]["channel_id"])

    def drop_websockets(self) -> None:
        async def close() -> None:
            for ws in list(self._sockets):
                await ws.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)

    def connections(self) -> int:
        return len(self._sockets)

    # -- reading what happened -------------------------------------------------------------------
    def bot_posts(self) -> list[dict[str, Any]]:
        return [p for p in self.posts.values() if p["user_id"] == BOT]

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("timed out waiting for the bot")

    # -- websocket -------------------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if self.websocket_down:  # a server restarting behind its proxy
            self.websocket_refusals += 1
            return web.Response(status=503, text="restarting")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if data.get("action") == "authentication_challenge":
                    if data.get("data", {}).get("token") != self.token:
                        await ws.close()
                        break
                    await ws.send_str(json.dumps({"status": "OK", "seq_reply": data.get("seq")}))
                    await ws.send_str(json.dumps({"event": "hello", "data": {"server_version": "10.0.0"},
                                                  "broadcast": {"user_id": BOT}, "seq": 0}))
                    self._sockets.append(ws)
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    # -- REST ------------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            upload = form["files"]
            data = upload.file.read()  # type: ignore[union-attr]
            with self._lock:
                self.uploads.append({"channel_id": form.get("channel_id"), "bytes": data})
            return _json({"file_infos": [{"id": uuid.uuid4().hex[:26], "name": upload.filename}]}, 201)  # type: ignore[union-attr]
        raw = await request.read()
        body = json.loads(raw) if raw else None
        key = f"{request.method} /api/v4{path}"
        with self._lock:
            self.calls.append(Call(request.method, path, body))
            failures = self.fail_next.get(key)
            status = failures.pop(0) if failures else 200
            if status == 200 and self.chaos and key == "POST /api/v4/posts" and self._random.random() < self.chaos:
                status = self._random.choice([500, 503, 429])
            delay = self.slow_seconds if self.slow and self._random.random() < self.slow else 0.0
        if delay:
            await asyncio.sleep(delay)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"id": "api.context.session_expired.app_error", "message": "Invalid session",
                          "status_code": 401}, 401)
        if status == 429:
            return _json({"message": "Too many requests", "status_code": 429}, 429, {"Retry-After": "1"})
        if status >= 500:
            return _json({"message": "Server trouble", "status_code": status}, status)
        parts = path.strip("/").split("/")
        method = request.method
        try:
            if not self._bot_may(method, parts, body):
                return _json({"id": "api.context.permissions.app_error", "status_code": 403,
                              "message": "You do not have the appropriate permissions.", "detailed_error": "",
                              "request_id": uuid.uuid4().hex[:26]}, 403)
            if method == "GET" and len(parts) == 3 and parts[0] == "channels" and parts[2] == "posts":
                return self._channel_posts(parts[1], request.query)
            return self._route(method, parts, body)
        except KeyError:
            return _json({"id": "app.not_found", "message": "Not found", "status_code": 404}, 404)

    def _bot_may(self, method: str, parts: list[str], body: Any) -> bool:
        """A bot account without system-admin rights reads and posts only in channels it is a member of."""
        channel = None
        match parts:
            case ["channels", channel_id, "posts"]:
                channel = channel_id
            case ["posts"] if method == "POST":
                channel = (body or {}).get("channel_id")
            case ["posts", "ephemeral"]:
                channel = ((body or {}).get("post") or {}).get("channel_id")
            case ["posts", post_id, *_] if post_id in self.posts:
                channel = self.posts[post_id]["channel_id"]
        return channel is None or BOT in self.members.get(channel, {BOT})

    def issue_trigger(self) -> str:
        """A trigger id, as the server puts in a slash command or button request; it opens one dialog."""
        trigger = uuid.uuid4().hex
        with self._lock:
            self.triggers.add(trigger)
        return trigger

    def _open_dialog(self, body: dict[str, Any]) -> web.Response:
        """POST actions/dialogs/open, checked as the server checks it: a trigger id it issued (once), a url,
        a title and labels of at most 24 characters, known element types and the length limits."""
        dialog = body.get("dialog") or {}
        problems = []
        with self._lock:
            if body.get("trigger_id") not in self.triggers:
                problems.append("api.interactive_message.decode_trigger_id.expired")
            self.triggers.discard(body.get("trigger_id"))
        if not body.get("url"):
            problems.append("url missing")
        if not dialog.get("title") or len(dialog["title"]) > 24:
            problems.append("title")
        for element in dialog.get("elements") or []:
            limit = {"text": 150, "textarea": 3000}.get(element.get("type"))
            if element.get("type") not in ("text", "textarea", "select", "bool", "radio"):
                problems.append(f"type of {element.get('name')}")
            if not element.get("name") or not element.get("display_name") or len(element["display_name"]) > 24:
                problems.append(f"name or display_name of {element.get('name')}")
            if limit and (element.get("max_length", 0) > limit or len(element.get("default") or "") > limit):
                problems.append(f"length of {element.get('name')}")
            if element.get("type") == "select" and not (element.get("options") or element.get("data_source")):
                problems.append(f"options of {element.get('name')}")
        if problems:
            return _json({"id": "api.dialog.invalid", "message": "; ".join(problems), "status_code": 400}, 400)
        with self._lock:
            self.dialogs.append(body)
        return _json({"status": "OK"})

    def _channel_posts(self, channel_id: str, query: Any) -> web.Response:
        """GET channels/{id}/posts: a page of the channel's posts (replies included), newest first, each
        with its reactions in `metadata` as the server adds them."""
        page, per_page = int(query.get("page", 0)), min(int(query.get("per_page", 60)), 200)
        posts = sorted((p for p in self.posts.values() if p["channel_id"] == channel_id),
                       key=lambda p: -p["create_at"])[page * per_page:(page + 1) * per_page]
        shown = {p["id"]: {**p, "metadata": {"reactions": self.reactions.get(p["id"], [])}} for p in posts}
        return _json({"order": [p["id"] for p in posts], "posts": shown, "next_post_id": "", "prev_post_id": ""})

    def _route(self, method: str, parts: list[str], body: Any) -> web.Response:
        match parts:
            case ["users", "me"]:
                return _json(self.users[BOT])
            case ["users", "username", name]:
                return _json(next(u for u in self.users.values() if u["username"] == name))
            case ["users", user_id]:
                return _json(self.users[user_id])
            case ["channels", "direct"]:
                return _json(self._group(body, "D"))
            case ["channels", "group"]:
                return _json(self._group(body))
            case ["channels", channel_id, "members", user_id]:
                if user_id not in self.members[channel_id]:
                    raise KeyError(user_id)
                return _json({"channel_id": channel_id, "user_id": user_id})
            case ["channels", channel_id]:
                return _json(self.channels[channel_id])
            case ["teams", team_id]:
                return _json(self.teams[team_id])
            case ["posts", "ephemeral"] if method == "POST":
                with self._lock:
                    self.ephemeral.append(body)
                return _json({**body["post"], "id": uuid.uuid4().hex[:26]})
            case ["posts"] if method == "POST":
                pending = body.get("pending_post_id")
                same = [p for p in self.posts.values() if pending and p.get("pending_post_id") == pending]
                if same:  # Mattermost drops a repeated pending_post_id and returns the first post
                    return _json(same[0], 201)
                post = self.new_post(body["channel_id"], BOT, body.get("message", ""), body.get("root_id") or "")
                post["props"] = body.get("props") or {}
                post["file_ids"] = body.get("file_ids") or []
                post["pending_post_id"] = pending or ""
                return _json(post, 201)
            case ["posts", post_id, "thread"]:
                root = self.posts[post_id]
                root_id = root["root_id"] or root["id"]
                thread = {p["id"]: p for p in self.posts.values() if p["id"] == root_id or p["root_id"] == root_id}
                return _json({"order": list(thread), "posts": thread})
            case ["posts", post_id, "reactions"]:
                return _json(self.reactions.get(post_id, []))
            case ["posts", post_id]:
                return _json(self.posts[post_id])
            case ["actions", "dialogs", "open"] if method == "POST":
                return self._open_dialog(body)
            case ["system", "ping"]:
                return _json({"status": "OK"})
        raise KeyError("/".join(parts))

    def _group(self, users: list[str], kind: str = "G") -> dict[str, Any]:
        channel_id = kind.lower() + uuid.uuid4().hex[:25]
        self.add_channel(channel_id, "", kind, list(users))
        return self.channels[channel_id]
