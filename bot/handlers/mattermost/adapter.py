"""Mattermost events and requests in, core calls out, attachments back.

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
from datetime import UTC, datetime
from typing import Any

import httpx
from mattermostautodriver import TypedDriver
from mattermostautodriver.exceptions import InvalidMattermostError, UnknownMattermostError

from bot.bootstrap import App as Core
from bot.commands import answered_notice, capture_confirmation
from bot.errors import LeerkringError
from bot.handlers.mattermost.attachments import (
    ActionSigner,
    answer_post,
    confirmation_attachment,
    contact_text,
    escape,
)
from bot.handlers.mattermost.gateway import API_ERRORS, MattermostGateway
from bot.handlers.mattermost.requests import MattermostRequests
from bot.lang import language_for
from bot.messages import t
from bot.model import Asker, Hit, Lesson, OpenQuestion, PersonRef, Source, Visibility
from bot.service import CaptureRequest

log = logging.getLogger(__name__)
PLATFORM = "mattermost"
POST_ATTEMPTS = 7  # about a minute of back-off in all
RETRYABLE = (UnknownMattermostError, InvalidMattermostError, httpx.TransportError)


def _retryable(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    return isinstance(exc, httpx.TransportError) or (isinstance(status, int) and status >= 500)
SAVE_WORDS = re.compile(r"\b(bewaar|bewaren|save|opslaan)\b", re.IGNORECASE)


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


class MattermostAdapter(MattermostRequests):
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
        core.service.access = self.gateway
        core.service.notifiers[PLATFORM] = self.notify_answered

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
        if post.get("root_id"):
            self.refresh_thread(post["channel_id"], post["root_id"])  # a saved thread follows its new replies
        mentions = _json(data.get("mentions"), [])
        text = post.get("message", "")
        channel_type = data.get("channel_type", "")
        mentioned = self.bot_user_id in mentions or f"@{self.bot_username}" in text
        if channel_type != "D" and not mentioned:
            return
        if not self._first_time(f"posted:{post['id']}"):
            return
        question = re.sub(rf"@{re.escape(self.bot_username)}\b", " ", text).strip()
        root_id = post.get("root_id") or ""
        if mentioned and SAVE_WORDS.search(question.split("\n", 1)[0]) and (root_id or len(question.split()) > 1):
            self._capture_by_mention(post, question, data.get("team_id", ""))
            return
        self.answer(post["channel_id"], post["user_id"], question, root_id=root_id or post["id"],
                    team_id=data.get("team_id", ""), in_dm=channel_type == "D")

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
        if found is None:
            return
        reaction, post = found
        try:
            lesson, text = self.capture_post(post, tagger=reaction["user_id"])
        except LeerkringError as exc:
            self.ephemeral(reaction["user_id"], post["channel_id"], t(exc.key, self.lang(reaction["user_id"]),
                                                                      **exc.params))
            return
        self.confirm(reaction["user_id"], post["channel_id"], lesson, text, post.get("root_id", ""))

    def on_reaction_removed(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        found = self._capture_reaction("reaction_removed", data)
        if found is None:
            return
        _, post = found
        lesson = self.core.repo.find_by_source(PLATFORM, self.team_of(post["channel_id"]), post["channel_id"],
                                               post["id"])
        if lesson is None or lesson.edited_by_form:
            return
        try:
            remaining = self.driver.reactions.get_reactions(post["id"]) or []
        except API_ERRORS:
            remaining = []
        if not any(r.get("emoji_name") in self.emojis for r in remaining):
            self.core.service.remove_by_source(PLATFORM, lesson.source.workspace, post["channel_id"], post["id"])

    def on_post_edited(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        post = _json(data.get("post"), {})
        if not post or not self._first_time(f"post_edited:{post['id']}:{post.get('edit_at') or post.get('update_at')}"):
            return
        lesson = self.core.repo.find_by_source(PLATFORM, self.team_of(post["channel_id"]), post["channel_id"],
                                               post["id"])
        if lesson is None:
            if post.get("root_id"):
                self.refresh_thread(post["channel_id"], post["root_id"])  # an edited reply in a saved thread
            return
        text = self.story(post) if lesson.source.thread_id == post["id"] else post.get("message", "")
        self._update(lesson.source.workspace, post["channel_id"], post["id"], text)

    def on_post_deleted(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        post = _json(data.get("post"), {})
        if post and self._first_time(f"post_deleted:{post['id']}"):
            removed = self.core.service.remove_by_source(PLATFORM, self.team_of(post["channel_id"]),
                                                         post["channel_id"], post["id"])
            if not removed and post.get("root_id"):
                self.refresh_thread(post["channel_id"], post["root_id"])  # a deleted reply in a saved thread

    def refresh_thread(self, channel_id: str, root_id: str) -> None:
        """A reply was added, edited or deleted: a thread saved as a lesson tells its story as it now stands
        (idempotent: an unchanged story is not saved again)."""
        lesson = self.core.repo.find_by_source(PLATFORM, self.team_of(channel_id), channel_id, root_id)
        if lesson is None or lesson.source.thread_id != lesson.source.message_id:
            return
        root = self.gateway.post(root_id)
        if root is not None:
            self._update(lesson.source.workspace, channel_id, root_id, self.story(root))

    def _update(self, team_id: str, channel_id: str, post_id: str, text: str) -> None:
        try:
            self.core.service.update_from_source(PLATFORM, team_id, channel_id, post_id, text)
        except LeerkringError:
            log.info("mattermost: changed post %s has no usable text; lesson kept", post_id)

    def on_user_updated(self, data: dict[str, Any], broadcast: dict[str, Any]) -> None:
        user = _json(data.get("user"), {})
        if not user.get("id") or not self._first_time(f"user_updated:{user['id']}:{user.get('update_at', '')}"):
            return
        self.gateway.forget_user(user["id"])
        if not user.get("delete_at"):
            self.core.service.person_returned(PLATFORM, user["id"])
            return
        lessons = self.core.service.person_left(PLATFORM, user["id"])
        for capturer, lesson in self.core.service.who_to_ask(lessons, PLATFORM, user["id"]):
            name = lesson.contact.name if lesson.contact else user.get("username", "")
            self.direct_message(capturer, t("contact.left", self.lang(capturer), name=escape(name),
                                            short_id=lesson.short_id, title=escape(lesson.title),
                                            handle="@" + user.get("username", "")))

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

    # -- peer learning ---------------------------------------------------------------------------
    def direct_message(self, user_id: str, message: str, file_ids: list[str] | None = None) -> None:
        channel = self.driver.channels.create_direct_channel([self.bot_user_id, user_id])
        self.create_post(channel["id"], message, file_ids=file_ids)

    def notify_answered(self, question: OpenQuestion, lesson: Lesson) -> None:
        contact = contact_text(lesson, question.lang, self.usernames([Hit(lesson, 0.0)]))
        self.direct_message(question.user_id, escape(answered_notice(question, lesson, "{contact}"))
                            .replace("{contact}", contact))

    def resolve(self, text: str) -> PersonRef | None:
        name = text.strip().lstrip("@")
        try:
            user = self.driver.users.get_user_by_username(name)
        except API_ERRORS:
            return None
        return self.person(user["id"])

    def upload_chart(self, user_id: str, data: dict[str, Any]) -> None:
        """Draw the statistics and post the picture in the user's direct channel with the bot."""
        import tempfile
        from pathlib import Path

        from bot.stats import render_png

        channel = self.driver.channels.create_direct_channel([self.bot_user_id, user_id])
        with tempfile.TemporaryDirectory() as tmp:
            path = render_png(data, Path(tmp) / "leerkring-stats.png", self.lang(user_id))
            with path.open("rb") as handle:
                uploaded = self.driver.files.upload_file(channel_id=channel["id"],
                                                         files=("leerkring-stats.png", handle, "image/png"))
        file_ids = [info["id"] for info in uploaded.get("file_infos", [])]
        self.create_post(channel["id"], "Leerkring", file_ids=file_ids)

    # -- capture ---------------------------------------------------------------------------------
    def team_of(self, channel_id: str) -> str:
        return str(self.gateway.channel(channel_id).get("team_id") or "")

    def person(self, user_id: str) -> PersonRef:
        user = self.gateway.user(user_id)
        return PersonRef(PLATFORM, user_id, user.name or user.username)

    def lang(self, user_id: str) -> str:
        return (self.gateway.user(user_id).locale or self.core.settings.default_language)[:2]

    def story(self, post: dict[str, Any]) -> str:
        root = post.get("root_id") or post["id"]
        thread = self.gateway.thread(root)
        if len(thread) <= 1:
            return str(post.get("message", ""))
        parts = [str(thread[0].get("message", ""))]
        only_tag = re.compile(rf"^\s*@{re.escape(self.bot_username)}\s*(bewaar|bewaren|save|opslaan)\W*$",
                              re.IGNORECASE)
        for reply in thread[1:]:
            if reply.get("user_id") == self.bot_user_id or only_tag.match(str(reply.get("message") or "")):
                continue  # the bot's own replies, and the "@leerkring bewaar" that tagged the thread
            parts.append(f"{self.person(reply.get('user_id', '')).name}: {reply.get('message', '')}")
        return "\n\n".join(part for part in parts if part.strip())

    def capture_post(self, post: dict[str, Any], *, tagger: str,
                     whole_thread: bool | None = None) -> tuple[Lesson, str]:
        channel_id = post["channel_id"]
        team_id = self.team_of(channel_id)
        visibility, name = self.gateway.visibility(channel_id)
        is_root = not post.get("root_id")
        thread = whole_thread if whole_thread is not None else is_root
        text = self.story(post) if thread else str(post.get("message", ""))
        source = Source(PLATFORM, team_id, channel_id, name, visibility, post["id"],
                        post["id"] if thread else str(post.get("root_id") or ""),
                        self.gateway.permalink(team_id, post["id"]))
        request = CaptureRequest(text=text, source=source, author=self.person(post.get("user_id") or tagger),
                                 captured_by=self.person(tagger), occurred_at=_when(post.get("create_at")))
        match = re.search(r"(?im)^\s*(?:contact|contactpersoon)\s*[:=]\s*@([\w.\-]+)", text)
        if match:
            try:
                contact = self.driver.users.get_user_by_username(match.group(1))
                request.contact = PersonRef(PLATFORM, contact["id"], self.person(contact["id"]).name)
            except API_ERRORS:
                pass
        result = self.core.service.capture(request)
        return result.lesson, capture_confirmation(result.lesson, result.created, result.lang, result.notices)

    def _capture_by_mention(self, post: dict[str, Any], question: str, team_id: str) -> None:
        root_id = post.get("root_id") or ""
        try:
            if root_id:
                root = self.gateway.post(root_id)
                if root is None:
                    return
                lesson, text = self.capture_post(root, tagger=post["user_id"], whole_thread=True)
            else:
                own = {**post, "message": SAVE_WORDS.sub("", question, count=1).strip()}
                lesson, text = self.capture_post(own, tagger=post["user_id"], whole_thread=False)
        except LeerkringError as exc:
            self.ephemeral(post["user_id"], post["channel_id"], t(exc.key, self.lang(post["user_id"]), **exc.params))
            return
        self.confirm(post["user_id"], post["channel_id"], lesson, text, root_id)

    def confirm(self, user_id: str, channel_id: str, lesson: Lesson, text: str, root_id: str = "") -> None:
        lang = language_for(text, self.gateway.user(user_id).locale, self.core.settings.default_language)
        self.ephemeral(user_id, channel_id, escape(text), root_id,
                       [confirmation_attachment(lesson, lang, action_url=self.action_url, signer=self.signer)])

    def ephemeral(self, user_id: str, channel_id: str, message: str, root_id: str = "",
                  attachments: list[dict[str, Any]] | None = None) -> None:
        post: dict[str, Any] = {"channel_id": channel_id, "message": message}
        if root_id:
            post["root_id"] = root_id
        if attachments:
            post["props"] = {"attachments": attachments}
        self.driver.posts.create_post_ephemeral(user_id, post)

    # -- asking ----------------------------------------------------------------------------------
    def asker(self, user_id: str, channel_id: str, team_id: str, *, private_reply: bool = False) -> Asker:
        visibility, _ = self.gateway.visibility(channel_id) if channel_id else (Visibility.DM, "")
        user = self.gateway.user(user_id)
        if user.locale:
            self.core.service.set_locale(PersonRef(PLATFORM, user_id, user.name), user.locale)
        return Asker(PLATFORM, user_id, user.name, channel_id, Visibility.DM if private_reply else visibility,
                     user.locale, team_id)

    def usernames(self, hits: list[Hit]) -> dict[str, str]:
        return {h.lesson.contact.user_id: self.gateway.user(h.lesson.contact.user_id).username
                for h in hits if h.lesson.contact and h.lesson.contact.platform == PLATFORM
                and h.lesson.contact.user_id}

    def render(self, result_answer: Any, hits: list[Hit], asker_id: str) -> tuple[str, list[dict[str, Any]]]:
        return answer_post(result_answer, hits, action_url=self.action_url, signer=self.signer,
                           usernames=self.usernames(hits),
                           can_introduce=self.core.service.introducible(hits, PLATFORM, asker_id))

    def answer(self, channel_id: str, user_id: str, question: str, *, root_id: str, team_id: str,
               in_dm: bool) -> None:
        asker = self.asker(user_id, channel_id, team_id)
        try:
            result = self.core.service.ask(question, asker)
        except LeerkringError as exc:
            self.ephemeral(user_id, channel_id, t(exc.key, self.lang(user_id), **exc.params), root_id)
            return
        message, attachments = self.render(result.answer, result.answer.hits, user_id)
        props = {"attachments": attachments} if attachments else None
        self.create_post(channel_id, message, root_id=None if in_dm else root_id, props=props)
        if result.private_hits:
            message, attachments = self.render(result.answer, result.private_hits, user_id)
            self.ephemeral(user_id, channel_id, message, root_id, attachments)
