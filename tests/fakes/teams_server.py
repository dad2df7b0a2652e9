"""A loopback Microsoft Teams for the bot's tests: the Bot Framework connector (conversations, activities,
members) at a service URL, the identity platform's token endpoint, and the channel's OpenID metadata and
signing keys. The real Teams SDK talks to it.

It holds the bot to Teams' contract:
- every activity it posts to the bot carries a JWT signed with its published key, for the bot's app id and
  the activity's serviceUrl (or, when a test asks, a forged, expired or foreign one);
- every connector call needs the bot's own token from the token endpoint (client id and secret checked);
- a reply goes into an existing reply chain, a targeted message to a member of the conversation, a personal
  chat is with someone of the same organisation, a card is an Adaptive Card Teams renders (version <= 1.5),
  a message stays within Teams' 100 KB (UTF-16, base64 images not counted; else 413 MessageSizeTooBig),
  every `<at>name</at>` has its mention entity;
- it can throttle (429 with Retry-After) or fail (5xx) the next calls, and it records what it refused.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

APP_ID = "00000000-0000-4000-8000-00000000b0b0"
APP_PASSWORD = "teams-geheim-voor-tests"
BOT = "28:" + APP_ID
TENANT = "tenant-oost"
ISSUER = "https://api.botframework.com"
MAX_MESSAGE = 100_000  # bytes of the payload as UTF-16, base64 images not counted
_DATA_URI = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")
_AT = re.compile(r"<at>(.*?)</at>", re.S)


class FakeTeams:
    def __init__(self) -> None:
        self.channel_key = RSAKey.generate_key(2048, parameters={"kid": "kanaal-1", "use": "sig"})
        self.forged_key = RSAKey.generate_key(2048, parameters={"kid": "kanaal-1", "use": "sig"})
        self.token_key = RSAKey.generate_key(2048, parameters={"kid": "token-1"})
        self.users: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}  # base id -> type, name, members, tenant, team
        self.messages: dict[str, list[dict[str, Any]]] = {}  # base id -> messages (people's and the bot's)
        self.failures: list[tuple[int, dict[str, str]]] = []  # the next connector calls' failures
        self.calls: list[tuple[str, str, int]] = []  # method, path, status
        self.refused: list[str] = []
        self.tokens_issued = 0
        self.bot_url = ""
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.service_url = f"{self.url}/teams/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- set-up ------------------------------------------------------------------------------------
    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def settings(self) -> dict[str, Any]:
        """What the bot's settings say to use this Teams."""
        from pydantic import SecretStr

        return {"teams_app_id": APP_ID, "teams_app_password": SecretStr(APP_PASSWORD),
                "teams_login_url": self.url,
                "teams_openid_metadata_url": f"{self.url}/v1/.well-known/openidconfiguration",
                "teams_token_issuer": ISSUER, "teams_listen": "127.0.0.1:0"}

    def add_user(self, user_id: str, name: str, *, aad: str = "", tenant: str = TENANT, locale: str = "nl-NL") -> None:
        self.users[user_id] = {"id": user_id, "name": name, "aadObjectId": aad or f"aad-{user_id.split(':')[-1]}",
                               "tenant": tenant, "locale": locale}

    def add_channel(self, channel_id: str, name: str, members: list[str], *, kind: str = "standard",
                    team: str = "19:team-oost@thread.tacv2", team_name: str = "Gemeenten Oost",
                    tenant: str = TENANT) -> None:
        self.conversations[channel_id] = {"type": "channel", "name": name, "channel_type": kind,
                                          "members": set(members) | {BOT}, "tenant": tenant, "team": team,
                                          "team_name": team_name, "group": f"group-{team.split(':')[-1][:8]}"}
        self.messages.setdefault(channel_id, [])

    def add_group_chat(self, chat_id: str, members: list[str], tenant: str = TENANT) -> None:
        self.conversations[chat_id] = {"type": "groupChat", "name": "", "members": set(members) | {BOT},
                                       "tenant": tenant}
        self.messages.setdefault(chat_id, [])

    # -- tokens --------------------------------------------------------------------------------------
    def channel_token(self, service_url: str, *, tamper: str = "") -> str:
        """The JWT Teams' channel service puts on an activity it posts to the bot."""
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "nbf": now - 5, "iat": now - 5,
                  "exp": now + 3600}
        if tamper == "expired":
            claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
        if tamper == "audience":
            claims["aud"] = "een-andere-bot"
        if tamper == "issuer":
            claims["iss"] = "https://ergens-anders.example"
        key = self.forged_key if tamper == "signature" else self.channel_key
        return jwt.encode({"alg": "RS256", "kid": "kanaal-1", "typ": "JWT"}, claims, key)

    def _bot_token_ok(self, header: str) -> bool:
        if not header.startswith("Bearer "):
            return False
        try:
            token = jwt.decode(header.removeprefix("Bearer "), self.token_key)
        except Exception:
            return False
        claims = token.claims
        return claims.get("appid") == APP_ID and claims.get("aud") == "https://api.botframework.com" \
            and int(claims.get("exp", 0)) > time.time()

    # -- people act ----------------------------------------------------------------------------------
    def activity(self, user_id: str, conversation: str, **fields: Any) -> dict[str, Any]:
        """An activity from `user_id` in a conversation (a channel, a group chat or a personal chat), as
        Teams shapes it."""
        info = self.conversations[conversation]
        user = self.users[user_id]
        data: dict[str, Any] = {"tenant": {"id": info["tenant"]}}
        if info["type"] == "channel":
            data["team"] = {"id": info["team"], "name": info["team_name"], "aadGroupId": info["group"]}
            data["channel"] = {"id": conversation, "name": info["name"], "type": info["channel_type"]}
        return {"id": str(int(time.time() * 1000)) + uuid.uuid4().hex[:4], "channelId": "msteams",
                "serviceUrl": self.service_url, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "from": {"id": user_id, "name": user["name"], "aadObjectId": user["aadObjectId"]},
                "recipient": {"id": BOT, "name": "Leerkring"}, "locale": user["locale"],
                "conversation": {"id": conversation, "conversationType": info["type"], "tenantId": info["tenant"],
                                 "isGroup": info["type"] != "personal"},
                "channelData": data, **fields}

    def post(self, user_id: str, conversation: str, text: str, *, root: str = "", mention_bot: bool = False,
             deliver: bool = True) -> dict[str, Any]:
        """Someone posts in a channel or chat; Teams delivers it to the bot (resource-specific consent lets
        a bot read every message of the channels and chats it is in)."""
        message_id = f"{int(time.time() * 1000)}{len(self.messages[conversation]):04d}"
        entities = []
        if mention_bot:
            text = f"<at>Leerkring</at> {text}"
            entities.append({"type": "mention", "text": "<at>Leerkring</at>",
                             "mentioned": {"id": BOT, "name": "Leerkring"}})
        for name in _AT.findall(text):
            found = next((u for u in self.users.values() if u["name"] == name), None)
            if found:
                entities.append({"type": "mention", "text": f"<at>{name}</at>",
                                 "mentioned": {"id": found["id"], "name": name}})
        message = {"id": message_id, "from": user_id, "text": text, "root": root or message_id,
                   "entities": entities, "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
        with self._lock:
            self.messages[conversation].append(message)
        if deliver:
            info = self.conversations[conversation]
            conv = f"{conversation};messageid={message['root']}" if info["type"] == "channel" else conversation
            activity = self.activity(user_id, conversation, type="message", text=text, entities=entities,
                                     id=message_id, textFormat="plain")
            activity["conversation"]["id"] = conv
            if root:
                activity["replyToId"] = root
            self.deliver(activity)
        return message

    def find(self, conversation: str, message_id: str) -> dict[str, Any]:
        return next(m for m in self.messages[conversation] if m["id"] == message_id)

    def deliver(self, activity: dict[str, Any], *, tamper: str = "", token: bool = True) -> tuple[int, Any]:
        """POST an activity to the bot's messaging endpoint, as Teams does; (status, body)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + self.channel_token(activity.get("serviceUrl", self.service_url),
                                                                      tamper=tamper)
        request = urllib.request.Request(self.bot_url, data=json.dumps(activity).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, None

    # -- what the bot posted -----------------------------------------------------------------------
    def bot_messages(self, conversation: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.get(conversation, []) if m["from"] == BOT]

    def personal_chat(self, user_id: str) -> str:
        return next((c for c, info in self.conversations.items()
                     if info["type"] == "personal" and info["members"] == {user_id, BOT}), "")

    # -- the connector and the identity platform ----------------------------------------------------
    def _refuse(self, why: str) -> None:
        self.refused.append(why)

    def _check_activity(self, conversation: str, body: dict[str, Any], targeted: bool) -> str:
        """Why Teams would refuse or mangle this activity ("" when it would not)."""
        info = self.conversations.get(conversation)
        if info is None or BOT not in info["members"]:
            return f"the bot is not in conversation {conversation}"
        if len(_DATA_URI.sub("", json.dumps(body, ensure_ascii=False)).encode("utf-16-le")) > MAX_MESSAGE:
            return "a message over 100 KB"
        for attachment in body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                card = attachment.get("content") or {}
                if card.get("type") != "AdaptiveCard" or float(card.get("version", "9")) > 1.5:
                    return "a card Teams does not render"
                named = {e["mentioned"]["name"] for e in (card.get("msteams") or {}).get("entities") or []}
                missing = set(_AT.findall(json.dumps(card.get("body"), ensure_ascii=False))) - named
                if missing:
                    return f"a card mentions {missing} without a mention entity"
        named = {(e.get("mentioned") or {}).get("name") for e in body.get("entities") or []}
        missing = set(_AT.findall(body.get("text") or "")) - named
        if missing:
            return f"a message mentions {missing} without a mention entity"
        if targeted:
            recipient = (body.get("recipient") or {}).get("id")
            if recipient not in info["members"]:
                return f"a targeted message to {recipient}, who is not in {conversation}"
        return ""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, body: object, status: int = 200, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
                fake.calls.append((self.command, self.path, status))

            def _body(self) -> Any:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                return raw

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/v1/.well-known/openidconfiguration":
                    self._json({"issuer": ISSUER, "jwks_uri": f"{fake.url}/v1/.well-known/keys",
                                "id_token_signing_alg_values_supported": ["RS256"]})
                    return
                if url.path == "/v1/.well-known/keys":
                    key = fake.channel_key.as_dict(private=False)
                    self._json({"keys": [{**key, "endorsements": ["msteams"]}]})
                    return
                match = re.fullmatch(r"/teams/v3/conversations/([^/]+)/members/([^/]+)", url.path)
                if match:
                    if not fake._bot_token_ok(self.headers.get("Authorization", "")):
                        self._json({"error": {"code": "Unauthorized"}}, 401)
                        return
                    conversation, member = unquote(match.group(1)).split(";")[0], unquote(match.group(2))
                    info = fake.conversations.get(conversation)
                    if info is None or member not in info["members"]:
                        self._json({"error": {"code": "MemberNotFoundInConversation"}}, 404)
                        return
                    user = fake.users[member]
                    self._json({"id": member, "name": user["name"], "aadObjectId": user["aadObjectId"],
                                "tenantId": user["tenant"]})
                    return
                self._json({"error": "not found"}, 404)

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                raw = self._body()
                token_path = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", url.path)
                if token_path:
                    form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                    if form.get("client_id") != APP_ID or form.get("client_secret") != APP_PASSWORD \
                            or form.get("grant_type") != "client_credentials":
                        self._json({"error": "invalid_client"}, 401)
                        return
                    fake.tokens_issued += 1
                    now = int(time.time())
                    token = jwt.encode({"alg": "RS256", "kid": "token-1"}, {
                        "aud": form.get("scope", "").removesuffix("/.default"), "appid": APP_ID,
                        "iss": f"{fake.url}/{token_path.group(1)}/v2.0", "iat": now, "exp": now + 3600},
                        fake.token_key)
                    self._json({"token_type": "Bearer", "expires_in": 3600, "access_token": token})
                    return
                if not url.path.startswith("/teams/v3/conversations"):
                    self._json({"error": "not found"}, 404)
                    return
                if not fake._bot_token_ok(self.headers.get("Authorization", "")):
                    self._json({"error": {"code": "Unauthorized", "message": "bad token"}}, 401)
                    return
                with fake._lock:
                    failure = fake.failures.pop(0) if fake.failures else None
                if failure is not None:
                    self._json({"error": {"code": "ServiceError"}}, failure[0], failure[1])
                    return
                body = json.loads(raw or b"{}")
                if url.path == "/teams/v3/conversations":
                    self._create(body)
                    return
                match = re.fullmatch(r"/teams/v3/conversations/([^/]+)/activities(?:/([^/]+))?", url.path)
                if not match:
                    self._json({"error": "not found"}, 404)
                    return
                self._activity(unquote(match.group(1)), body, parse_qs(url.query).get("isTargetedActivity") ==
                               ["true"], unquote(match.group(2) or ""))

            def _create(self, body: dict[str, Any]) -> None:
                members = [m.get("id") for m in body.get("members") or []]
                tenant = body.get("tenantId") or (body.get("channelData") or {}).get("tenant", {}).get("id")
                if len(members) != 1 or members[0] not in fake.users:
                    fake._refuse(f"a conversation with {members}")
                    self._json({"error": {"code": "BadArgument"}}, 400)
                    return
                if fake.users[members[0]]["tenant"] != tenant:
                    fake._refuse(f"a personal chat with {members[0]} in another tenant {tenant}")
                    self._json({"error": {"code": "BadArgument"}}, 403)
                    return
                chat = fake.personal_chat(members[0]) or f"a:personal-{members[0].split(':')[-1]}"
                fake.conversations.setdefault(chat, {"type": "personal", "name": "", "tenant": tenant,
                                                     "members": {members[0], BOT}})
                fake.messages.setdefault(chat, [])
                self._json({"id": chat}, 201)

            def _activity(self, conversation_id: str, body: dict[str, Any], targeted: bool, reply_to: str) -> None:
                conversation, _, root = conversation_id.partition(";messageid=")
                problem = fake._check_activity(conversation, body, targeted)
                if not problem and root and not any(m["id"] == root and m["root"] == root
                                                    for m in fake.messages[conversation]):
                    problem = f"a reply to {root}, no reply chain of {conversation}"
                if problem:
                    fake._refuse(problem)
                    too_big = problem.startswith("a message over")
                    self._json({"error": {"code": "MessageSizeTooBig" if too_big else "BadArgument",
                                          "message": problem}}, 413 if too_big else 400)
                    return
                message_id = f"{int(time.time() * 1000)}{len(fake.messages[conversation]):04d}"
                message = {"id": message_id, "from": BOT, "text": body.get("text") or "",
                           "root": root or (message_id if fake.conversations[conversation]["type"] == "channel"
                                            else ""),
                           "attachments": body.get("attachments") or [], "entities": body.get("entities") or [],
                           "targeted": (body.get("recipient") or {}).get("id") if targeted else ""}
                with fake._lock:
                    fake.messages[conversation].append(message)
                self._json({"id": message_id}, 201)

            def do_PUT(self) -> None:
                self._json({"error": "not supported"}, 405)

        return Handler
