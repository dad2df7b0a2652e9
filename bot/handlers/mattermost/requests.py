"""Mattermost's HTTP requests to the bot: the slash command and button presses."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mattermostautodriver import TypedDriver

from bot.bootstrap import App as Core
from bot.commands import CommandContext
from bot.errors import LeerkringError
from bot.handlers.mattermost.attachments import (
    ActionSigner,
    confirmation_attachment,
    escape,
)
from bot.handlers.mattermost.gateway import MattermostGateway
from bot.messages import t
from bot.model import Asker, Hit, PersonRef, Source

log = logging.getLogger(__name__)
PLATFORM = "mattermost"


class MattermostRequests:
    """Slash command and button handlers; mixed into MattermostAdapter, which provides the helpers below."""

    core: Core
    driver: TypedDriver
    gateway: MattermostGateway
    bot_user_id: str
    action_url: str
    signer: ActionSigner

    if TYPE_CHECKING:
        def person(self, user_id: str) -> PersonRef: ...
        def lang(self, user_id: str) -> str: ...
        def asker(self, user_id: str, channel_id: str, team_id: str, *, private_reply: bool = False) -> Asker: ...
        def render(self, result_answer: Any, hits: list[Hit], asker_id: str
                   ) -> tuple[str, list[dict[str, Any]]]: ...
        def resolve(self, text: str) -> PersonRef | None: ...
        def upload_chart(self, user_id: str, data: dict[str, Any]) -> None: ...
        def create_post(self, channel_id: str, message: str, *, root_id: str | None = None,
                        props: dict[str, Any] | None = None, file_ids: list[str] | None = None
                        ) -> dict[str, Any]: ...

    # -- slash command and buttons (HTTP) --------------------------------------------------------
    def on_command(self, form: dict[str, str]) -> dict[str, Any]:
        user_id, channel_id, team_id = form.get("user_id", ""), form.get("channel_id", ""), form.get("team_id", "")
        asker = self.asker(user_id, channel_id, team_id, private_reply=True)
        visibility, name = self.gateway.visibility(channel_id)
        trigger = form.get("trigger_id") or form.get("request_id") or ""
        ctx = CommandContext(asker=asker, person=self.person(user_id), prefix="/leerkring ", locale=asker.locale,
                             source=lambda: Source(PLATFORM, team_id, channel_id, name, visibility,
                                                   f"cmd-{trigger or datetime.now(UTC).timestamp()}"),
                             resolve_person=self.resolve)
        reply = self.core.router.handle_command(form.get("text", ""), ctx)
        response: dict[str, Any] = {"response_type": "ephemeral", "text": escape(reply.text)}
        if reply.answer is not None:
            hits = [*reply.answer.hits, *reply.private_hits]
            message, attachments = self.render(reply.answer, hits, user_id)
            response = {"response_type": "ephemeral", "text": message, "props": {"attachments": attachments}}
        elif reply.lesson_id is not None:
            lesson = self.core.repo.get_lesson(reply.lesson_id)
            if lesson is not None:
                response["props"] = {"attachments": [confirmation_attachment(
                    lesson, asker.locale[:2] or "nl", action_url=self.action_url, signer=self.signer)]}
        if reply.chart is not None:
            try:
                self.upload_chart(user_id, reply.chart)
            except Exception:
                log.exception("mattermost: the statistics chart could not be uploaded")
        return response

    def on_action(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A button press; the caller has checked the signature."""
        context = payload.get("context") or {}
        user_id = payload.get("user_id", "")
        lang = self.lang(user_id)
        action = context.get("action")
        lesson_id = int(context.get("lesson") or 0)
        if action in ("helpful", "unhelpful"):
            self.core.service.feedback(self.person(user_id), context.get("question"), lesson_id, action == "helpful")
            return {"ephemeral_text": t("feedback.thanks", lang)}
        if action == "undo":
            try:
                lesson = self.core.service.delete_lesson(self.person(user_id), lesson_id)
            except LeerkringError as exc:
                return {"ephemeral_text": t(exc.key, lang, **exc.params)}
            return {"update": {"message": t("delete.done", lang, short_id=lesson.short_id), "props": {}},
                    "ephemeral_text": t("delete.done", lang, short_id=lesson.short_id)}
        if action == "intro":
            asker = self.asker(user_id, payload.get("channel_id", ""), payload.get("team_id", ""))
            return {"ephemeral_text": self.introduce(asker, lesson_id, lang)}
        return {"ephemeral_text": t("error.generic", lang)}

    def introduce(self, asker: Asker, lesson_id: int, lang: str) -> str:
        """Open a group conversation of the asker, the lesson's contact and the bot (see service.introduction)."""
        try:
            lesson = self.core.service.introduction(asker, lesson_id)
        except LeerkringError as exc:
            return t(exc.key, lang, **exc.params)
        assert lesson.contact is not None
        contact, user_id = lesson.contact, asker.user_id
        channel = self.driver.channels.create_group_channel([user_id, contact.user_id, self.bot_user_id])
        profile = self.core.repo.get_person(PLATFORM, user_id)
        place = profile.municipality if profile and profile.municipality else "?"
        text = t("intro.message", lang, contact="@" + self.gateway.user(contact.user_id).username,
                 asker="@" + self.gateway.user(user_id).username, municipality=escape(place),
                 title=escape(lesson.title), short_id=lesson.short_id)
        self.create_post(channel["id"], text)
        return t("intro.done", lang)
