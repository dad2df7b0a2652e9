"""One way to drive every platform: a driver per platform puts people's actions into its loopback fake (or the
console) and reads back what they would see. The shared scenarios in test_flows.py run on each driver, so a
flow is proved the same way on Slack, Mattermost and the console.

Every world has anna (in every channel), bram and dirk (in the public channel only) and cees (English), a
public channel and a private channel with anna and the bot."""

from __future__ import annotations

import io
import json
import re
import time
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr

from bot.bootstrap import bootstrap
from bot.search.embedder import HashingEmbedder

ANNA, BRAM, CEES, DIRK = "anna", "bram", "cees", "dirk"
PUBLIC, PRIVATE = "public", "private"


def platforms(*names: str) -> Any:
    """Run a test once on each named platform, with the `chat` fixture (conftest.py) as its driver."""
    import pytest

    return pytest.mark.parametrize("chat", [pytest.param(name, id=name) for name in names], indirect=True)


def wait_for(predicate: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the bot")


class SlackDriver:
    name = "slack"
    threads = True  # messages can be tagged, edited and deleted, and live in threads

    def __init__(self, settings: Any) -> None:
        from fakes.slack_server import BOT_USER, TEAM, FakeSlack

        from bot.handlers.slack.run import build_bolt, socket_mode_handler, web_client

        self.bot, self.team = BOT_USER, TEAM
        self.ids = {ANNA: "U0ANNA", BRAM: "U0BRAM", CEES: "U0CEES", DIRK: "U0DIRK", PUBLIC: "C0PUBLIC",
                    PRIVATE: "G0PRIVATE"}
        fake = self.fake = FakeSlack()
        fake.add_user(self.ids[ANNA], "Anna de Vries", is_admin=True)
        fake.add_user(self.ids[BRAM], "Bram Peters")
        fake.add_user(self.ids[CEES], "Cees Jansen", locale="en-US")
        fake.add_user(self.ids[DIRK], "Dirk Smit")
        fake.add_channel(self.ids[PUBLIC], "algemeen", [self.ids[ANNA], self.ids[BRAM], self.ids[CEES], self.ids[DIRK],
                                                        BOT_USER])
        fake.add_channel(self.ids[PRIVATE], "team-zorg", [self.ids[ANNA], BOT_USER], private=True)
        fake.start()
        settings = settings.model_copy(update={"slack_api_url": fake.base_url})
        self.core = bootstrap(settings, embedder=HashingEmbedder())
        bolt, _ = build_bolt(self.core, client=web_client(settings, token=fake.bot_token))
        self.handler = socket_mode_handler(bolt, fake.app_token)
        self.handler.connect()

    def stop(self) -> None:
        import threading

        closer = threading.Thread(target=self.handler.close, daemon=True)
        closer.start()
        closer.join(10)
        self.fake.stop()
        self.core.close()
        assert not self.fake.refused, f"the bot used what slack-manifest.yml does not grant: {self.fake.refused}"

    def _event(self, payload: dict[str, Any]) -> None:
        self.fake.send("events_api", {
            "token": "legacy", "team_id": self.team, "api_app_id": "A1", "event": payload, "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10], "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team, "user_id": self.bot, "is_bot": True}]})

    # -- people act ------------------------------------------------------------------------------
    def say(self, user: str, channel: str, text: str, thread: str = "") -> str:
        """A person posts; Slack sends the message event to the bot, a member of the channel."""
        message = self.fake.post(self.ids[channel], self.ids[user], text, thread_ts=thread)
        self._event({"type": "message", "channel": self.ids[channel], "user": self.ids[user], "text": text,
                     "ts": message["ts"], **({"thread_ts": thread} if thread else {}),
                     "channel_type": "group" if channel == PRIVATE else "channel"})
        return str(message["ts"])

    def bot_says(self, channel: str, text: str, thread: str = "") -> str:
        return str(self.fake.post(self.ids[channel], self.bot, text, thread_ts=thread, bot_id="BBOT")["ts"])

    def tag(self, user: str, channel: str, message: str, *, added: bool = True) -> None:
        found = self.fake.find(self.ids[channel], message)
        reactions = found.setdefault("reactions", [])
        if added:
            reactions.append({"name": "bulb", "users": [self.ids[user]], "count": 1})
        else:
            found["reactions"] = [r for r in reactions if self.ids[user] not in r["users"]]
        self._event({"type": "reaction_added" if added else "reaction_removed", "user": self.ids[user],
                     "reaction": "bulb", "item": {"type": "message", "channel": self.ids[channel], "ts": message},
                     "event_ts": message})

    def edit(self, channel: str, message: str, text: str) -> None:
        found = self.fake.find(self.ids[channel], message)
        before = dict(found)
        found["text"] = text
        self._event({"type": "message", "subtype": "message_changed", "channel": self.ids[channel],
                     "message": dict(found), "previous_message": before, "ts": f"{time.time():.6f}",
                     "channel_type": "channel"})

    def delete(self, channel: str, message: str) -> None:
        found = self.fake.find(self.ids[channel], message)
        self.fake.messages[self.ids[channel]].remove(found)
        self._event({"type": "message", "subtype": "message_deleted", "channel": self.ids[channel],
                     "deleted_ts": message, "ts": f"{time.time():.6f}", "channel_type": "channel",
                     **({"previous_message": found} if found.get("thread_ts") else {})})

    def ask(self, user: str, channel: str, text: str, thread: str = "") -> str:
        message = self.fake.post(self.ids[channel], self.ids[user], f"<@{self.bot}> {text}", thread_ts=thread)
        self._event({"type": "app_mention", "user": self.ids[user], "text": message["text"], "ts": message["ts"],
                     "channel": self.ids[channel], **({"thread_ts": thread} if thread else {})})
        return str(message["ts"])

    def command(self, user: str, channel: str, text: str) -> None:
        self.fake.send("slash_commands", {
            "token": "legacy", "team_id": self.team, "team_domain": "gemeenten", "channel_id": self.ids[channel],
            "channel_name": channel, "user_id": self.ids[user], "user_name": user, "command": "/leerkring",
            "text": text, "api_app_id": "A1", "trigger_id": uuid.uuid4().hex,
            "response_url": self.fake.response_url().rsplit("/", 1)[0] + f"/{self.ids[user]}-{uuid.uuid4().hex}"})

    def _press(self, user: str, action_id: str, value: str) -> None:
        self.fake.send("interactive", {
            "type": "block_actions", "team": {"id": self.team}, "user": {"id": self.ids[user]},
            "channel": {"id": self.ids[PUBLIC]}, "trigger_id": uuid.uuid4().hex, "container": {"type": "message"},
            "response_url": self.fake.response_url().rsplit("/", 1)[0] + f"/{self.ids[user]}-{uuid.uuid4().hex}",
            "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "b1",
                         "action_ts": "1"}]})

    def introduce(self, user: str, lesson_id: int) -> None:
        """The 🤝 button under a lesson."""
        self._press(user, "leerkring_intro", json.dumps({"l": lesson_id, "q": None}))

    def vote(self, user: str, lesson_id: int, helpful: bool) -> None:
        """The 👍 or 👎 under a lesson in an answer."""
        self._press(user, "leerkring_helpful" if helpful else "leerkring_unhelpful",
                    json.dumps({"l": lesson_id, "q": None}))

    def choose(self, user: str, label: str) -> None:
        """Press the button labelled `label` among the choices last shown to `user` alone."""
        shown = [r for r in self.fake.responses if r.get("response_id", "").startswith(self.ids[user] + "-")]
        shown += [c.params for c in self.fake.called("chat.postMessage") if c.params.get("channel") == self.ids[user]]
        buttons = [e for r in shown for b in r.get("blocks") or [] if b.get("type") == "actions"
                   for e in b["elements"]]
        pressed = next(e for e in reversed(buttons) if e["text"]["text"] == label)
        self._press(user, pressed["action_id"], pressed["value"])

    def follow_up(self) -> None:
        """One round of the follow-ups a platform's process runs every LEERKRING_FOLLOWUP_SECONDS."""
        from bot.followup import FollowUps

        FollowUps(self.core.service, self.name).run_once()

    # -- what people see -------------------------------------------------------------------------
    def handle(self, user: str) -> str:
        """How a message names someone so that they are notified."""
        return f"<@{self.ids[user]}>"

    def public(self, channel: str, thread: str = "") -> list[str]:
        return [m.get("text", "") + json.dumps(m.get("blocks") or [], ensure_ascii=False)
                for m in self.fake.messages[self.ids[channel]]
                if m.get("bot_id") and (not thread or m.get("thread_ts") == thread)]

    def top_level(self, channel: str) -> list[str]:
        """The bot's messages in the channel itself, not in a thread."""
        return [m.get("text", "") + json.dumps(m.get("blocks") or [], ensure_ascii=False)
                for m in self.fake.messages[self.ids[channel]] if m.get("bot_id") and not m.get("thread_ts")]

    def private(self, user: str) -> list[str]:
        ephemeral = [c.params.get("text", "") + json.dumps(c.params.get("blocks") or [], ensure_ascii=False)
                     for c in self.fake.called("chat.postEphemeral") if c.params.get("user") == self.ids[user]]
        replies = [r.get("text", "") + json.dumps(r.get("blocks") or [], ensure_ascii=False)
                   for r in self.fake.responses if r.get("response_id", "").startswith(self.ids[user] + "-")]
        return ephemeral + replies

    def direct(self, user: str) -> list[str]:
        mine = {channel for channel in self.fake.messages if channel == "D" + self.ids[user]
                or set(self.fake.members.get(channel, [])) == {self.ids[user], self.bot}}
        return [m.get("text", "") for channel in mine for m in self.fake.messages[channel] if m.get("bot_id")]

    def groups(self) -> list[set[str]]:
        """The people (by name) of each group conversation the bot opened and wrote in."""
        names = {v: k for k, v in self.ids.items()}
        written = {c.params.get("channel") for c in self.fake.called("chat.postMessage")}
        return [{names.get(m, m) for m in self.fake.members[c]} - {self.bot} for c in written
                if c and c.startswith("G") and len(self.fake.members.get(c, [])) > 2]

    def images(self, user: str) -> list[str]:
        return [str(c.params.get("channel_id")) for c in self.fake.called("files.completeUploadExternal")
                if set(self.fake.members.get(str(c.params.get("channel_id")), [])) == {self.ids[user], self.bot}]


class MattermostDriver:
    name = "mattermost"
    threads = True

    def __init__(self, settings: Any) -> None:
        from fakes.mattermost_server import BOT, TEAM, FakeMattermost

        from bot.handlers.mattermost.run import MattermostBot

        self.bot, self.team = BOT, TEAM
        self.ids = {ANNA: "anna0000000000000000000000", BRAM: "bram0000000000000000000000",
                    CEES: "cees0000000000000000000000", DIRK: "dirk0000000000000000000000",
                    PUBLIC: "public00000000000000000000",
                    PRIVATE: "private0000000000000000000"}
        fake = self.fake = FakeMattermost()
        fake.add_user(self.ids[ANNA], "anna", first="Anna", last="de Vries", admin=True)
        fake.add_user(self.ids[BRAM], "bram", first="Bram", last="Peters")
        fake.add_user(self.ids[CEES], "cees", first="Cees", last="Jansen", locale="en")
        fake.add_user(self.ids[DIRK], "dirk", first="Dirk", last="Smit")
        fake.add_channel(self.ids[PUBLIC], "algemeen", "O", [self.ids[ANNA], self.ids[BRAM], self.ids[CEES],
                                                             self.ids[DIRK]])
        fake.add_channel(self.ids[PRIVATE], "team-zorg", "P", [self.ids[ANNA]])
        fake.start()
        settings = settings.model_copy(update={
            "mattermost_url": fake.url, "mattermost_token": SecretStr(fake.token),
            "mattermost_command_token": SecretStr("cmd-token"), "mattermost_public_url": "http://127.0.0.1:9"})
        self.core = bootstrap(settings, embedder=HashingEmbedder())
        self.bot_process = MattermostBot(self.core, reconnect_base=0.05)
        server = self.bot_process.start_http("127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        self.bot_process.start_websocket()
        assert self.bot_process.websocket.connected.wait(10)
        self.responses: list[tuple[str, dict[str, Any]]] = []

    def stop(self) -> None:
        self.bot_process.stop()
        self.fake.stop()
        self.core.close()

    def say(self, user: str, channel: str, text: str, thread: str = "") -> str:
        return str(self.fake.user_posts(self.ids[channel], self.ids[user], text, root_id=thread)["id"])

    def bot_says(self, channel: str, text: str, thread: str = "") -> str:
        return str(self.fake.new_post(self.ids[channel], self.bot, text, root_id=thread)["id"])

    def tag(self, user: str, channel: str, message: str, *, added: bool = True) -> None:
        self.fake.react(self.ids[user], message, removed=not added)

    def edit(self, channel: str, message: str, text: str) -> None:
        post = self.fake.posts[message]
        post.update(message=text, edit_at=int(time.time() * 1000))
        self.fake.broadcast("post_edited", {"post": json.dumps(post)}, self.ids[channel])

    def delete(self, channel: str, message: str) -> None:
        post = self.fake.posts.pop(message)
        self.fake.broadcast("post_deleted", {"post": json.dumps(post)}, self.ids[channel])

    def ask(self, user: str, channel: str, text: str, thread: str = "") -> str:
        return str(self.fake.user_posts(self.ids[channel], self.ids[user], f"@leerkring {text}", root_id=thread,
                                        mentions=[self.bot])["id"])

    def command(self, user: str, channel: str, text: str) -> None:
        body = urlencode({"channel_id": self.ids[channel], "command": "/leerkring", "team_id": self.team,
                          "text": text, "token": "cmd-token", "trigger_id": f"trig-{time.time()}",
                          "user_id": self.ids[user], "user_name": user}).encode()
        request = urllib.request.Request(self.base + "/mattermost/command", data=body, headers={
            "Authorization": "Token cmd-token", "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=20) as response:
            self.responses.append((user, json.loads(response.read())))

    def _action(self, user: str, context: dict[str, Any]) -> None:
        body = json.dumps({"user_id": self.ids[user], "channel_id": self.ids[PUBLIC], "context": context}).encode()
        request = urllib.request.Request(self.base + "/mattermost/action", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=20) as response:
            answer = json.loads(response.read())
        if answer.get("ephemeral_text"):  # the server shows it to the presser alone
            self.responses.append((user, {"text": answer["ephemeral_text"]}))

    def introduce(self, user: str, lesson_id: int) -> None:
        """The 🤝 button under a lesson."""
        self._action(user, self.bot_process.adapter.signer.sign({"action": "intro", "lesson": lesson_id,
                                                                 "question": None}))

    def vote(self, user: str, lesson_id: int, helpful: bool) -> None:
        signer = self.bot_process.adapter.signer
        self._action(user, signer.sign({"action": "helpful" if helpful else "unhelpful", "lesson": lesson_id,
                                        "question": None}))

    def choose(self, user: str, label: str) -> None:
        posts = [e["post"] for e in self.fake.ephemeral if e["user_id"] == self.ids[user]]
        posts += [p for p in self.fake.bot_posts() if p["channel_id"] in self._direct_channels(user)]
        actions = [a for post in posts for attachment in (post.get("props") or {}).get("attachments") or []
                   for a in attachment.get("actions") or []]
        pressed = next(a for a in reversed(actions) if a["name"] == label)
        self._action(user, pressed["integration"]["context"])

    def handle(self, user: str) -> str:
        return "@" + user

    def follow_up(self) -> None:
        from bot.followup import FollowUps

        FollowUps(self.core.service, self.name).run_once()

    def _shown(self, post: dict[str, Any]) -> str:
        return post.get("message", "") + json.dumps(post.get("props") or {}, ensure_ascii=False)

    def public(self, channel: str, thread: str = "") -> list[str]:
        return [self._shown(p) for p in self.fake.bot_posts()
                if p["channel_id"] == self.ids[channel] and (not thread or p.get("root_id") == thread)]

    def top_level(self, channel: str) -> list[str]:
        return [self._shown(p) for p in self.fake.bot_posts()
                if p["channel_id"] == self.ids[channel] and not p.get("root_id")]

    def private(self, user: str) -> list[str]:
        return ([self._shown(e.get("post", e)) for e in self.fake.ephemeral
                 if e["user_id"] == self.ids[user]]
                + [self._shown(r) + r.get("text", "") for who, r in self.responses if who == user])

    def _direct_channels(self, user: str) -> set[str]:
        return {c for c, info in self.fake.channels.items()
                if info["type"] == "D" and set(self.fake.members[c]) == {self.ids[user], self.bot}}

    def direct(self, user: str) -> list[str]:
        channels = self._direct_channels(user)
        return [p.get("message", "") for p in self.fake.bot_posts() if p["channel_id"] in channels]

    def groups(self) -> list[set[str]]:
        names = {v: k for k, v in self.ids.items()}
        written = {p["channel_id"] for p in self.fake.bot_posts()}
        return [{names.get(m, m) for m in self.fake.members[c]} - {self.bot} for c, info in self.fake.channels.items()
                if info["type"] == "G" and c in written]

    def images(self, user: str) -> list[str]:
        channels = self._direct_channels(user)
        return [p["id"] for p in self.fake.bot_posts() if p["channel_id"] in channels and p.get("file_ids")]


class ConsoleDriver:
    """The console: people type lines; there is no message history to tag, edit or delete."""

    name = "console"
    threads = False

    def __init__(self, settings: Any) -> None:
        self.core = bootstrap(settings, embedder=HashingEmbedder())
        self.ids = {ANNA: "anna", BRAM: "bram", CEES: "cees", DIRK: "dirk", PUBLIC: "algemeen", PRIVATE: "team-zorg"}
        self.out: dict[str, list[str]] = {}

    def stop(self) -> None:
        self.core.close()

    def _type(self, user: str, channel: str, line: str) -> str:
        from bot.handlers.console import ConsoleAdapter, ConsoleIdentity

        out = io.StringIO()
        identity = ConsoleIdentity(user=user, channel=self.ids[channel], private=channel == PRIVATE,
                                   locale="en" if user == CEES else "")
        ConsoleAdapter(self.core, identity, stdin=io.StringIO(line + "\n"), stdout=out).run(interactive=False)
        self.out.setdefault(user, []).append(out.getvalue())
        return out.getvalue()

    def say(self, user: str, channel: str, text: str, thread: str = "") -> str:
        return self._type(user, channel, "/les " + text.replace("\n", " "))  # one line is one message

    def ask(self, user: str, channel: str, text: str, thread: str = "") -> str:
        return self._type(user, channel, text)

    def command(self, user: str, channel: str, text: str) -> None:
        self._type(user, channel, "/" + text)

    def handle(self, user: str) -> str:
        return user

    def follow_up(self) -> None:
        """The follow-ups of a console process; what they say is printed at the terminal."""
        from bot.followup import FollowUps
        from bot.handlers.console import ConsoleAdapter, ConsoleIdentity

        out = io.StringIO()
        ConsoleAdapter(self.core, ConsoleIdentity(), stdin=io.StringIO(""), stdout=out)
        FollowUps(self.core.service, self.name).run_once()
        self.out.setdefault("", []).append(out.getvalue())

    def public(self, channel: str, thread: str = "") -> list[str]:
        return [text for texts in self.out.values() for text in texts]

    def private(self, user: str) -> list[str]:
        return self.out.get(user, [])

    def direct(self, user: str) -> list[str]:
        """Messages printed for `user`: from a "(Name) " line up to the next message, blank line or post."""
        name = {ANNA: "Anna", BRAM: "Bram", CEES: "Cees", DIRK: "Dirk"}[user]
        starts = tuple(f"({n}) " for n in ("Anna", "Bram", "Cees", "Dirk", ANNA, BRAM, CEES, DIRK))
        found: list[str] = []
        for text in (text for texts in self.out.values() for text in texts):
            mine = False
            for line in text.splitlines():
                if line.startswith(starts) or not line.strip() or line.startswith("[#"):
                    mine = line.startswith((f"({name}) ", f"({user}) "))
                    if mine:
                        found.append(line)
                elif mine:
                    found[-1] += "\n" + line
        return found

    def images(self, user: str) -> list[str]:
        return [line for line in "".join(self.out.get(user, [])).splitlines() if "leerkring-stats.png" in line]


HIDDEN_CARD_KEYS = ("type", "id", "style", "$schema", "version", "width", "msteams", "data")  # not shown to people


class TeamsDriver:
    """Microsoft Teams through its loopback fake (connector, token service, signing keys) with the real Teams
    SDK. A message is saved by the message action "Bewaar als les" (Teams delivers no reactions on people's
    messages); what only one person sees is a targeted message; direct messages are the personal chat."""

    name = "teams"
    threads = True

    def __init__(self, settings: Any) -> None:
        from fakes.teams_server import BOT, TENANT, FakeTeams

        from bot.handlers.teams.run import TeamsBot

        self.bot, self.team = BOT, TENANT
        self.ids = {ANNA: "29:anna", BRAM: "29:bram", CEES: "29:cees", DIRK: "29:dirk",
                    PUBLIC: "19:algemeen@thread.tacv2", PRIVATE: "19:team-zorg@thread.tacv2"}
        fake = self.fake = FakeTeams()
        fake.add_user(self.ids[ANNA], "Anna de Vries", aad="aad-anna")
        fake.add_user(self.ids[BRAM], "Bram Peters")
        fake.add_user(self.ids[CEES], "Cees Jansen", locale="en-US")
        fake.add_user(self.ids[DIRK], "Dirk Smit")
        fake.add_channel(self.ids[PUBLIC], "algemeen", [self.ids[u] for u in (ANNA, BRAM, CEES, DIRK)])
        fake.add_channel(self.ids[PRIVATE], "team-zorg", [self.ids[ANNA]], kind="private")
        fake.start()
        settings = settings.model_copy(update={**fake.settings, "teams_admins": "aad-anna"})
        self.core = bootstrap(settings, embedder=HashingEmbedder())
        self.bot_process = TeamsBot(self.core, retry_base=0.01)
        port = self.bot_process.start("127.0.0.1", 0)
        fake.bot_url = f"http://127.0.0.1:{port}/api/messages"
        self.responses: list[tuple[str, Any]] = []
        for user in (ANNA, BRAM, CEES, DIRK):  # Teams tells the bot who is in the team when it is added
            fake.deliver(fake.activity(self.ids[user], self.ids[PUBLIC], type="conversationUpdate",
                                       membersAdded=[{"id": BOT}]))

    def stop(self) -> None:
        self.bot_process.stop()
        self.fake.stop()
        self.core.close()
        assert not self.fake.refused, f"Teams would have refused: {self.fake.refused}"

    # -- people act ------------------------------------------------------------------------------
    def say(self, user: str, channel: str, text: str, thread: str = "") -> str:
        return str(self.fake.post(self.ids[user], self.ids[channel], text, root=thread)["id"])

    def bot_says(self, channel: str, text: str, thread: str = "") -> str:
        from fakes.teams_server import BOT

        message = {"id": f"{time.time_ns()}", "from": BOT, "text": text, "attachments": [], "entities": []}
        message["root"] = thread or message["id"]
        self.fake.messages[self.ids[channel]].append(message)
        return str(message["id"])

    def _payload(self, channel: str, message_id: str) -> dict[str, Any]:
        found = self.fake.find(self.ids[channel], message_id)
        author = self.fake.users.get(found["from"], {"id": found["from"], "name": "Leerkring", "aadObjectId": ""})
        body = "".join(f"<p>{line.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>"
                       for line in found["text"].split("\n"))
        return {"id": message_id, "replyToId": None if found["root"] == message_id else found["root"],
                "createdDateTime": found.get("created"), "messageType": "message",
                "linkToMessage": f"https://teams.microsoft.com/l/message/{self.ids[channel]}/{message_id}"
                                 f"?tenantId={self.team}&parentMessageId={found['root']}",
                "from": {"user": {"id": author["id"], "displayName": author["name"],
                                  "aadObjectId": author["aadObjectId"]}},
                "body": {"contentType": "html", "content": body}}

    def tag(self, user: str, channel: str, message: str, *, added: bool = True) -> None:
        """The message action "Bewaar als les": Teams asks the bot for the form, the person submits it."""
        assert added, "Teams has no capture reaction to take off"
        payload = self._payload(channel, message)
        value = {"commandId": "bewaar", "commandContext": "message", "messagePayload": payload}
        status, body = self.fake.deliver(self.fake.activity(self.ids[user], self.ids[channel], type="invoke",
                                                            name="composeExtension/fetchTask", value=value))
        assert status == 200, status
        form = body["task"]["value"]["card"]["content"]
        data = {e["id"]: e.get("value", "") for e in form["body"] if e["type"].startswith("Input.")}
        data.update(form["actions"][0]["data"])
        status, body = self.fake.deliver(self.fake.activity(self.ids[user], self.ids[channel], type="invoke",
                                                            name="composeExtension/submitAction",
                                                            value={**value, "data": data}))
        assert status == 200, status
        self.responses.append((user, body))

    def edit(self, channel: str, message: str, text: str) -> None:
        found = self.fake.find(self.ids[channel], message)
        found["text"] = text
        activity = self.fake.activity(found["from"], self.ids[channel], type="messageUpdate", id=message,
                                      text=text, channelData={**self.fake.activity(found["from"], self.ids[
                                          channel])["channelData"], "eventType": "editMessage"})
        activity["conversation"]["id"] = f"{self.ids[channel]};messageid={found['root']}"
        self.fake.deliver(activity)

    def delete(self, channel: str, message: str) -> None:
        found = self.fake.find(self.ids[channel], message)
        self.fake.messages[self.ids[channel]].remove(found)
        activity = self.fake.activity(found["from"], self.ids[channel], type="messageDelete", id=message,
                                      channelData={**self.fake.activity(found["from"], self.ids[channel])[
                                          "channelData"], "eventType": "softDeleteMessage"})
        activity["conversation"]["id"] = f"{self.ids[channel]};messageid={found['root']}"
        self.fake.deliver(activity)

    def ask(self, user: str, channel: str, text: str, thread: str = "") -> str:
        return str(self.fake.post(self.ids[user], self.ids[channel], text, root=thread, mention_bot=True)["id"])

    def command(self, user: str, channel: str, text: str) -> None:
        """A command word after a mention of the bot (as the bot's command menu writes it)."""
        self.fake.post(self.ids[user], self.ids[channel], text, mention_bot=True)

    def _press(self, user: str, conversation: str, data: dict[str, Any]) -> None:
        self.fake.deliver(self.fake.activity(self.ids.get(user, user), conversation, type="message", value=data))

    def introduce(self, user: str, lesson_id: int) -> None:
        self._press(user, self.ids[PUBLIC], {"leerkring": "intro", "l": lesson_id, "q": None})

    def vote(self, user: str, lesson_id: int, helpful: bool) -> None:
        self._press(user, self.ids[PUBLIC], {"leerkring": "helpful" if helpful else "unhelpful", "l": lesson_id,
                                             "q": None})

    def _cards_for(self, user: str) -> list[tuple[str, dict[str, Any]]]:
        """(conversation, card) of every card only `user` sees: targeted at them, or in their personal chat."""
        personal = self.fake.personal_chat(self.ids[user])
        found = []
        for conversation, messages in self.fake.messages.items():
            for m in messages:
                if m["from"] == self.bot and (m.get("targeted") == self.ids[user] or conversation == personal):
                    found += [(conversation, a["content"]) for a in m.get("attachments") or []
                              if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]
        return found

    def choose(self, user: str, label: str) -> None:
        conversation, pressed = next((c, a) for c, card in reversed(self._cards_for(user))
                                     for a in card.get("actions") or [] if a.get("title") == label)
        self._press(user, conversation, pressed["data"])

    def follow_up(self) -> None:
        from bot.followup import FollowUps

        FollowUps(self.core.service, self.name).run_once()

    # -- what people see -------------------------------------------------------------------------
    def handle(self, user: str) -> str:
        return f"<at>{self.fake.users[self.ids[user]]['name']}</at>"

    @staticmethod
    def _shown(message: dict[str, Any]) -> str:
        """A message as Teams shows it: its text and every text of its cards, markdown escapes rendered."""
        def texts(node: Any) -> list[str]:
            if isinstance(node, str):
                return [node]
            if isinstance(node, dict):
                return [t for key, value in node.items() if key not in HIDDEN_CARD_KEYS for t in texts(value)]
            if isinstance(node, list):
                return [t for value in node for t in texts(value)]
            return []

        parts = [message.get("text") or "", *texts([a.get("content") for a in message.get("attachments") or []])]
        return "\n".join(re.sub(r"\\(.)", r"\1", part) for part in parts if part)

    def public(self, channel: str, thread: str = "") -> list[str]:
        return [self._shown(m) for m in self.fake.bot_messages(self.ids[channel])
                if not m.get("targeted") and (not thread or m["root"] == thread)]

    def top_level(self, channel: str) -> list[str]:
        return [self._shown(m) for m in self.fake.bot_messages(self.ids[channel])
                if not m.get("targeted") and m["root"] == m["id"]]

    def public_in(self, conversation: str, thread: str) -> list[str]:
        """The bot's messages for everyone in a reply chain of a conversation the driver has no name for."""
        return [self._shown(m) for m in self.fake.bot_messages(conversation)
                if not m.get("targeted") and m["root"] == thread]

    def private(self, user: str) -> list[str]:
        """What only `user` sees: targeted messages, the dialogs' answers, and their personal chat."""
        targeted = [self._shown(m) for messages in self.fake.messages.values() for m in messages
                    if m["from"] == self.bot and m.get("targeted") == self.ids[user]]
        return targeted + [json.dumps(body, ensure_ascii=False) for who, body in self.responses if who == user] \
            + self.direct(user)

    def direct(self, user: str) -> list[str]:
        return [self._shown(m) for m in self.fake.bot_messages(self.fake.personal_chat(self.ids[user]))]

    def groups(self) -> list[set[str]]:
        return []  # a bot cannot open a group chat on Teams

    def images(self, user: str) -> list[str]:
        return [m["id"] for m in self.fake.bot_messages(self.fake.personal_chat(self.ids[user]))
                if any(str(a.get("contentType", "")).startswith("image/") for a in m.get("attachments") or [])]


DRIVERS = {"slack": SlackDriver, "mattermost": MattermostDriver, "teams": TeamsDriver, "console": ConsoleDriver}
