"""Teams interactivity: the buttons on cards (a press comes back as a message whose value is the button's
data) and the lesson form, opened by the message action "Bewaar als les" or the ✏️ button, submitted from a
Teams dialog. Mixed into TeamsAdapter, which provides the helpers named below."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.bootstrap import App as Core
from bot.capture import parse_lesson, parse_outcome
from bot.chat import ChatMessage, Conversation, Place
from bot.commands import capture_confirmation
from bot.errors import LeerkringError
from bot.handlers.teams.activities import PLATFORM, base_id, thread_of, when
from bot.handlers.teams.cards import dialog, dialog_message, lesson_form, plain
from bot.messages import t
from bot.model import Outcome, PersonRef, Source
from bot.municipalities import registry
from bot.service import CaptureRequest
from bot.storage.references import Reference

if TYPE_CHECKING:
    from bot.storage.repository import Repository

log = logging.getLogger(__name__)


def digest(text: str) -> str:
    """A short fingerprint of a story, to tell whether the form's text is still the message's."""
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


class TeamsInteractions:
    core: Core
    repo: Repository
    chat: Conversation
    _messages: Any
    _people: dict[str, Reference]

    if TYPE_CHECKING:
        def _first_time(self, activity: dict[str, Any], what: str = "") -> bool: ...
        def _keep(self, kind: str, cache: dict[str, Reference], reference: Reference) -> None: ...
        def workspace(self, channel: str) -> str: ...
        def person(self, user_id: str) -> PersonRef: ...
        def post_private(self, user_id: str, place: Place, text: str) -> None: ...

    # -- buttons ---------------------------------------------------------------------------------
    def on_press(self, activity: dict[str, Any], value: dict[str, Any]) -> None:
        """A press on a card's button (`Action.Submit`): its data came back as the activity's value."""
        user_id = str((activity.get("from") or {}).get("id") or "")
        channel = base_id(str((activity.get("conversation") or {}).get("id") or ""))
        place = Place(channel, thread_of(activity))
        action = value.get("leerkring")
        lesson_id = int(value["l"]) if str(value.get("l") or "").isdigit() else None
        question_id = int(value["q"]) if str(value.get("q") or "").isdigit() else None
        lang = self.chat.lang(user_id)
        if action in ("helpful", "unhelpful"):
            self.chat.feedback(user_id, place, lesson_id, question_id, action == "helpful")
        elif action == "intro" and lesson_id is not None:
            asker = self.chat.asker(user_id, channel, self.workspace(channel))
            self.post_private(user_id, place, self.chat.introduce(asker, lesson_id))
        elif action == "keep_open" and question_id is not None:
            self.repo.keep_question_open(question_id, PLATFORM, user_id)
            self.post_private(user_id, place, t("question.kept_open", lang))
        elif action == "undo" and lesson_id is not None:
            try:
                lesson = self.core.service.delete_lesson(self.person(user_id), lesson_id)
                self.post_private(user_id, place, t("delete.done", lang, short_id=lesson.short_id))
            except LeerkringError as exc:
                self.post_private(user_id, place, t(exc.key, lang, **exc.params))
        elif action == "choice":
            self.chat.choice(str(value.get("action") or ""), user_id, place, dict(value.get("value") or {}))
        else:
            log.warning("teams: a press on an unknown button %r", action)

    # -- the message action and the lesson form ----------------------------------------------------
    def on_invoke(self, activity: dict[str, Any]) -> Any:
        name = activity.get("name")
        value = activity.get("value") or {}
        user_id = str((activity.get("from") or {}).get("id") or "")
        lang = self.chat.lang(user_id)
        if name == "composeExtension/fetchTask":
            return self._form_for_message(activity, value, lang)
        if name == "task/fetch":  # the ✏️ button under a confirmation
            data = value.get("data") or {}
            return self._form_for_lesson(int(data.get("l") or 0), lang)
        if name in ("composeExtension/submitAction", "task/submit"):
            if not self._first_time(activity, "submit"):
                return None  # a retried submit: the first one answered
            return self._form_submitted(activity, value, lang)
        return None

    def _payload_message(self, activity: dict[str, Any], value: dict[str, Any]) -> ChatMessage:
        """The message a message action was used on, as Teams sent it along."""
        payload = value.get("messagePayload") or {}
        author = ((payload.get("from") or {}).get("user") or {})
        conversation = base_id(str((activity.get("conversation") or {}).get("id") or ""))
        message_id = str(payload.get("id") or "")
        root = str(payload.get("replyToId") or "")
        known = self._messages.get((conversation, message_id))
        if author.get("id") and author.get("displayName"):
            self._keep("person", self._people, Reference(str(author["id"]), self.workspace(conversation), "",
                                                        str(author["displayName"]),
                                                        {"aad": author.get("aadObjectId") or ""}))
        text = plain(str((payload.get("body") or {}).get("content") or ""))
        return ChatMessage(message_id, conversation, str(author.get("id") or ""), text or (known.text if known
                                                                                        else ""),
                           thread="" if not root or root == message_id else root,
                           has_replies=not root or root == message_id, at=when(payload.get("createdDateTime")))

    def _form_for_message(self, activity: dict[str, Any], value: dict[str, Any], lang: str) -> Any:
        """The lesson form for the message action, filled in from the message (a thread's root: the thread)."""
        message = self._payload_message(activity, value)
        text = self.chat.story(message, whole_thread=message.is_root) if message.channel else message.text
        try:
            parsed = parse_lesson(text, self.core.settings.max_lesson_chars)
        except LeerkringError as exc:
            return dialog_message(t(exc.key, lang, **exc.params))
        profile = self.repo.get_person(PLATFORM, message.user) if message.user else None
        municipality = parsed.municipality or (profile.municipality if profile else "")
        if not municipality:
            named = registry().find_in_text(parsed.text)
            municipality = named[0].name if named else ""
        link = str((value.get("messagePayload") or {}).get("linkToMessage") or "")
        return dialog(t("form.title", lang), lesson_form(
            text=text, municipality=municipality, themes=parsed.themes, outcome=parsed.outcome,
            learned=parsed.learned, why=parsed.why, conditions=parsed.conditions, lang=lang,
            data={"channel": message.channel, "message": message.id, "thread": message.thread,
                  "author": message.user, "link": link, "whole": message.is_root, "story": digest(text)}))

    def _form_for_lesson(self, lesson_id: int, lang: str) -> Any:
        lesson = self.repo.get_lesson(lesson_id)
        if lesson is None:
            return dialog_message(t("error.not_found", lang, short_id=f"#{lesson_id}"))
        return dialog(t("form.title", lang), lesson_form(
            text=lesson.text, municipality=lesson.municipality, themes=lesson.themes, outcome=lesson.outcome,
            learned=lesson.learned, why=lesson.why, conditions=lesson.conditions, lang=lang,
            data={"channel": lesson.source.channel_id, "message": lesson.source.message_id,
                  "thread": lesson.source.thread_id, "author": lesson.captured_by.user_id,
                  "platform": lesson.source.platform, "workspace": lesson.source.workspace,
                  "link": lesson.source.permalink}))

    def _form_submitted(self, activity: dict[str, Any], value: dict[str, Any], lang: str) -> Any:
        values = {k: str(v) for k, v in (value.get("data") or {}).items()}
        user_id = str((activity.get("from") or {}).get("id") or "")
        if not values.get("text", "").strip():
            return dialog_message(t("capture.empty", lang))
        channel, message_id = values.get("channel", ""), values.get("message", "")
        platform = values.get("platform") or PLATFORM
        if platform == PLATFORM and channel and message_id:
            source = self.chat.source(self.workspace(channel), channel, message_id,
                                      message_id if values.get("whole") == "True" else values.get("thread", ""))
            if values.get("link"):
                source = replace(source, permalink=values["link"])
        else:
            source = Source(platform, values.get("workspace", ""), channel, message_id=message_id or
                            f"form-{activity.get('id', '')}", permalink=values.get("link", ""))
        themes = [x.strip().lstrip("#").lower() for x in values.get("themes", "").split(",") if x.strip()]
        author = values.get("author") or user_id
        # a story submitted as the message told it keeps following the message (edits, replies in its thread);
        # a story rewritten in the form is the submitter's own from then on
        rewritten = values.get("story", "") != digest(values["text"])
        request = CaptureRequest(
            text=values["text"], source=source, author=self.person(author), captured_by=self.person(user_id),
            contact=self.person(author) if platform == PLATFORM else None,
            municipality=values.get("municipality") or None, themes=themes or None,
            outcome=parse_outcome(values.get("outcome", "")) or Outcome.UNKNOWN,
            learned=values.get("learned") or None, why=values.get("why") or None,
            conditions=values.get("conditions") or None, edited_by_form=rewritten)
        try:
            result = self.core.service.capture(request)
        except LeerkringError as exc:
            return dialog_message(t(exc.key, lang, **exc.params))
        text = capture_confirmation(result.lesson, result.created, result.lang, result.notices)
        self.chat.confirm(user_id, Place(channel if platform == PLATFORM else ""), result.lesson, text)
        return dialog_message(text.split("\n", 1)[0])

