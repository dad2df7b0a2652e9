"""Microsoft Teams on the chat contract: the activities Teams posts to the bot in as `Conversation` calls,
the port's primitives out through the Teams SDK's connector client, answers as Adaptive Cards.

The SDK is asynchronous; the core is not. Each activity's work runs in a worker thread, and the port's
writes go back to the SDK's event loop (`Connector`). Every activity is claimed in the shared database
first, so a retried or duplicated activity is answered once, by one process.

Teams gives a bot no history to read: the messages of a channel reach the bot as they are posted (with the
app manifest's resource-specific permission `ChannelMessage.Read.Group`), and the bot keeps the recent ones
in memory to tell a thread's story. How to reach each conversation and person (service address,
organisation, name) is kept in the database, so follow-ups reach people after a restart.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.bootstrap import App as Core
from bot.chat import ChatMessage, Conversation, Place, fill
from bot.chat_groups import GROUP_COMMANDS
from bot.commands import COMMANDS
from bot.handlers.common import TTL, TTLCache
from bot.handlers.teams.activities import PLATFORM, base_id, thread_of, when
from bot.handlers.teams.cards import (
    Contacts,
    answer_card,
    attachment,
    choice_card,
    confirmation_card,
    escape,
    mention_entities,
    plain,
)
from bot.handlers.teams.connector import Connector, ConnectorError
from bot.handlers.teams.interactions import TeamsInteractions
from bot.model import Answer, Asker, Hit, Lesson, PersonRef, Visibility
from bot.storage.references import Reference

log = logging.getLogger(__name__)
RECENT_MESSAGES = 20_000  # channel messages kept in memory to tell threads' stories
_AT = re.compile(r"<at>(.*?)</at>", re.S)
DEEP_LINK = "https://teams.microsoft.com/l/message"
EPOCH = datetime.fromtimestamp(0, UTC)
COMMAND_PREFIX = "@Leerkring "  # how the help writes a command on Teams
INLINE_IMAGE_BYTES = 250_000  # an inline chart is kept small: a palette PNG, made smaller until it fits


def small_png(png: bytes, limit: int) -> bytes:
    """A PNG of at most `limit` bytes: a 64-colour palette first, then smaller until it fits."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    while True:
        out = io.BytesIO()
        image.quantize(64).save(out, "PNG", optimize=True)
        if out.tell() <= limit or image.width < 200:
            return out.getvalue()
        image = image.resize((int(image.width * 0.8), int(image.height * 0.8)), Image.Resampling.LANCZOS)


def _fill(text: str, markup: dict[str, str]) -> str:
    """`text` escaped for Teams, with each `{name}` of `markup` (already in Teams' markup) in place."""
    return fill(re.sub(r"\{[\w\\]+\}", lambda m: m.group(0).replace("\\", ""), escape(text)), markup)


class TeamsAdapter(TeamsInteractions):
    """Teams' activities translated into `Conversation` calls, and Teams' port."""

    platform = PLATFORM

    def __init__(self, core: Core, connector: Connector, *, app_id: str, admins: frozenset[str] = frozenset(),
                 default_service_url: str = "https://smba.trafficmanager.net/teams") -> None:
        self.core = core
        self.repo = core.repo
        self.connector = connector
        self.app_id = app_id
        self.admins = admins
        self.default_service_url = default_service_url
        self._lock = threading.Lock()
        self._messages: OrderedDict[tuple[str, str], ChatMessage] = OrderedDict()
        self._conversations: dict[str, Reference] = {}
        self._people: dict[str, Reference] = {}
        self._by_name: dict[str, str] = {}  # display name (lower case) -> user id, from mentions and senders
        self._members = TTLCache(TTL)
        self.chat = Conversation(core, self)
        service = core.service
        service.allow(PLATFORM, self)
        service.notifiers[PLATFORM] = self.chat.notify_answered
        service.intro_checkers[PLATFORM] = self.chat.check_introduction
        service.checkback_askers[PLATFORM] = self.chat.check_back
        service.bundle_senders[PLATFORM] = self.chat.send_bundle
        service.scheduled[PLATFORM] = self.chat.scheduled
        service.posters[PLATFORM] = self.chat.post_to

    # -- what Teams told us ----------------------------------------------------------------------
    def _known(self, kind: str, cache: dict[str, Reference], key: str) -> Reference | None:
        """A conversation or person as Teams showed them: from memory, else from the database."""
        found = cache.get(key)
        if found is None:
            found = self.repo.reference(PLATFORM, kind, key)
            if found is not None:
                cache[key] = found
        return found

    def _conversation(self, conversation_id: str) -> Reference | None:
        return self._known("conversation", self._conversations, base_id(conversation_id))

    def _person(self, user_id: str) -> Reference | None:
        return self._known("person", self._people, user_id)

    def _keep(self, kind: str, cache: dict[str, Reference], reference: Reference) -> None:
        known = cache.get(reference.key)
        merged = reference if known is None else Reference(
            reference.key, reference.workspace or known.workspace, reference.address or known.address,
            reference.name or known.name, {**known.detail, **{k: v for k, v in reference.detail.items() if v}})
        if merged != known:
            cache[reference.key] = merged
            self.repo.remember(PLATFORM, kind, merged)

    def remember(self, activity: dict[str, Any]) -> None:
        """Keep how to reach the activity's conversation and sender, and the names its mentions show."""
        conversation = activity.get("conversation") or {}
        data = activity.get("channelData") or {}
        tenant = str((data.get("tenant") or {}).get("id") or conversation.get("tenantId") or "")
        service_url = str(activity.get("serviceUrl") or "")
        kind = str(conversation.get("conversationType") or "personal")
        key = base_id(str(conversation.get("id") or ""))
        sender = activity.get("from") or {}
        if key:
            channel, team = data.get("channel") or {}, data.get("team") or {}
            name = str(channel.get("name") or conversation.get("name") or ("chat" if kind != "channel" else ""))
            self._keep("conversation", self._conversations, Reference(key, tenant, service_url, name, {
                "type": kind, "channel_type": channel.get("type") or "", "team": team.get("id") or "",
                "group": team.get("aadGroupId") or "", "team_name": team.get("name") or "",
                "user": sender.get("id") if kind == "personal" else ""}))
        if sender.get("id") and sender.get("id") != activity.get("recipient", {}).get("id"):
            detail = {"aad": sender.get("aadObjectId") or "", "locale": activity.get("locale") or ""}
            if kind == "personal":
                detail["personal"] = key
            self._keep("person", self._people, Reference(str(sender["id"]), tenant, service_url,
                                                         str(sender.get("name") or ""), detail))
            if sender.get("name"):
                self._by_name[str(sender["name"]).lower()] = str(sender["id"])
        for entity in activity.get("entities") or []:
            mentioned = entity.get("mentioned") or {}
            if entity.get("type") == "mention" and mentioned.get("id") and mentioned.get("name"):
                self._by_name[str(mentioned["name"]).lower()] = str(mentioned["id"])

    def _first_time(self, activity: dict[str, Any], what: str = "") -> bool:
        key = f"teams:{base_id(str((activity.get('conversation') or {}).get('id') or ''))}:{activity.get('id')}" \
              f":{activity.get('type')}:{what}"
        if self.core.service.claim_event(key):
            return True
        log.info("teams: activity %s already handled; skipped", activity.get("id"))
        return False

    # -- activities ------------------------------------------------------------------------------
    def handle(self, activity: dict[str, Any]) -> Any:
        """One activity (in a worker thread); the invoke response's body for an invoke, else None."""
        self.remember(activity)
        kind = activity.get("type")
        if kind == "message":
            value = activity.get("value")
            if isinstance(value, dict) and value.get("leerkring"):
                if self._first_time(activity, "press"):
                    self.on_press(activity, value)
                return None
            return self.on_message(activity)
        if kind == "messageUpdate":
            return self.on_edited(activity)
        if kind == "messageDelete":
            return self.on_deleted(activity)
        if kind == "invoke":
            return self.on_invoke(activity)
        return None

    def chat_message(self, activity: dict[str, Any]) -> ChatMessage:
        """An activity's message as the contract has it: plain text, the mention of the bot taken out (so
        "@Leerkring bewaar" in a thread is not part of its story), other mentions as the names they show."""
        sender = activity.get("from") or {}
        text = self._without_bot(activity)
        channel = base_id(str((activity.get("conversation") or {}).get("id") or ""))
        root = thread_of(activity)
        message_id = str(activity.get("id") or "")
        return ChatMessage(message_id, channel, str(sender.get("id") or ""), plain(text),
                           thread="" if root == message_id else root, has_replies=not root or root == message_id,
                           from_bot=str(sender.get("id") or "") == self.app_id or sender.get("role") == "bot",
                           at=when(activity.get("timestamp")))

    def _keep_message(self, message: ChatMessage) -> None:
        with self._lock:
            self._messages[(message.channel, message.id)] = message
            self._messages.move_to_end((message.channel, message.id))
            while len(self._messages) > RECENT_MESSAGES:
                self._messages.popitem(last=False)

    def _mentioned(self, activity: dict[str, Any]) -> bool:
        recipient = str((activity.get("recipient") or {}).get("id") or "")
        return any(e.get("type") == "mention" and (e.get("mentioned") or {}).get("id") in (recipient, self.app_id)
                   for e in activity.get("entities") or [])

    def _without_bot(self, activity: dict[str, Any]) -> str:
        """The message's text without the mention of the bot (other mentions stay, as `<at>` tags)."""
        text = str(activity.get("text") or "")
        recipient = str((activity.get("recipient") or {}).get("id") or "")
        for entity in activity.get("entities") or []:
            if entity.get("type") == "mention" and (entity.get("mentioned") or {}).get("id") in (recipient,
                                                                                                 self.app_id):
                text = text.replace(str(entity.get("text") or ""), " ")
        return text.strip()

    @staticmethod
    def _mentions_as_ids(activity: dict[str, Any], text: str) -> str:
        """A command's text with each person it mentions as their Teams id: a display name has spaces, an
        id is one word the command reads as a person."""
        for entity in activity.get("entities") or []:
            mentioned = entity.get("mentioned") or {}
            if entity.get("type") == "mention" and mentioned.get("id") and entity.get("text"):
                text = text.replace(str(entity["text"]), str(mentioned["id"]))
        return text

    def on_message(self, activity: dict[str, Any]) -> None:
        conversation = activity.get("conversation") or {}
        kind = conversation.get("conversationType") or "personal"
        message = self.chat_message(activity)
        workspace = self.workspace(message.channel)
        if kind != "personal":
            self._keep_message(message)
            if message.thread:
                self.chat.thread_changed(workspace, message.channel, message.thread)  # a saved thread follows
            if not self._mentioned(activity):
                return
        if not self._first_time(activity):
            return
        text = self._without_bot(activity)
        sender = message.user
        place = Place(message.channel) if kind == "personal" else Place(message.channel, message.thread or message.id)
        word = text.strip().split(" ", 1)[0].lower()
        # a command word first, as the bot's command menu writes it ("bewaar" saves, as a mention in a thread does)
        if word in GROUP_COMMANDS or (word in COMMANDS and COMMANDS[word] != "capture"):
            asker = self.chat.asker(sender, message.channel, workspace)
            self.chat.command(self._mentions_as_ids(activity, text).strip(), asker, place, prefix=COMMAND_PREFIX,
                              source=self.chat.source(workspace, message.channel, message.id))
            return
        if kind != "personal" and self.chat.save_by_mention(message, text, sender, workspace=workspace):
            return
        asker = self.chat.asker(sender, message.channel, workspace)
        self.chat.answer(asker, text, place, key=f"{message.channel}:{message.id}:{place.thread}")

    def on_edited(self, activity: dict[str, Any]) -> None:
        message = self.chat_message(activity)
        if not self._first_time(activity, f"edit:{activity.get('timestamp', '')}:{message.text[:40]}"):
            return
        if (message.channel, message.id) in self._messages:
            self._keep_message(message)
        self.chat.edited(self.workspace(message.channel), message)

    def on_deleted(self, activity: dict[str, Any]) -> None:
        message = self.chat_message(activity)
        if not self._first_time(activity, "delete"):
            return
        with self._lock:
            self._messages.pop((message.channel, message.id), None)
        self.chat.deleted(self.workspace(message.channel), message.channel, message.id, message.thread)

    # -- the port: reading -----------------------------------------------------------------------
    def message(self, channel: str, message_id: str) -> ChatMessage | None:
        return self._messages.get((base_id(channel), message_id))

    def thread(self, channel: str, root_id: str) -> list[ChatMessage]:
        channel = base_id(channel)
        with self._lock:
            found = [m for (c, _), m in self._messages.items() if c == channel and (m.id == root_id
                                                                                    or m.thread == root_id)]
        found.sort(key=lambda m: (m.id != root_id, m.at or EPOCH, m.id))
        return found

    def still_tagged(self, channel: str, message_id: str) -> bool:
        return True  # Teams has no capture emoji to take off: a lesson goes by 🗑 or by deleting the message

    def place(self, channel: str) -> tuple[Visibility, str]:
        found = self._conversation(channel)
        if found is None:
            return Visibility.PRIVATE, channel  # unknown: private, the safe choice
        kind = found.detail.get("type")
        if kind == "channel":
            public = found.detail.get("channel_type") == "standard"
            return (Visibility.PUBLIC if public else Visibility.PRIVATE), found.name
        return Visibility.DM, found.name or "chat"

    def workspace(self, channel: str) -> str:
        found = self._conversation(channel) if channel else None
        return found.workspace if found else ""

    def permalink(self, workspace: str, channel: str, message_id: str) -> str:
        """Teams' deep link to a message: in a channel's reply chain, or in a chat."""
        found = self._conversation(channel)
        if found is None or not message_id:
            return ""
        if found.detail.get("type") == "channel":
            message = self._messages.get((base_id(channel), message_id))
            parent = (message.thread if message and message.thread else message_id)
            query = (f"tenantId={quote(workspace)}&groupId={quote(str(found.detail.get('group') or ''))}"
                     f"&parentMessageId={quote(parent)}&teamName={quote(str(found.detail.get('team_name') or ''))}"
                     f"&channelName={quote(found.name)}")
            return f"{DEEP_LINK}/{base_id(channel)}/{message_id}?{query}"
        return f"{DEEP_LINK}/{base_id(channel)}/{message_id}?context=%7B%22contextType%22%3A%22chat%22%7D"

    def person(self, user_id: str) -> PersonRef:
        found = self._person(user_id)
        return PersonRef(PLATFORM, user_id, found.name if found else "")

    def locale(self, user_id: str) -> str:
        found = self._person(user_id)
        return str(found.detail.get("locale") or "") if found else ""

    def is_admin(self, user_id: str) -> bool:
        """Whether they set their organisation's sharing: their Entra object id is in TEAMS_ADMINS."""
        found = self._person(user_id)
        return bool(found and found.detail.get("aad") in self.admins)

    def find_person(self, text: str) -> PersonRef | None:
        """A mention (`<at>Name</at>`), a Teams user id, or a display name the bot has seen."""
        name = text.strip()
        match = _AT.fullmatch(name)
        if match:
            name = match.group(1).strip()
        if re.fullmatch(r"\d+:[\w\-.]+", name) and self._person(name) is not None:
            return self.person(name)
        user_id = self._by_name.get(name.lstrip("@").lower())
        return self.person(user_id) if user_id else None

    def without_mentions(self, text: str) -> str:
        return _AT.sub(" ", text).strip()

    # -- the port: writing -----------------------------------------------------------------------
    def _address(self, conversation_id: str = "", user_id: str = "") -> str:
        found = self._conversation(conversation_id) if conversation_id else None
        if found is None and user_id:
            found = self._person(user_id)
        return (found.address if found and found.address else self.default_service_url).rstrip("/")

    def _name_of(self, user_id: str) -> str:
        return self.person(user_id).name

    def _with_mentions(self, text: str) -> dict[str, str]:
        """The people `text` mentions with `<at>name</at>`, by id (they get a mention entity)."""
        found: dict[str, str] = {}
        for name in _AT.findall(text):
            user_id = self._by_name.get(name.lower())
            if user_id:
                found[user_id] = name
        return found

    def _message(self, text: str = "", content: dict[str, Any] | None = None, summary: str = "") -> dict[str, Any]:
        activity: dict[str, Any] = {"type": "message"}
        if content is not None:
            activity["attachments"] = [attachment(content)]
            if summary:
                activity["summary"] = summary
        if text:
            activity["text"] = text
            activity["textFormat"] = "markdown"
            mentions = self._with_mentions(text)
            if mentions:
                activity["entities"] = mention_entities(mentions)
        return activity

    def send(self, place: Place, activity: dict[str, Any]) -> str:
        """Post for everyone in a place: in a reply chain when `place.thread` is set; the message's id."""
        conversation = base_id(place.channel) + (f";messageid={place.thread}" if place.thread else "")
        return self.connector.send(self._address(place.channel), conversation, activity)

    def post_markup(self, place: Place, text: str) -> str:
        """Post text already in Teams' markdown (a digest) for everyone in a place; its id."""
        return self.send(place, self._message(text))

    def _personal(self, user_id: str) -> str:
        """The personal chat with someone, opened when there is none yet."""
        found = self._person(user_id)
        personal = str(found.detail.get("personal") or "") if found else ""
        if personal:
            return personal
        tenant = found.workspace if found else ""
        personal = self.connector.create_personal(self._address(user_id=user_id), tenant, user_id, self.app_id)
        self._keep("person", self._people, Reference(user_id, tenant, "", found.name if found else "",
                                                    {"personal": personal}))
        self._keep("conversation", self._conversations, Reference(personal, tenant, self._address(user_id=user_id),
                                                                  "chat", {"type": "personal", "user": user_id}))
        return personal

    def _direct(self, user_id: str, activity: dict[str, Any]) -> str:
        return self.connector.send(self._address(user_id=user_id), self._personal(user_id), activity)

    def _private(self, user_id: str, place: Place, activity: dict[str, Any]) -> None:
        """Something only `user_id` sees: where they are, as a targeted message in a channel or group chat
        (seen by them alone), or in their personal chat."""
        found = self._conversation(place.channel) if place.channel else None
        if found is None or found.detail.get("type") == "personal":
            self._direct(user_id, activity)
            return
        conversation = base_id(place.channel) + (f";messageid={place.thread}" if place.thread else "")
        try:
            self.connector.send(self._address(place.channel), conversation,
                                {**activity, "recipient": {"id": user_id, "isTargeted": True}}, targeted=True)
        except ConnectorError as exc:  # targeted messages switched off in this organisation
            log.warning("teams: a targeted message was refused (%s); sent in the personal chat", exc.status)
            self._direct(user_id, activity)

    def _answer_activity(self, answer: Answer, hits: list[Hit], reader: str, workspace: str) -> dict[str, Any]:
        contacts = Contacts(workspace, self._name_of, self._by_name)
        content, summary = answer_card(answer, hits, contacts, can_introduce=self.core.service.introducible(
            hits, PLATFORM, reader))
        return self._message(content=content, summary=summary)

    def post_answer(self, place: Place, answer: Answer, hits: list[Hit], asker: Asker, key: str) -> None:
        self.send(place, self._answer_activity(answer, hits, asker.user_id, asker.workspace))

    def post_private(self, user_id: str, place: Place, text: str, *, answer: Answer | None = None,
                     hits: list[Hit] | None = None, lesson: Lesson | None = None, lang: str = "nl") -> None:
        if answer is not None:
            found = self._person(user_id)
            activity = self._answer_activity(answer, answer.hits if hits is None else hits, user_id,
                                             found.workspace if found else "")
        elif lesson is not None:
            activity = self._message(content=confirmation_card(text, lesson, lang), summary=text.split("\n")[0])
        else:
            activity = self._message(escape(text))
        self._private(user_id, place, activity)

    def post_choices(self, user_id: str, place: Place, text: str, action: str,
                     choices: list[tuple[str, dict[str, Any]]]) -> None:
        self._private(user_id, place, self._message(content=choice_card(escape(text), action, choices),
                                                    summary=text[:200]))

    def direct_choices(self, to: PersonRef, text: str, action: str, choices: list[tuple[str, dict[str, Any]]],
                       **markup: str) -> None:
        body = _fill(text, markup)
        self._direct(to.user_id, self._message(content=choice_card(body, action, choices,
                                                                   self._with_mentions(body)),
                                               summary=self.without_mentions(body)[:200]))

    def post_message(self, place: Place, text: str, **markup: str) -> str:
        return self.send(place, self._message(_fill(text, markup)))

    def direct_message(self, to: PersonRef, text: str, **markup: str) -> None:
        self._direct(to.user_id, self._message(_fill(text, markup)))

    def group_message(self, user_ids: list[str], text: str, **markup: str) -> bool:
        """A bot cannot start a group chat on Teams: each person gets the message in their personal chat."""
        for user_id in user_ids:
            self._direct(user_id, self._message(_fill(text, markup)))
        return False

    def mention(self, user_id: str) -> str:
        name = self.person(user_id).name or user_id
        self._by_name.setdefault(name.lower(), user_id)
        return f"<at>{name}</at>"

    def contact_markup(self, lesson: Lesson, lang: str) -> str:
        return Contacts("", self._name_of, self._by_name).text(lesson, lang)

    def upload_image(self, user_id: str, path: Path, title: str) -> None:
        """A picture in the personal chat, inline as a base64 image (the bytes exist only here), kept small."""
        data = base64.b64encode(small_png(path.read_bytes(), INLINE_IMAGE_BYTES)).decode()
        self._direct(user_id, {"type": "message", "text": escape(title), "attachments": [
            {"contentType": "image/png", "contentUrl": f"data:image/png;base64,{data}", "name": path.name}]})

    def lang(self, user_id: str) -> str:
        return self.chat.lang(user_id)

    # -- who may see a private lesson (`service.allow`) ------------------------------------------------
    def can_see(self, asker: Asker, platform: str, workspace: str, channel_id: str) -> bool:
        """Whether the asker is in the private channel or chat a lesson came from (Teams' member list)."""
        if platform != PLATFORM or asker.platform != PLATFORM:
            return False
        if workspace and asker.workspace and workspace != asker.workspace:
            return False
        cached = self._members.get((channel_id, asker.user_id))
        if cached is not None:
            return bool(cached)
        member = self.connector.is_member(self._address(channel_id), base_id(channel_id), asker.user_id)
        return bool(self._members.put((channel_id, asker.user_id), member))
