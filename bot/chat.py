"""The chat-platform contract and the flows that run on it, once for every platform.

A platform (Slack, Mattermost, the console, the next one) supplies a `ChatPort`: a handful of primitives
(read a message or a thread, know a place and a person, post, post privately, send a direct message, upload
a picture, render an answer in its own markup) and the translation of its events into calls of
`Conversation`. Everything with a rule in it lives here: what a thread's story is, what a tag captures, where
an answer goes and what only the asker sees, whom to tell when a question is answered or a contact leaves.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.commands import CommandContext, Reply, answered_notice, capture_confirmation
from bot.errors import LeerkringError
from bot.lang import language_for
from bot.messages import t
from bot.model import Answer, Asker, Hit, Lesson, OpenQuestion, PersonRef, Source, Visibility
from bot.observe import counted_answer, counted_capture, handled
from bot.peer import FEEDBACK_REASONS
from bot.service import CaptureRequest

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)
SAVE_WORDS = re.compile(r"\b(bewaar|bewaren|save|opslaan)\b", re.IGNORECASE)
DECLINE_REASONS = ("not_my_topic", "no_time", "private")  # why a contact says no, kept with the bot
ONLY_SAVE = re.compile(r"^\W*(bewaar|bewaren|save|opslaan)\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class ChatMessage:
    """A message as every platform has one. `thread` is the root's id for a reply, "" for a root."""

    id: str
    channel: str
    user: str
    text: str
    thread: str = ""
    has_replies: bool = False
    from_bot: bool = False
    at: datetime | None = None

    @property
    def is_root(self) -> bool:
        return not self.thread or self.thread == self.id


@dataclass(frozen=True)
class Place:
    """Where a reply goes: a channel, in a thread when `thread` is set. `reply` answers the request that
    asked (a slash command's own reply), where the platform has one, instead of posting anew."""

    channel: str
    thread: str = ""
    reply: Callable[..., Any] | None = field(default=None, compare=False)


def fill(text: str, markup: dict[str, str]) -> str:
    """Put each `{name}` of `markup` (already in the platform's markup) into an escaped text."""
    for key, value in markup.items():
        text = text.replace("{" + key + "}", value)
    return text


class ChatPort(Protocol):
    """What a platform supplies. Text it receives is plain; it escapes and renders in its own markup."""

    platform: str

    # reading
    def message(self, channel: str, message_id: str) -> ChatMessage | None: ...
    def thread(self, channel: str, root_id: str) -> list[ChatMessage]: ...  # the root first
    def still_tagged(self, channel: str, message_id: str) -> bool: ...  # a capture emoji is still on it
    def place(self, channel: str) -> tuple[Visibility, str]: ...  # kind and name
    def workspace(self, channel: str) -> str: ...
    def permalink(self, workspace: str, channel: str, message_id: str) -> str: ...
    def person(self, user_id: str) -> PersonRef: ...
    def locale(self, user_id: str) -> str: ...
    def find_person(self, text: str) -> PersonRef | None: ...  # a mention or handle as the platform writes it
    def without_mentions(self, text: str) -> str: ...  # the text with mentions of anyone removed

    # writing
    def post_answer(self, place: Place, answer: Answer, hits: list[Hit], asker: Asker, key: str) -> None: ...
    def post_private(self, user_id: str, place: Place, text: str, *, answer: Answer | None = None,
                     hits: list[Hit] | None = None, lesson: Lesson | None = None, lang: str = "nl") -> None: ...
    # `text` is plain: the port escapes it, then puts each `{name}` of `markup` (already in its markup) in place
    def direct_message(self, to: PersonRef, text: str, **markup: str) -> None: ...
    def group_message(self, user_ids: list[str], text: str, **markup: str) -> None: ...  # opens the group
    def mention(self, user_id: str) -> str: ...  # a mention that notifies, in the platform's markup
    def contact_markup(self, lesson: Lesson, lang: str) -> str: ...  # the contact as a mention, escaped
    def upload_image(self, user_id: str, path: Path, title: str) -> None: ...  # into the user's direct messages
    # buttons only `user_id` sees (post_choices) or in a direct message (direct_choices); a press comes back
    # to the platform as `action` ("reason", "answer", "met") with the chosen `value`
    def post_choices(self, user_id: str, place: Place, text: str, action: str,
                     choices: list[tuple[str, dict[str, Any]]]) -> None: ...
    def direct_choices(self, to: PersonRef, text: str, action: str, choices: list[tuple[str, dict[str, Any]]],
                       **markup: str) -> None: ...


class Conversation:
    """The flows of every platform, on a port."""

    def __init__(self, core: App, port: ChatPort) -> None:
        self.core = core
        self.service = core.service
        self.port = port
        self.platform = port.platform

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
                    self.thread_changed(workspace, message.channel, message.thread)
                return
            text = self.story(message) if lesson.source.thread_id == message.id else message.text
            self._update(workspace, message.channel, message.id, text)

    def deleted(self, workspace: str, channel: str, message_id: str, thread: str = "") -> None:
        """A message was deleted: its lesson goes; a deleted reply in a saved thread updates the thread."""
        with handled(self.platform, "delete"):
            removed = self.service.remove_by_source(self.platform, workspace, channel, message_id)
            if not removed and thread and thread != message_id:
                self.thread_changed(workspace, channel, thread)

    def thread_changed(self, workspace: str, channel: str, root_id: str) -> None:
        """A reply was added, edited or deleted: a thread saved as a lesson tells its story as it now stands
        (idempotent: an unchanged story is not saved again)."""
        with handled(self.platform, "thread"):
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
            try:
                result = self.service.ask(question, asker)
            except LeerkringError as exc:
                self.port.post_private(asker.user_id, place, t(exc.key, self.lang(asker.user_id), **exc.params))
                return
            counted_answer(self.platform, result.answer.kind.value)
            self.port.post_answer(place, result.answer, result.answer.hits, asker, key)
            if result.private_hits:
                self.port.post_private(asker.user_id, place, "", answer=result.answer, hits=result.private_hits)

    def context(self, asker: Asker, source: Any, prefix: str = "/leerkring ") -> CommandContext:
        return CommandContext(asker=asker, person=self.port.person(asker.user_id), prefix=prefix,
                              locale=asker.locale, source=source, resolve_person=self.port.find_person)

    def command(self, text: str, asker: Asker, place: Place, source: Any) -> None:
        """A slash command: the reply only its user sees; a chart goes to their direct messages."""
        with handled(self.platform, "command"):
            reply: Reply = self.core.router.handle_command(text, self.context(asker, source))
            self.show(reply, asker, place, key="", public=False)

    def line(self, text: str, asker: Asker, place: Place, source: Any, *, prefix: str, key: str) -> None:
        """A line typed to the bot where everything is a message to it (the console): a command after
        `prefix`, otherwise a question, answered in the open as a mention would be."""
        with handled(self.platform, "line"):
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

    def feedback(self, user_id: str, place: Place, lesson_id: int | None, question_id: int | None,
                 helpful: bool, reason: str = "") -> None:
        """A 👍 or 👎 under a lesson; a 👎 asks, optionally, what was wrong (an outdated report reaches
        `leerkring stats`), and every vote nudges the lesson's rank a little."""
        with handled(self.platform, "feedback"):
            lang = self.lang(user_id)
            try:
                self.service.feedback(self.port.person(user_id), question_id, lesson_id, helpful, reason)
            except LeerkringError as exc:
                self.port.post_private(user_id, place, t(exc.key, lang, **exc.params))
                return
            if helpful or reason:
                self.port.post_private(user_id, place, t("feedback.thanks", lang))
                return
            self.port.post_choices(user_id, place, t("feedback.why_not", lang), "reason", [
                (t(f"feedback.reason.{why}", lang), {"l": lesson_id, "q": question_id, "r": why})
                for why in FEEDBACK_REASONS])

    def chart(self, user_id: str, data: dict[str, Any]) -> None:
        from bot.stats import render_png

        with tempfile.TemporaryDirectory() as tmp:
            path = render_png(data, Path(tmp) / "leerkring-stats.png", self.lang(user_id))
            self.port.upload_image(user_id, path, "Leerkring")

    # -- peer learning ---------------------------------------------------------------------------
    def notify_answered(self, question: OpenQuestion, lesson: Lesson) -> None:
        """Tell an asker privately that their open question has an answer now, with whom to talk to: at
        once, or in their daily or weekly bundle, or not at all, as they chose (`meldingen`)."""
        asker = PersonRef(self.platform, question.user_id, question.asker_name or question.user_id)
        self.notice(asker, answered_notice(question, lesson, "{contact}"),
                    contact=self.port.contact_markup(lesson, question.lang))

    def notice(self, to: PersonRef, text: str, **markup: str) -> None:
        """A notice of something new for a person, as often as they chose to hear."""
        mode = self.core.repo.notification_mode(self.platform, to.user_id)
        if mode == "now":
            self.port.direct_message(to, text, **markup)
        elif mode != "off":
            self.core.repo.hold_notice(self.platform, to.user_id, text, markup)

    def send_bundle(self, user_id: str, notices: list[dict[str, Any]]) -> None:
        """The held notices as one direct message (each notice's markup kept apart)."""
        lang = self.lang(user_id)
        parts, markup = [t("notices.bundle", lang, count=len(notices))], {}
        for n, held in enumerate(notices):
            text = held["text"]
            for key, value in held["markup"].items():
                text = text.replace("{" + key + "}", "{" + f"{key}_{n}" + "}")
                markup[f"{key}_{n}"] = value
            parts.append(text)
        self.port.direct_message(self.port.person(user_id), "\n\n".join(parts), **markup)

    def person_left(self, user_id: str, name: str) -> None:
        """A contact left: whoever saved their lessons is asked who takes over."""
        lessons = self.service.person_left(self.platform, user_id)
        for capturer, lesson in self.service.who_to_ask(lessons, self.platform, user_id):
            self.port.direct_message(self.port.person(capturer), t("contact.left", self.lang(capturer), name=name,
                                                 short_id=lesson.short_id, title=lesson.title, handle="{handle}"),
                                     handle=self.port.mention(user_id))

    def introduce(self, asker: Asker, lesson_id: int) -> str:
        """Ask a lesson's contact first whether they want to meet the asker (see service.introduction for who
        may be asked); the text to show the asker. Asking again while the contact has not answered asks no
        one twice."""
        lang = self.lang(asker.user_id)
        try:
            lesson = self.service.introduction(asker, lesson_id)
        except LeerkringError as exc:
            return t(exc.key, lang, **exc.params)
        assert lesson.contact is not None
        contact = self.port.person(lesson.contact.user_id)
        intro, new = self.core.repo.ask_introduction(self.platform, asker.user_id, asker.name, contact.user_id,
                                                     lesson.id)
        if not new:
            return t("intro.asked_before", lang, contact=contact.name)
        their = self.lang(contact.user_id)
        text = t("intro.request", their, asker="{asker}", municipality=self._municipality_of(asker.user_id),
                 short_id=lesson.short_id, title=lesson.title)
        self.port.direct_choices(contact, text, "answer", [
            (t(f"intro.choice.{answer}", their), {"i": intro.id, "a": answer})
            for answer in ("accepted", "later", "declined")], asker=self.port.mention(asker.user_id))
        return t("intro.asked", lang, contact=contact.name)

    def _municipality_of(self, user_id: str) -> str:
        profile = self.core.repo.get_person(self.platform, user_id)
        return profile.municipality if profile and profile.municipality else "?"

    def introduction_answered(self, user_id: str, place: Place, intro_id: int, answer: str) -> None:
        """The contact's answer: on yes the group conversation opens and the asker hears it; on not now or
        no the asker hears, kindly, that it is not now (which of the two, and why, stays with the bot)."""
        with handled(self.platform, "introduction"):
            lang = self.lang(user_id)
            intro = None
            if answer in ("accepted", "later", "declined"):
                check_in = timedelta(days=self.core.settings.intro_check_days)
                intro = self.core.repo.answer_introduction(intro_id, self.platform, user_id, answer,
                                                           check_in=check_in)
            if intro is None:
                self.port.post_private(user_id, place, t("intro.gone", lang))
                return
            if answer == "declined":  # why, if they like: kept with the bot, never told to the asker
                self.port.post_choices(user_id, place, t("intro.why_not", lang), "declinereason", [
                    (t(f"intro.reason.{why}", lang), {"i": intro.id, "r": why}) for why in DECLINE_REASONS])
            else:
                self.port.post_private(user_id, place, t(f"intro.thanks.{answer}", lang))
            lesson = self.core.repo.get_lesson(intro.lesson_id)
            short_id = lesson.short_id if lesson else f"#{intro.lesson_id}"
            asker = PersonRef(self.platform, intro.asker_id, intro.asker_name)
            theirs, contact = self.lang(intro.asker_id), self.port.person(user_id).name
            if answer == "accepted" and lesson is not None:
                text = t("intro.message", theirs, contact="{contact}", asker="{asker}", title=lesson.title,
                         municipality=self._municipality_of(intro.asker_id), short_id=short_id)
                self.port.group_message([intro.asker_id, user_id], text, contact=self.port.mention(user_id),
                                        asker=self.port.mention(intro.asker_id))
                self.port.direct_message(asker, t("intro.accepted", theirs, contact=contact, short_id=short_id))
            else:
                self.port.direct_message(asker, t("intro.not_now", theirs, contact=contact, short_id=short_id))

    def decline_reason(self, user_id: str, place: Place, intro_id: int, reason: str) -> None:
        known = reason in DECLINE_REASONS and self.core.repo.set_introduction_reason(intro_id, self.platform, user_id,
                                                                                     reason)
        self.port.post_private(user_id, place, t("intro.thanks.declined" if known else "intro.gone",
                                                 self.lang(user_id)))

    def check_back(self, lesson: Lesson, period: int, user_id: str) -> None:
        """Months after a lesson whose outcome was not known: "how did it end?", to its contact privately."""
        lang = self.lang(user_id)
        months = round(self.core.settings.checkback_periods[period - 1] / 30)
        self.port.direct_choices(self.port.person(user_id), t("checkback.ask", lang, months=months,
                                                              short_id=lesson.short_id, title=lesson.title),
                                 "outcome", [(t(f"checkback.{outcome}", lang), {"l": lesson.id, "p": period,
                                                                               "o": outcome})
                                             for outcome in ("worked", "failed", "mixed", "running")])

    def check_back_answered(self, user_id: str, place: Place, lesson_id: int, period: int, outcome: str) -> None:
        with handled(self.platform, "checkback"):
            lang = self.lang(user_id)
            try:
                known = self.service.answer_check_back(self.port.person(user_id), lesson_id, period, outcome)
            except LeerkringError as exc:
                self.port.post_private(user_id, place, t(exc.key, lang, **exc.params))
                return
            self.port.post_private(user_id, place, t("checkback.thanks" if known else "checkback.gone", lang))

    def check_introduction(self, intro: Any) -> None:
        """Some days after an accepted introduction: "did you two talk?", to each of them privately."""
        lesson = self.core.repo.get_lesson(intro.lesson_id)
        if lesson is None:
            return
        for user_id in (intro.asker_id, intro.contact_id):
            lang = self.lang(user_id)
            self.port.direct_choices(self.port.person(user_id), t("intro.check", lang, short_id=lesson.short_id,
                                                                  title=lesson.title), "met", [
                (t("intro.choice.met", lang), {"i": intro.id, "m": 1}),
                (t("intro.choice.not_met", lang), {"i": intro.id, "m": 0})])

    def introduction_met(self, user_id: str, place: Place, intro_id: int, met: bool) -> None:
        with handled(self.platform, "met"):
            known = self.core.repo.record_meeting(intro_id, self.platform, user_id, met)
            self.port.post_private(user_id, place, t("intro.thanks.met" if known else "intro.gone",
                                                     self.lang(user_id)))
