"""Slack interactivity: the lesson form (shortcut, edit button) and the buttons under answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.bootstrap import App as Core
from bot.capture import parse_outcome
from bot.chat import Conversation, Place
from bot.commands import capture_confirmation
from bot.errors import LeerkringError
from bot.handlers.slack.blocks import (
    escape,
    lesson_modal,
    modal_values,
)
from bot.handlers.slack.gateway import SlackGateway, chat_message, slack_time
from bot.messages import t
from bot.model import Asker, Outcome, PersonRef, Source
from bot.service import CaptureRequest

PLATFORM = "slack"


class SlackInteractions:
    """The form and button handlers; mixed into SlackAdapter, which provides the helpers below."""

    core: Core
    bolt: App
    gateway: SlackGateway

    chat: Conversation

    if TYPE_CHECKING:
        def asker(self, user_id: str, channel_id: str, team_id: str, *, private_reply: bool = False) -> Asker: ...
        def person(self, user_id: str) -> PersonRef: ...
        def locale(self, user_id: str) -> str: ...

    # -- the form --------------------------------------------------------------------------------
    def on_shortcut(self, ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        message = body.get("message") or {}
        channel_id = (body.get("channel") or {}).get("id", "")
        user_id = body["user"]["id"]
        profile = self.core.repo.get_person(PLATFORM, message.get("user") or user_id)
        lang = (self.locale(user_id) or "nl")[:2]
        found = chat_message(channel_id, message)
        text = self.chat.story(found, whole_thread=found.has_replies) if channel_id else found.text
        from bot.capture import detect_outcome, extract_themes

        client.views_open(trigger_id=body["trigger_id"], view=lesson_modal(
            text=text, municipality=profile.municipality if profile else "", themes=extract_themes(text),
            outcome=detect_outcome(text), learned="", contact_user=message.get("user") or user_id,
            metadata={"team": body.get("team", {}).get("id", ""), "channel": channel_id,
                      "ts": message.get("ts", ""), "author": message.get("user", "")}, lang=lang))

    def on_edit(self, ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        lesson = self.core.repo.get_lesson(int(body["actions"][0]["value"]))
        if lesson is None:
            return
        contact = lesson.contact.user_id if lesson.contact and lesson.contact.platform == PLATFORM else ""
        client.views_open(trigger_id=body["trigger_id"], view=lesson_modal(
            text=lesson.text, municipality=lesson.municipality, themes=lesson.themes, outcome=lesson.outcome,
            learned=lesson.learned, why=lesson.why, conditions=lesson.conditions, contact_user=contact,
            metadata={"team": lesson.source.workspace, "channel": lesson.source.channel_id,
                      "ts": lesson.source.message_id, "author": lesson.captured_by.user_id,
                      "platform": lesson.source.platform},
            lang=(self.locale(body["user"]["id"]) or "nl")[:2]))

    def on_form_submitted(self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = modal_values(view)
        outcome = parse_outcome(values.get("outcome", "")) or Outcome.UNKNOWN
        if not values.get("text", "").strip():
            ack(response_action="errors", errors={"text": t("capture.empty")})
            return
        ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        user_id = body["user"]["id"]
        team_id, channel_id, ts = meta.get("team", ""), meta.get("channel", ""), meta.get("ts", "")
        from_slack = channel_id and ts and meta.get("platform", PLATFORM) == PLATFORM
        source = (self.chat.source(team_id, channel_id, ts) if from_slack
                  else Source(meta.get("platform", PLATFORM), team_id, channel_id,
                              message_id=ts or f"form-{body.get('view', {}).get('id', '')}"))
        contact = self.person(values["contact"]) if values.get("contact") else None
        themes = [x.strip().lstrip("#").lower() for x in values.get("themes", "").split(",") if x.strip()]
        request = CaptureRequest(text=values["text"], source=source, author=self.person(meta.get("author") or user_id),
                                 captured_by=self.person(user_id), contact=contact,
                                 municipality=values.get("municipality", ""), themes=themes, outcome=outcome,
                                 learned=values.get("learned", ""), why=values.get("why", ""),
                                 conditions=values.get("conditions", ""), edited_by_form=True,
                                 occurred_at=slack_time(ts) if ts else None)
        try:
            result = self.core.service.capture(request)
        except LeerkringError as exc:
            client.chat_postMessage(channel=user_id, text=t(exc.key, "nl", **exc.params))
            return
        text = capture_confirmation(result.lesson, result.created, result.lang, result.notices)
        if channel_id:
            self.chat.confirm(user_id, Place(channel_id), result.lesson, text)
        else:
            client.chat_postMessage(channel=user_id, text=escape(text))

    # -- buttons ---------------------------------------------------------------------------------
    def on_undo(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        user_id = body["user"]["id"]
        lang = (self.locale(user_id) or "nl")[:2]
        try:
            lesson = self.core.service.delete_lesson(self.person(user_id), int(body["actions"][0]["value"]))
        except LeerkringError as exc:
            respond(text=t(exc.key, lang, **exc.params), response_type="ephemeral", replace_original=False)
            return
        respond(text=t("delete.done", lang, short_id=lesson.short_id), response_type="ephemeral",
                replace_original=True)

    def on_feedback(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        action = body["actions"][0]
        data = json.loads(action.get("value") or "{}")
        reason = str(data.get("r") or "") if action["action_id"].startswith("leerkring_reason_") else ""
        place = Place((body.get("channel") or {}).get("id", ""),
                      reply=lambda **reply: respond(**reply, replace_original=bool(reason)))
        self.chat.feedback(body["user"]["id"], place, data.get("l"), data.get("q"),
                           action["action_id"] == "leerkring_helpful", reason)

    def on_choice(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        """A button only its reader sees: an introduction's answer, "did you meet?", how a lesson ended, a reason,
        a coordinator's approval, a failure's pattern, a circle's invitation (`Conversation.choice`)."""
        ack()
        action = body["actions"][0]
        data = json.loads(action.get("value") or "{}")
        place = Place((body.get("channel") or {}).get("id", ""),
                      reply=lambda **reply: respond(**reply, replace_original=True))
        name = action["action_id"].removeprefix("leerkring_").rsplit("_", 1)[0]
        self.chat.choice(name, body["user"]["id"], place, data)

    def on_keep_open(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        user_id = body["user"]["id"]
        data = json.loads(body["actions"][0].get("value") or "{}")
        if data.get("q"):
            self.core.repo.keep_question_open(int(data["q"]), PLATFORM, user_id)
        lang = (self.locale(user_id) or "nl")[:2]
        respond(text=t("question.kept_open", lang), response_type="ephemeral", replace_original=False)

    def on_introduce(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        data = json.loads(body["actions"][0].get("value") or "{}")
        asker = self.asker(body["user"]["id"], (body.get("channel") or {}).get("id", ""),
                           (body.get("team") or {}).get("id", ""))
        respond(text=self.chat.introduce(asker, int(data.get("l", 0))), response_type="ephemeral",
                replace_original=False)
