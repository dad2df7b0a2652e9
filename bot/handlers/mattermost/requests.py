"""Mattermost's HTTP requests to the bot: the slash command, button presses and the lesson form."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mattermostautodriver import TypedDriver

from bot.bootstrap import App as Core
from bot.chat import Conversation, Place
from bot.commands import COMMANDS, capture_confirmation
from bot.errors import LeerkringError
from bot.handlers.mattermost.attachments import (
    ActionSigner,
)
from bot.handlers.mattermost.dialog import lesson_dialog, submitted
from bot.handlers.mattermost.gateway import MattermostGateway
from bot.messages import t
from bot.model import Asker, PersonRef, Source
from bot.service import CaptureRequest

log = logging.getLogger(__name__)
PLATFORM = "mattermost"


# buttons only their reader sees, handled by Conversation.choice
CHOICES = ("reason", "answer", "met", "outcome", "declinereason", "approve", "pattern", "circle")

class MattermostRequests:
    """Slash command and button handlers; mixed into MattermostAdapter, which provides the helpers below."""

    core: Core
    driver: TypedDriver
    gateway: MattermostGateway
    bot_user_id: str
    action_url: str
    dialog_url: str
    signer: ActionSigner

    chat: Conversation

    if TYPE_CHECKING:
        def person(self, user_id: str) -> PersonRef: ...
        def lang(self, user_id: str) -> str: ...
        def asker(self, user_id: str, channel_id: str, team_id: str, *, private_reply: bool = False) -> Asker: ...

    # -- slash command and buttons (HTTP) --------------------------------------------------------
    def on_command(self, form: dict[str, str]) -> dict[str, Any]:
        user_id, channel_id, team_id = form.get("user_id", ""), form.get("channel_id", ""), form.get("team_id", "")
        asker = self.asker(user_id, channel_id, team_id, private_reply=True)
        words = form.get("text", "").split()
        if len(words) == 1 and COMMANDS.get(words[0].lower()) == "capture" and form.get("trigger_id"):
            # `/leerkring les` without a story: the form
            lang = asker.locale[:2] or self.core.settings.default_language
            self.open_dialog(form["trigger_id"], lesson_dialog(
                lang, {"user": user_id, "channel": channel_id, "team": team_id, "lesson": 0}, self.signer))
            return {"response_type": "ephemeral", "text": ""}
        trigger = form.get("trigger_id") or form.get("request_id") or ""

        def source() -> Source:
            visibility, name = self.gateway.visibility(channel_id)
            return Source(PLATFORM, team_id, channel_id, name, visibility,
                          f"cmd-{trigger or datetime.now(UTC).timestamp()}")

        responses: list[dict[str, Any]] = []
        self.chat.command(form.get("text", ""), asker, Place(channel_id, reply=lambda **r: responses.append(r)),
                          source=source)
        return responses[0] if responses else {"response_type": "ephemeral", "text": ""}

    def on_action(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A button press; the caller has checked the signature."""
        context = payload.get("context") or {}
        user_id = payload.get("user_id", "")
        lang = self.lang(user_id)
        action = context.get("action")
        lesson_id = int(context.get("lesson") or 0)
        if action in ("helpful", "unhelpful", *CHOICES):
            replies: list[dict[str, Any]] = []
            place = Place(payload.get("channel_id", ""), reply=lambda **reply: replies.append(reply))
            if action in CHOICES:
                self.chat.choice(str(action), user_id, place, context.get("value") or {})
            else:
                self.chat.feedback(user_id, place, lesson_id or None, context.get("question"), action == "helpful")
            return {"ephemeral_text": replies[0]["text"]} if replies else {}
        if action == "undo":
            try:
                lesson = self.core.service.delete_lesson(self.person(user_id), lesson_id)
            except LeerkringError as exc:
                return {"ephemeral_text": t(exc.key, lang, **exc.params)}
            return {"update": {"message": t("delete.done", lang, short_id=lesson.short_id), "props": {}},
                    "ephemeral_text": t("delete.done", lang, short_id=lesson.short_id)}
        if action == "edit":
            try:
                lesson = self.core.service.own_lesson(self.person(user_id), lesson_id)
            except LeerkringError as exc:
                return {"ephemeral_text": t(exc.key, lang, **exc.params)}
            contact = lesson.contact.user_id if lesson.contact and lesson.contact.platform == PLATFORM else ""
            self.open_dialog(payload.get("trigger_id", ""), lesson_dialog(
                lang, {"user": user_id, "channel": lesson.source.channel_id, "team": lesson.source.workspace,
                       "lesson": lesson.id}, self.signer, lesson, contact_user=contact))
            return {}
        if action == "intro":
            asker = self.asker(user_id, payload.get("channel_id", ""), payload.get("team_id", ""))
            return {"ephemeral_text": self.chat.introduce(asker, lesson_id)}
        return {"ephemeral_text": t("error.generic", lang)}

    def open_dialog(self, trigger_id: str, dialog: dict[str, Any]) -> None:
        self.driver.integration_actions.open_interactive_dialog(trigger_id, self.dialog_url, dialog)

    def on_dialog(self, payload: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """The lesson form was submitted (its state checked by the caller): save a new lesson, or the edited
        one, marked as edited by a form so later edits of the message no longer overwrite it."""
        user_id = payload.get("user_id", "")
        lang = self.lang(user_id)
        if payload.get("cancelled"):
            return {}
        values = submitted(payload)
        if not values["text"]:
            return {"errors": {"text": t("capture.empty", lang)}}
        channel_id, team_id = str(state.get("channel") or ""), str(state.get("team") or "")
        lesson = None
        if state.get("lesson"):
            try:
                lesson = self.core.service.own_lesson(self.person(user_id), int(state["lesson"]))
            except LeerkringError as exc:
                return {"errors": {"text": t(exc.key, lang, **exc.params)}}
        if lesson is not None:
            source, author = lesson.source, lesson.captured_by
        else:
            visibility, name = self.gateway.visibility(channel_id)
            source = Source(PLATFORM, team_id, channel_id, name, visibility, f"form-{uuid.uuid4().hex}")
            author = self.person(user_id)
        contact = self.person(values["contact"]) if values["contact"] else None
        try:
            result = self.core.service.capture(CaptureRequest(
                text=values["text"], source=source, author=author, captured_by=self.person(user_id), contact=contact,
                municipality=values["municipality"], themes=values["themes"], outcome=values["outcome"],
                learned=values["learned"], why=values["why"], conditions=values["conditions"],
                edited_by_form=True, occurred_at=lesson.occurred_at if lesson else None))
        except LeerkringError as exc:
            return {"errors": {"text": t(exc.key, lang, **exc.params)}}
        text = capture_confirmation(result.lesson, result.created, result.lang, result.notices)
        self.chat.confirm(user_id, Place(channel_id), result.lesson, text)
        return {}
