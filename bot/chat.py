"""The flows every chat platform runs, once: `Conversation`, on the port a platform supplies (`ChatPort`, in
`bot.chat_port`, re-exported here with `ChatMessage`, `Place` and `fill`).

A platform (Slack, Mattermost, the console, the next one) supplies the port's primitives and translates its
events into calls of `Conversation`. Everything with a rule in it lives here and in `bot.chat_learning`: what a
thread's story is, what a tag captures, where an answer goes and what only the asker sees, whom to tell when a
question is answered, a contact leaves or an introduction is asked for.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.chat_groups import GroupFlows
from bot.chat_learning import DECLINE_REASONS, LearningFlows
from bot.chat_port import ChatMessage, ChatPort, Place, fill
from bot.commands import CommandContext, Reply, capture_confirmation
from bot.errors import LeerkringError
from bot.lang import language_for
from bot.messages import t
from bot.model import Asker, Lesson, PersonRef, Source, Visibility
from bot.observe import counted_answer, counted_capture, handled
from bot.service import CaptureRequest

__all__ = ["DECLINE_REASONS", "ChatMessage", "ChatPort", "Conversation", "Place", "fill"]

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)
SAVE_WORDS = re.compile(r"\b(bewaar|bewaren|save|opslaan)\b", re.IGNORECASE)
ONLY_SAVE = re.compile(r"^\W*(bewaar|bewaren|save|opslaan)\W*$", re.IGNORECASE)


class Conversation(LearningFlows, GroupFlows):
    """The flows of every platform, on a port."""

    def __init__(self, core: App, port: ChatPort) -> None:
        self.core = core
        self.service = core.service
        self.port = port
        self.platform = port.platform

    def post_to(self, channel: str, text: str) -> str:
        """Post `text` for everyone in `channel` (a coordinator asking the network); the message's id."""
        return self.port.post_message(Place(channel), text)

    # -- people ----------------------------------------------------------------------------------
    def lang(self, user_id: str) -> str:
        return (self.port.locale(user_id) or self.core.settings.default_language)[:2]

    def asker(self, user_id: str, channel: str, workspace: str, *, private_reply: bool = False) -> Asker:
        """Who asks, from where; a reply only the asker sees counts as asked in a direct message."""
        visibility = self.port.place(channel)[0] if channel else Visibility.DM
        person, locale = self.port.person(user_id), self.port.locale(user_id)
        if locale:
            self.service.set_locale(person, locale)
        return Asker(self.platform, user_id, person.name, channel, Visibility.DM if private_reply else visibility,
                     locale, workspace)

    def source(self, workspace: str, channel: str, message_id: str, thread: str = "") -> Source:
        visibility, name = self.port.place(channel)
        return Source(self.platform, workspace, channel, name, visibility, message_id, thread,
                      self.port.permalink(workspace, channel, message_id))

    # -- capture ---------------------------------------------------------------------------------
    def story(self, message: ChatMessage, *, whole_thread: bool = True) -> str:
        """A message's text, or for a thread's root the whole thread: the people's messages only, without
        bots' replies (Leerkring's own among them) or the "@leerkring bewaar" that tagged it."""
        if not whole_thread or not message.is_root:
            return message.text
        thread = self.port.thread(message.channel, message.id)
        if len(thread) <= 1:
            return message.text
        parts = [thread[0].text]
        for reply in thread[1:]:
            if reply.from_bot or ONLY_SAVE.match(self.port.without_mentions(reply.text)):
                continue
            parts.append(f"{self.port.person(reply.user).name if reply.user else '?'}: {reply.text}")
        return "\n\n".join(part for part in parts if part.strip())

    def capture(self, message: ChatMessage, tagger: str, *, workspace: str | None = None,
                whole_thread: bool | None = None, **extra: Any) -> tuple[Lesson, str, bool]:
        """Save a message (a thread's root: the whole thread) as a lesson; (lesson, confirmation, created)."""
        workspace = self.port.workspace(message.channel) if workspace is None else workspace
        thread = message.is_root and (message.has_replies if whole_thread is None else whole_thread)
        text = self.story(message, whole_thread=thread)
        request = CaptureRequest(
            text=text, source=self.source(workspace, message.channel, message.id,
                                          message.id if thread else message.thread),
            author=self.port.person(message.user or tagger), captured_by=self.port.person(tagger),
            occurred_at=message.at, **extra)
        if request.contact is None:
            request.contact = self._contact_in(text)
        result = self.service.capture(request)
        return result.lesson, capture_confirmation(result.lesson, result.created, result.lang,
                                                   result.notices), result.created

    def _contact_in(self, text: str) -> PersonRef | None:
        """`contact: @someone` on a line of its own names the contact."""
        match = re.search(r"(?im)^\s*(?:contact|contactpersoon)\s*[:=]\s*(\S+)", text)
        return self.port.find_person(match.group(1)) if match else None

    def tag(self, message: ChatMessage, tagger: str, place: Place, **kwargs: Any) -> None:
        """A member tagged a message (emoji, mention, shortcut): save it and tell them privately how it went."""
        with handled(self.platform, "capture"):
            try:
                lesson, confirmation, _ = self.capture(message, tagger, **kwargs)
            except LeerkringError as exc:
                self.port.post_private(tagger, place, t(exc.key, self.lang(tagger), **exc.params))
                return
            counted_capture(self.platform)
            self.confirm(tagger, place, lesson, confirmation)

    def confirm(self, user_id: str, place: Place, lesson: Lesson, text: str) -> None:
        lang = language_for(text, self.port.locale(user_id), self.core.settings.default_language)
        self.port.post_private(user_id, place, text, lesson=lesson, lang=lang)

    def save_by_mention(self, post: ChatMessage, request: str, tagger: str, workspace: str | None = None) -> bool:
        """"@leerkring bewaar" in a thread saves the thread; "@leerkring bewaar <text>" saves the text. False
        when the mention is not a save request (then it is a question)."""
        if not SAVE_WORDS.search(request.split("\n", 1)[0]) or (post.is_root and len(request.split()) <= 1):
            return False
        place = Place(post.channel, "" if post.is_root else post.thread)
        if not post.is_root:
            root = self.port.message(post.channel, post.thread)
            if root is not None:
                self.tag(root, tagger, place, workspace=workspace, whole_thread=True)
            return True
        own = ChatMessage(post.id, post.channel, post.user, SAVE_WORDS.sub("", request, count=1).strip(),
                          at=post.at)
        self.tag(own, tagger, place, workspace=workspace, whole_thread=False)
        return True

    def untagged(self, workspace: str, channel: str, message_id: str) -> None:
        """A capture emoji was taken off: the lesson goes when no capture emoji is left (not when a form
        made it someone's own)."""
        with handled(self.platform, "untag"):
            lesson = self.core.repo.find_by_source(self.platform, workspace, channel, message_id)
            if lesson is None or lesson.edited_by_form:
                return
            if not self.port.still_tagged(channel, message_id):
                self.service.remove_by_source(self.platform, workspace, channel, message_id)

    def edited(self, workspace: str, message: ChatMessage) -> None:
        """A message was edited: its lesson follows; an edited reply in a saved thread updates the thread."""
        with handled(self.platform, "edit"):
            lesson = self.core.repo.find_by_source(self.platform, workspace, message.channel, message.id)
            if lesson is None:
                if not message.is_root:
                    self._follow_thread(workspace, message.channel, message.thread)
                return
            text = self.story(message) if lesson.source.thread_id == message.id else message.text
            self._update(workspace, message.channel, message.id, text)

    def deleted(self, workspace: str, channel: str, message_id: str, thread: str = "") -> None:
        """A message was deleted: its lesson goes; a deleted reply in a saved thread updates the thread."""
        with handled(self.platform, "delete"):
            removed = self.service.remove_by_source(self.platform, workspace, channel, message_id)
            if not removed and thread and thread != message_id:
                self._follow_thread(workspace, channel, thread)

    def thread_changed(self, workspace: str, channel: str, root_id: str) -> None:
        """A reply was added, edited or deleted: a thread saved as a lesson tells its story as it now stands
        (idempotent: an unchanged story is not saved again)."""
        with handled(self.platform, "thread"):
            self._follow_thread(workspace, channel, root_id)

    def _follow_thread(self, workspace: str, channel: str, root_id: str) -> None:
        """`thread_changed` within an event already being handled (an edited or deleted reply): one log line."""
        lesson = self.core.repo.find_by_source(self.platform, workspace, channel, root_id)
        if lesson is None or lesson.source.thread_id != lesson.source.message_id:
            return
        root = self.port.message(channel, root_id)
        if root is not None:
            self._update(workspace, channel, root_id, self.story(root))

    def _update(self, workspace: str, channel: str, message_id: str, text: str) -> None:
        try:
            self.service.update_from_source(self.platform, workspace, channel, message_id, text)
        except LeerkringError:
            log.info("%s: changed message %s has no usable text; lesson kept", self.platform, message_id)

    # -- asking ----------------------------------------------------------------------------------
    def answer(self, asker: Asker, question: str, place: Place, key: str) -> None:
        """Answer where it was asked (once, whatever retries happen); lessons only the asker may see go to
        the asker alone."""
        with handled(self.platform, "ask"):
            place, asker = self.in_channel_style(place, asker, key)
            try:
                result = self.service.ask(question, asker)
            except LeerkringError as exc:
                self.port.post_private(asker.user_id, place, t(exc.key, self.lang(asker.user_id), **exc.params))
                return
            counted_answer(self.platform, result.answer.kind.value)
            self.port.post_answer(place, result.answer, result.answer.hits, asker, key)
            if result.private_hits:
                self.port.post_private(asker.user_id, place, "", answer=result.answer, hits=result.private_hits)
            self.ask_colleagues(asker, place, result.answer)

    def in_channel_style(self, place: Place, asker: Asker, key: str) -> tuple[Place, Asker]:
        """The channel's choices: a question that started no thread yet is answered at the top level when its
        members chose so; the channel's language is the replies' language when the question gives no clue."""
        chosen = self.core.repo.channel_settings(self.platform, place.channel)
        if not chosen.threads and place.thread and key.rsplit(":", 1)[-1] == place.thread:
            place = Place(place.channel, "", place.reply)
        if chosen.language:
            asker = replace(asker, locale=chosen.language)
        return place, asker

    def context(self, asker: Asker, source: Any, prefix: str = "/leerkring ") -> CommandContext:
        return CommandContext(asker=asker, person=self.port.person(asker.user_id), prefix=prefix,
                              locale=asker.locale, source=source, resolve_person=self.port.find_person)

    def command(self, text: str, asker: Asker, place: Place, source: Any, *, prefix: str = "/leerkring ") -> None:
        """A slash command (or a command word after a mention): the reply only its user sees; a chart goes to
        their direct messages. `prefix` is how the help writes a command."""
        if self.group_command(text, asker, place, prefix):
            return
        with handled(self.platform, "command"):
            reply: Reply = self.core.router.handle_command(text, self.context(asker, source, prefix))
            self.show(reply, asker, place, key="", public=False)

    def line(self, text: str, asker: Asker, place: Place, source: Any, *, prefix: str, key: str) -> None:
        """A line typed to the bot where everything is a message to it (the console): a command after
        `prefix`, otherwise a question, answered in the open as a mention would be."""
        if text.strip().startswith(prefix) and self.group_command(text.strip()[len(prefix):], asker, place, prefix):
            return
        with handled(self.platform, "line"):
            place, asker = self.in_channel_style(place, asker, key)
            self.show(self.core.router.handle(text, self.context(asker, source, prefix)), asker, place, key=key,
                      public=True)

    def show(self, reply: Reply, asker: Asker, place: Place, *, key: str, public: bool) -> None:
        """Put a command's reply where it belongs: an answer in the open when `public` (lessons only the
        asker may see to the asker alone), everything else privately."""
        if reply.answer is not None:
            counted_answer(self.platform, reply.answer.kind.value)
        if reply.answer is not None and public and not reply.ephemeral:
            self.port.post_answer(place, reply.answer, reply.answer.hits, asker, key)
            if reply.private_hits:
                self.port.post_private(asker.user_id, place, "", answer=reply.answer, hits=reply.private_hits)
            self.ask_colleagues(asker, place, reply.answer)
        elif reply.answer is not None:
            self.port.post_private(asker.user_id, place, reply.text, answer=reply.answer,
                                   hits=[*reply.answer.hits, *reply.private_hits])
        elif reply.lesson_id is not None and (lesson := self.core.repo.get_lesson(reply.lesson_id)) is not None:
            self.confirm(asker.user_id, place, lesson, reply.text)
        else:
            self.port.post_private(asker.user_id, place, reply.text)
        if reply.chart is not None:
            try:
                self.chart(asker.user_id, reply.chart)
            except Exception:
                log.exception("%s: the statistics chart could not be uploaded", self.platform)

    def chart(self, user_id: str, data: dict[str, Any]) -> None:
        from bot.stats import render_png

        with tempfile.TemporaryDirectory() as tmp:
            path = render_png(data, Path(tmp) / "leerkring-stats.png", self.lang(user_id))
            self.port.upload_image(user_id, path, "Leerkring")

    def choice(self, action: str, user_id: str, place: Place, value: dict[str, Any]) -> None:
        """A press on a button the bot showed one person (`ChatPort.post_choices`, `direct_choices`)."""
        if action == "answer":
            self.introduction_answered(user_id, place, int(value.get("i") or 0), str(value.get("a")))
        elif action == "declinereason":
            self.decline_reason(user_id, place, int(value.get("i") or 0), str(value.get("r")))
        elif action == "outcome":
            self.check_back_answered(user_id, place, int(value.get("l") or 0), int(value.get("p") or 0),
                                     str(value.get("o")))
        elif action == "met":
            self.introduction_met(user_id, place, int(value.get("i") or 0), bool(value.get("m")))
        elif action == "reason":
            self.feedback(user_id, place, value.get("l"), value.get("q"), False, str(value.get("r") or ""))
        elif not self.chosen(action, user_id, place, value):
            log.warning("%s: a press on an unknown action %r", self.platform, action)

    # -- peer learning ---------------------------------------------------------------------------
    def person_left(self, user_id: str, name: str) -> None:
        """A contact left: whoever saved their lessons is asked who takes over."""
        lessons = self.service.person_left(self.platform, user_id)
        for capturer, lesson in self.service.who_to_ask(lessons, self.platform, user_id):
            self.port.direct_message(self.port.person(capturer), t("contact.left", self.lang(capturer), name=name,
                                                 short_id=lesson.short_id, title=lesson.title, handle="{handle}"),
                                     handle=self.port.mention(user_id))
