"""Mattermost on the chat contract: websocket events in as `Conversation` calls, the port's primitives out
through mattermostautodriver, answers as attachments.

Every connected process receives every websocket event; each event is claimed in the shared database
first, so two bot processes answer once.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from mattermostautodriver import TypedDriver
from mattermostautodriver.exceptions import InvalidMattermostError, UnknownMattermostError

from bot.bootstrap import App as Core
from bot.chat import ChatMessage, Conversation, Place, fill
from bot.handlers.mattermost.attachments import (
    ActionSigner,
    answer_post,
    button,
    confirmation_attachment,
    contact_text,
    escape,
)
from bot.handlers.mattermost.gateway import API_ERRORS, MattermostGateway
from bot.handlers.mattermost.requests import MattermostRequests
from bot.model import Answer, Asker, Hit, Lesson, PersonRef, Visibility

log = logging.getLogger(__name__)
PLATFORM = "mattermost"
POST_ATTEMPTS = 7  # about a minute of back-off in all
RETRYABLE = (UnknownMattermostError, InvalidMattermostError, httpx.TransportError)


def _retryable(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    return isinstance(exc, httpx.TransportError) or (isinstance(status, int) and status >= 500)


def _when(millis: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (TypeError, ValueError):
        return None


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return default
    return value if value is not None else default


def chat_message(post: dict[str, Any]) -> ChatMessage:
    """A post as the contract has it. Whether a root has replies is not in every event: a root counts as a
    possible thread, and its story is read from the server."""
    props = post.get("props") or {}
    return ChatMessage(str(post.get("id") or ""), str(post.get("channel_id") or ""), str(post.get("user_id") or ""),
                       str(post.get("message") or ""), thread=str(post.get("root_id") or ""),
                       has_replies=not post.get("root_id"),
                       from_bot=str(props.get("from_bot", "")).lower() == "true", at=_when(post.get("create_at")))


class MattermostAdapter(MattermostRequests):
    """Mattermost's websocket events translated into `Conversation` calls, and Mattermost's port."""

    platform = PLATFORM

    def __init__(self, core: Core, driver: TypedDriver, *, bot_user_id: str, bot_username: str, site_url: str,
                 public_url: str, signer: ActionSigner) -> None:
        self.core = core
        self.driver = driver
        self.bot_user_id = bot_user_id
        self.bot_username = bot_username
        self.gateway = MattermostGateway(driver, site_url)
        self.action_url = public_url.rstrip("/") + "/mattermost/action"
        self.dialog_url = public_url.rstrip("/") + "/mattermost/dialog"
        self.signer = signer
        self.emojis = core.settings.mattermost_emojis
        self.chat = Conversation(core, self)
        core.service.allow(PLATFORM, self.gateway)
        core.service.notifiers[PLATFORM] = self.chat.notify_answered
        core.service.intro_checkers[PLATFORM] = self.chat.check_introduction
        core.service.checkback_askers[PLATFORM] = self.chat.check_back
        core.service.bundle_senders[PLATFORM] = self.chat.send_bundle
        core.service.scheduled[PLATFORM] = self.chat.scheduled
        core.service.posters[PLATFORM] = self.chat.post_to

    # -- websocket events ------------------------------------------------------------------------
    def handle_raw(self, raw: str) -> None:
        """One websocket message; never raises (one bad event must not stop the bot)."""
        try:
            message = json.loads(raw)
        except json.JSONDecodeError:
            log.warning("mattermost: a websocket message that is not JSON was ignored")
            return
        event = message.get("event")
        if not event:
            return  # status replies and other messages without an event
        handler = getattr(self, "on_" + event, None)
        if handler is None:
            return
        try:
            handler(message.get("data") or {}, message.get("broadcast") or {})
        except Exception:
            log.exception("mattermost: handling %s failed", event)

    def _first_time(self, key: str) -> bool:
        if self.core.service.claim_event("mm:" + key):
            return True
        log.info("mattermost: event %s already handled; skipped", key)
        return False

    def on_posted(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        post = _json(data.get("post"), {})
        if not post or post.get("user_id") == self.bot_user_id or post.get("type"):
            return  # our own echo, or a system message
        props = post.get("props") or {}
        if str(props.get("from_bot", "")).lower() == "true" and not self.core.settings.mattermost_answer_bots:
            return
        channel_id, root_id = post["channel_id"], post.get("root_id") or ""
        if root_id:
            self.chat.thread_changed(self.team_of(channel_id), channel_id, root_id)  # a saved thread follows
        mentions = _json(data.get("mentions"), [])
        text = post.get("message", "")
        in_dm = data.get("channel_type", "") == "D"
        mentioned = self.bot_user_id in mentions or f"@{self.bot_username}" in text
        if not in_dm and not mentioned:
            return
        if not self._first_time(f"posted:{post['id']}"):
            return
        question = re.sub(rf"@{re.escape(self.bot_username)}\b", " ", text).strip()
        team_id = data.get("team_id", "")
        if mentioned and self.chat.save_by_mention(chat_message(post), question, post["user_id"],
                                                   workspace=self.team_of(channel_id)):
            return
        self.chat.answer(self.asker(post["user_id"], channel_id, team_id), question,
                         Place(channel_id, "" if in_dm else root_id or post["id"]), key=post["id"])

    def _capture_reaction(self, kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(reaction, post) for a capture-emoji reaction seen for the first time, else None."""
        reaction = _json(data.get("reaction"), {})
        if reaction.get("emoji_name") not in self.emojis or reaction.get("user_id") == self.bot_user_id:
            return None
        key = f"{kind}:{reaction['post_id']}:{reaction['user_id']}:{reaction['emoji_name']}:" \
              f"{reaction.get('create_at', '')}"
        if not self._first_time(key):
            return None
        post = self.gateway.post(reaction["post_id"])
        return (reaction, post) if post is not None else None

    def on_reaction_added(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        found = self._capture_reaction("reaction_added", data)
        if found is not None:
            reaction, post = found
            self.chat.tag(chat_message(post), reaction["user_id"], Place(post["channel_id"], post.get("root_id", "")))

    def on_reaction_removed(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        found = self._capture_reaction("reaction_removed", data)
        if found is not None:
            post = found[1]
            self.chat.untagged(self.team_of(post["channel_id"]), post["channel_id"], post["id"])

    def on_post_edited(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        post = _json(data.get("post"), {})
        if post and self._first_time(f"post_edited:{post['id']}:{post.get('edit_at') or post.get('update_at')}"):
            self.chat.edited(self.team_of(post["channel_id"]), chat_message(post))

    def on_post_deleted(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        post = _json(data.get("post"), {})
        if post and self._first_time(f"post_deleted:{post['id']}"):
            self.chat.deleted(self.team_of(post["channel_id"]), post["channel_id"], post["id"],
                              post.get("root_id") or "")

    def on_user_updated(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        user = _json(data.get("user"), {})
        if not user.get("id") or not self._first_time(f"user_updated:{user['id']}:{user.get('update_at', '')}"):
            return
        self.gateway.forget_user(user["id"])
        if not user.get("delete_at"):
            self.core.service.person_returned(PLATFORM, user["id"])
            return
        name = " ".join(filter(None, (user.get("first_name"), user.get("last_name")))) or user.get("username", "")
        self.chat.person_left(user["id"], name)

    # -- the port: reading -----------------------------------------------------------------------
    def message(self, channel: str, message_id: str) -> ChatMessage | None:
        post = self.gateway.post(message_id)
        return chat_message(post) if post is not None else None

    def thread(self, channel: str, root_id: str) -> list[ChatMessage]:
        return [replace(chat_message(post), from_bot=post.get("user_id") == self.bot_user_id
                        or chat_message(post).from_bot) for post in self.gateway.thread(root_id)]

    def still_tagged(self, channel: str, message_id: str) -> bool:
        try:
            remaining = self.driver.reactions.get_reactions(message_id) or []
        except API_ERRORS:
            remaining = []
        return any(r.get("emoji_name") in self.emojis for r in remaining)

    def place(self, channel: str) -> tuple[Visibility, str]:
        return self.gateway.visibility(channel)

    def workspace(self, channel: str) -> str:
        return self.team_of(channel)

    def team_of(self, channel_id: str) -> str:
        return str(self.gateway.channel(channel_id).get("team_id") or "")

    def permalink(self, workspace: str, channel: str, message_id: str) -> str:
        return self.gateway.permalink(workspace, message_id)

    def person(self, user_id: str) -> PersonRef:
        user = self.gateway.user(user_id)
        return PersonRef(PLATFORM, user_id, user.name or user.username)

    def is_admin(self, user_id: str) -> bool:
        """Whether they administer the workspace (they choose its sharing)."""
        return self.gateway.user(user_id).admin

    def locale(self, user_id: str) -> str:
        return self.gateway.user(user_id).locale

    def lang(self, user_id: str) -> str:
        return self.chat.lang(user_id)

    def find_person(self, text: str) -> PersonRef | None:
        name = text.strip().lstrip("@")
        try:
            user = self.driver.users.get_user_by_username(name)
        except API_ERRORS:
            if not re.fullmatch(r"[a-z0-9]{26}", name):
                return None
            try:  # a user id
                user = self.driver.users.get_user(name)
            except API_ERRORS:
                return None
        return self.person(user["id"])

    def without_mentions(self, text: str) -> str:
        return re.sub(r"(?<![\w@])@[\w.\-]+", " ", text).strip()

    def asker(self, user_id: str, channel_id: str, team_id: str, *, private_reply: bool = False) -> Asker:
        return self.chat.asker(user_id, channel_id, team_id, private_reply=private_reply)

    # -- the port: writing -----------------------------------------------------------------------
    def usernames(self, hits: list[Hit]) -> dict[str, str]:
        return {h.lesson.contact.user_id: self.gateway.user(h.lesson.contact.user_id).username
                for h in hits if h.lesson.contact and h.lesson.contact.platform == PLATFORM
                and h.lesson.contact.user_id}

    def render(self, answer: Answer, hits: list[Hit], asker_id: str) -> tuple[str, list[dict[str, Any]]]:
        return answer_post(answer, hits, action_url=self.action_url, signer=self.signer,
                           usernames=self.usernames(hits),
                           can_introduce=self.core.service.introducible(hits, PLATFORM, asker_id))

    def post_answer(self, place: Place, answer: Answer, hits: list[Hit], asker: Asker, key: str) -> None:
        message, attachments = self.render(answer, hits, asker.user_id)
        self.create_post(place.channel, message, root_id=place.thread or None,
                         props={"attachments": attachments} if attachments else None)

    def post_private(self, user_id: str, place: Place, text: str, *, answer: Answer | None = None,
                     hits: list[Hit] | None = None, lesson: Lesson | None = None, lang: str = "nl") -> None:
        attachments: list[dict[str, Any]] = []
        if answer is not None:
            text, attachments = self.render(answer, answer.hits if hits is None else hits, user_id)
        else:
            text = escape(text)
            if lesson is not None:
                attachments = [confirmation_attachment(lesson, lang, action_url=self.action_url, signer=self.signer)]
        if place.reply is not None:  # the slash command's own response
            response: dict[str, Any] = {"response_type": "ephemeral", "text": text}
            if attachments:
                response["props"] = {"attachments": attachments}
            place.reply(**response)
            return
        self.ephemeral(user_id, place.channel, text, place.thread, attachments)

    def ephemeral(self, user_id: str, channel_id: str, message: str, root_id: str = "",
                  attachments: list[dict[str, Any]] | None = None) -> None:
        post: dict[str, Any] = {"channel_id": channel_id, "message": message}
        if root_id:
            post["root_id"] = root_id
        if attachments:
            post["props"] = {"attachments": attachments}
        self.driver.posts.create_post_ephemeral(user_id, post)

    def _choices(self, action: str, choices: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        return [{"text": "", "actions": [button(label, self.action_url, self.signer, {"action": action, "value": value})
                                         for label, value in choices]}]

    def post_choices(self, user_id: str, place: Place, text: str, action: str,
                     choices: list[tuple[str, dict[str, Any]]]) -> None:
        self.ephemeral(user_id, place.channel, escape(text), place.thread, self._choices(action, choices))

    def direct_choices(self, to: PersonRef, text: str, action: str, choices: list[tuple[str, dict[str, Any]]],
                       **markup: str) -> None:
        channel = self.driver.channels.create_direct_channel([self.bot_user_id, to.user_id])
        self.create_post(channel["id"], fill(escape(text), markup), props={"attachments": self._choices(action,
                                                                                                        choices)})

    def post_message(self, place: Place, text: str, **markup: str) -> str:
        return str(self.create_post(place.channel, fill(escape(text), markup), root_id=place.thread or None)["id"])

    def direct_message(self, to: PersonRef, text: str, **markup: str) -> None:
        channel = self.driver.channels.create_direct_channel([self.bot_user_id, to.user_id])
        self.create_post(channel["id"], fill(escape(text), markup))

    def group_message(self, user_ids: list[str], text: str, **markup: str) -> bool:
        channel = self.driver.channels.create_group_channel([*user_ids, self.bot_user_id])
        self.create_post(channel["id"], fill(escape(text), markup))
        return True

    def mention(self, user_id: str) -> str:
        return "@" + self.gateway.user(user_id).username

    def contact_markup(self, lesson: Lesson, lang: str) -> str:
        return contact_text(lesson, lang, self.usernames([Hit(lesson, 0.0)]))

    def upload_image(self, user_id: str, path: Path, title: str) -> None:
        channel = self.driver.channels.create_direct_channel([self.bot_user_id, user_id])
        with path.open("rb") as handle:
            uploaded = self.driver.files.upload_file(channel_id=channel["id"], files=(path.name, handle, "image/png"))
        self.create_post(channel["id"], title, file_ids=[info["id"] for info in uploaded.get("file_infos", [])])

    def create_post(self, channel_id: str, message: str, *, root_id: str | None = None,
                    props: dict[str, Any] | None = None, file_ids: list[str] | None = None) -> dict[str, Any]:
        """Create a post, retrying server errors and dropped connections with back-off.

        The driver retries 429s itself but not a POST that failed with a 5xx. Every attempt carries the same
        `pending_post_id`, which Mattermost uses to drop duplicates, so a retry never posts twice.
        """
        body: dict[str, Any] = {"channel_id": channel_id, "message": message,
                                "pending_post_id": f"{self.bot_user_id}:{uuid.uuid4().hex}"}
        if root_id:
            body["root_id"] = root_id
        if props:
            body["props"] = props
        if file_ids:
            body["file_ids"] = file_ids
        for attempt in range(POST_ATTEMPTS):
            try:
                return dict(self.driver.client.post("/api/v4/posts", options=body))
            except RETRYABLE as exc:
                if attempt == POST_ATTEMPTS - 1 or not _retryable(exc):
                    raise
                delay = min(30.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.0)
                log.warning("mattermost: creating a post failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                time.sleep(delay)
        raise RuntimeError("unreachable")  # pragma: no cover
