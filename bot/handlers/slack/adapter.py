"""slack-bolt listeners: Slack payloads in, core requests out, Block Kit back.

Events are acknowledged by bolt at once; the work runs after the ack. Every event is claimed in the
database first, so a redelivered or duplicated event is handled once across processes.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.bootstrap import App as Core
from bot.commands import CommandContext, Reply, answered_notice, capture_confirmation
from bot.errors import LeerkringError
from bot.handlers.slack.blocks import (
    answer_blocks,
    confirmation_blocks,
    contact_mrkdwn,
    escape,
)
from bot.handlers.slack.gateway import SlackGateway, slack_time
from bot.handlers.slack.interactions import SlackInteractions
from bot.lang import language_for
from bot.messages import t
from bot.model import Asker, Lesson, OpenQuestion, PersonRef, Source, Visibility
from bot.service import CaptureRequest

log = logging.getLogger(__name__)
PLATFORM = "slack"
SAVE_WORDS = re.compile(r"\b(bewaar|bewaren|save|opslaan)\b", re.IGNORECASE)
# Message events that add, edit or delete a reply in a thread
THREAD_CHANGES = (None, "message_changed", "message_deleted", "thread_broadcast", "file_share")
# A reply that only tags the thread: "@leerkring bewaar" (the mention, a save word, nothing else).
SAVE_COMMAND = re.compile(r"^\s*<@[A-Z0-9]+>\s*(bewaar|bewaren|save|opslaan)\W*$", re.IGNORECASE)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class SlackAdapter(SlackInteractions):
    """Registers Leerkring's listeners on a bolt App."""

    def __init__(self, core: Core, bolt: App) -> None:
        self.core = core
        self.bolt = bolt
        self.gateway = SlackGateway(bolt.client)
        self.emojis = core.settings.capture_emojis
        core.service.access = self.gateway
        core.service.notifiers[PLATFORM] = self.notify_answered
        self._register()

    # -- registration ----------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.bolt
        app.event("reaction_added")(self.on_reaction_added)
        app.event("reaction_removed")(self.on_reaction_removed)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.event("user_change")(self.on_user_change)
        app.event("team_join")(self.on_user_change)
        app.command("/leerkring")(self.on_command)
        app.shortcut("leerkring_save")(self.on_shortcut)
        app.view("leerkring_lesson")(self.on_form_submitted)
        app.action("leerkring_edit")(self.on_edit)
        app.action("leerkring_undo")(self.on_undo)
        app.action("leerkring_intro")(self.on_introduce)
        app.action("leerkring_helpful")(self.on_feedback)
        app.action("leerkring_unhelpful")(self.on_feedback)
        app.action("leerkring_keep_open")(self.on_keep_open)
        app.error(self.on_error)

    def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: handling %s failed: %s", body.get("event_id") or body.get("type"), error,
                  exc_info=error)

    def _first_time(self, body: dict[str, Any]) -> bool:
        key = body.get("event_id") or ""
        if not key:
            return True
        if self.core.service.claim_event(f"slack:{key}"):
            return True
        log.info("slack: event %s already handled; skipped", key)
        return False

    # -- peer learning -------------------------------------------------------------------------
    def notify_answered(self, question: OpenQuestion, lesson: Lesson) -> None:
        """Tell an asker by direct message that their open question has an answer now."""
        contact = contact_mrkdwn(lesson, question.lang)
        text = answered_notice(question, lesson, "{contact}")
        self.bolt.client.chat_postMessage(channel=question.user_id,
                                          text=escape(text).replace("{contact}", contact))

    def on_user_change(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user") or {}
        if not user.get("id") or not self._first_time(body):
            return
        self.gateway.forget_user(user["id"])
        if not user.get("deleted"):
            self.core.service.person_returned(PLATFORM, user["id"])
            return
        lessons = self.core.service.person_left(PLATFORM, user["id"])
        name = (user.get("profile") or {}).get("real_name") or user.get("name") or user["id"]
        for capturer, lesson in self.core.service.who_to_ask(lessons, PLATFORM, user["id"]):
            lang = (self.locale(capturer) or "nl")[:2]
            self.bolt.client.chat_postMessage(channel=capturer, text=t(
                "contact.left", lang, name=escape(name), short_id=lesson.short_id, title=escape(lesson.title),
                handle=f"<@{user['id']}>"))

    def upload_chart(self, user_id: str, data: dict[str, Any]) -> None:
        """Draw the statistics and send the picture to the user's direct messages."""
        import tempfile
        from pathlib import Path

        from bot.stats import render_png

        with tempfile.TemporaryDirectory() as tmp:
            path = render_png(data, Path(tmp) / "leerkring-stats.png", (self.locale(user_id) or "nl")[:2])
            channel = self.bolt.client.conversations_open(users=user_id)["channel"]["id"]
            self.bolt.client.files_upload_v2(channel=channel, file=str(path), filename="leerkring-stats.png",
                                             title="Leerkring")

    def resolve(self, text: str) -> PersonRef | None:
        match = MENTION.fullmatch(text.strip())
        return self.person(match.group(1)) if match else None

    # -- people and places -----------------------------------------------------------------------
    def person(self, user_id: str) -> PersonRef:
        return PersonRef(PLATFORM, user_id, self.gateway.user(user_id).name)

    def locale(self, user_id: str) -> str:
        user = self.gateway.user(user_id)
        if user.locale:
            self.core.service.set_locale(PersonRef(PLATFORM, user_id, user.name), user.locale)
        return user.locale

    def asker(self, user_id: str, channel_id: str, team_id: str, *, private_reply: bool = False) -> Asker:
        visibility, _ = self.gateway.visibility(channel_id) if channel_id else (Visibility.DM, "")
        if private_reply:
            visibility = Visibility.DM  # only the asker sees the reply
        return Asker(PLATFORM, user_id, self.gateway.user(user_id).name, channel_id, visibility,
                     self.locale(user_id), team_id)

    def source(self, team_id: str, channel_id: str, ts: str, thread_ts: str = "") -> Source:
        visibility, name = self.gateway.visibility(channel_id)
        return Source(PLATFORM, team_id, channel_id, name, visibility, ts, thread_ts,
                      self.gateway.permalink(channel_id, ts))

    # -- capture ---------------------------------------------------------------------------------
    def story(self, channel_id: str, message: dict[str, Any]) -> str:
        """A message's text, or a whole thread's when it is the thread's parent: the people's messages only,
        without bots' replies (Leerkring's own answers among them) or the "@leerkring bewaar" that tagged it."""
        text = str(message.get("text") or "")
        if message.get("reply_count") and message.get("ts") == message.get("thread_ts", message.get("ts")):
            parts = [text]
            for reply in self.gateway.thread(channel_id, message["ts"])[1:]:
                if reply.get("bot_id") or reply.get("subtype") == "bot_message" or SAVE_COMMAND.match(
                        str(reply.get("text") or "")):
                    continue
                who = self.gateway.user(reply.get("user", "")).name if reply.get("user") else "?"
                parts.append(f"{who}: {reply.get('text', '')}")
            text = "\n\n".join(part for part in parts if part.strip())
        return text

    def refresh_thread(self, team_id: str, channel_id: str, root_ts: str) -> None:
        """A reply was added, edited or deleted: a thread saved as a lesson tells its story as it now stands."""
        lesson = self.core.repo.find_by_source(PLATFORM, team_id, channel_id, root_ts)
        if lesson is None or lesson.source.thread_id != lesson.source.message_id:
            return
        root = self.gateway.message(channel_id, root_ts)
        if root is not None:
            self._update(team_id, channel_id, root_ts, self.story(channel_id, {**root, "reply_count": 1}))

    def _update(self, team_id: str, channel_id: str, ts: str, text: str) -> None:
        try:
            self.core.service.update_from_source(PLATFORM, team_id, channel_id, ts, text)
        except LeerkringError:
            log.info("slack: changed message %s has no usable text; lesson kept", ts)

    def capture_message(self, *, team_id: str, channel_id: str, message: dict[str, Any], tagger: str,
                        extra: dict[str, Any] | None = None) -> tuple[Lesson, str, bool]:
        """Capture a Slack message (or thread); returns the lesson, the confirmation text and `created`."""
        author = self.person(message.get("user") or tagger)
        is_parent = bool(message.get("reply_count"))
        request = CaptureRequest(
            text=self.story(channel_id, message),
            source=self.source(team_id, channel_id, message["ts"], message["ts"] if is_parent else
                               str(message.get("thread_ts") or "")),
            author=author, captured_by=self.person(tagger), occurred_at=slack_time(message["ts"]), **(extra or {}))
        contact = self._contact_from_text(request.text)
        if contact and request.contact is None:
            request.contact = contact
        result = self.core.service.capture(request)
        return result.lesson, capture_confirmation(result.lesson, result.created, result.lang,
                                                   result.notices), result.created

    def _contact_from_text(self, text: str) -> PersonRef | None:
        match = re.search(r"(?im)^\s*(?:contact|contactpersoon)\s*[:=]\s*" + MENTION.pattern, text)
        return self.person(match.group(1)) if match else None

    def confirm(self, client: WebClient, channel_id: str, user_id: str, lesson: Lesson, text: str,
                thread_ts: str = "") -> None:
        lang = language_for(text, self.locale(user_id), self.core.settings.default_language)
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=escape(text),
                                  blocks=confirmation_blocks(text, lesson, lang),
                                  thread_ts=thread_ts or None)

    def _tagged(self, body: dict[str, Any], event: dict[str, Any]) -> tuple[str, str] | None:
        """(channel, ts) of a message a capture emoji was put on or taken off, the first time the event is seen."""
        item = event.get("item") or {}
        if event.get("reaction") not in self.emojis or item.get("type") != "message":
            return None
        return (item["channel"], item["ts"]) if self._first_time(body) else None

    def on_reaction_added(self, body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        tagged = self._tagged(body, event)
        if tagged is None:
            return
        channel_id, ts = tagged
        message = self.gateway.message(channel_id, ts)
        if message is None:
            return
        try:
            lesson, text, _ = self.capture_message(team_id=body.get("team_id", ""), channel_id=channel_id,
                                                   message=message, tagger=event["user"])
        except LeerkringError as exc:
            client.chat_postEphemeral(channel=channel_id, user=event["user"],
                                      text=t(exc.key, self.core.settings.default_language, **exc.params))
            return
        self.confirm(client, channel_id, event["user"], lesson, text)

    def on_reaction_removed(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        tagged = self._tagged(body, event)
        if tagged is None:
            return
        channel_id, ts = tagged
        lesson = self.core.repo.find_by_source(PLATFORM, body.get("team_id", ""), channel_id, ts)
        if lesson is None or lesson.edited_by_form:
            return
        reactions = self.bolt.client.reactions_get(channel=channel_id, timestamp=ts, full=True)
        remaining = (reactions.get("message") or {}).get("reactions") or []
        if not any(r.get("name") in self.emojis and r.get("count", 0) > 0 for r in remaining):
            self.core.service.remove_by_source(PLATFORM, body.get("team_id", ""), channel_id, ts)

    def on_message(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any) -> None:
        subtype = event.get("subtype")
        team_id = body.get("team_id", "")
        reply = event.get("message") or event.get("previous_message") or event
        root = str(reply.get("thread_ts") or "")
        if root and root != reply.get("ts") and subtype in THREAD_CHANGES:
            # a reply added, edited or deleted: a thread saved as a lesson follows it (idempotent, so a
            # redelivered event does no harm)
            self.refresh_thread(team_id, event["channel"], root)
            if subtype or event.get("channel_type") != "im":
                return
        if subtype == "message_changed":
            if not self._first_time(body):
                return
            message = event.get("message") or {}
            lesson = self.core.repo.find_by_source(PLATFORM, team_id, event["channel"], message.get("ts", ""))
            if lesson is not None:
                text = message.get("text", "")
                if lesson.source.thread_id == lesson.source.message_id:
                    text = self.story(event["channel"], {**message, "reply_count": 1})
                self._update(team_id, event["channel"], message["ts"], text)
            return
        if subtype == "message_deleted":
            if self._first_time(body):
                self.core.service.remove_by_source(PLATFORM, team_id, event["channel"], event.get("deleted_ts", ""))
            return
        if subtype or event.get("channel_type") != "im":
            return
        if event.get("bot_id") and not self.core.settings.slack_answer_bots:
            return
        if not self._first_time(body):
            return
        self.answer(client, team_id, event["channel"], event["user"], event.get("text", ""), thread_ts="",
                    key=f"{event['channel']}:{event.get('ts', '')}")

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: Any) -> None:
        if event.get("bot_id") and not self.core.settings.slack_answer_bots:
            return
        if not self._first_time(body):
            return
        team_id, channel_id, user_id = body.get("team_id", ""), event["channel"], event["user"]
        text = MENTION.sub(" ", event.get("text", "")).strip()
        thread_ts = event.get("thread_ts") or ""
        if SAVE_WORDS.search(text.split("\n", 1)[0]) and (thread_ts or len(text.split()) > 1):
            if thread_ts:
                message = self.gateway.message(channel_id, thread_ts)
                if message is None:
                    return
                message.setdefault("reply_count", 1)
            else:
                message = {**event, "text": SAVE_WORDS.sub("", text, count=1).strip()}
            try:
                lesson, confirmation, _ = self.capture_message(team_id=team_id, channel_id=channel_id,
                                                               message=message, tagger=user_id)
            except LeerkringError as exc:
                client.chat_postEphemeral(channel=channel_id, user=user_id,
                                          text=t(exc.key, self.core.settings.default_language, **exc.params))
                return
            self.confirm(client, channel_id, user_id, lesson, confirmation, thread_ts)
            return
        self.answer(client, team_id, channel_id, user_id, text, thread_ts=thread_ts or event["ts"],
                    key=f"{channel_id}:{event.get('ts', '')}")

    # -- asking ----------------------------------------------------------------------------------
    def answer(self, client: WebClient, team_id: str, channel_id: str, user_id: str, question: str,
               thread_ts: str, key: str = "") -> None:
        asker = self.asker(user_id, channel_id, team_id)
        try:
            result = self.core.service.ask(question, asker)
        except LeerkringError as exc:
            client.chat_postEphemeral(channel=channel_id, user=user_id,
                                      text=t(exc.key, asker.locale[:2] or "nl", **exc.params))
            return
        intro = self.core.service.introducible([*result.answer.hits, *result.private_hits], PLATFORM,
                                               user_id)
        blocks, text = answer_blocks(result.answer, can_introduce=intro)
        post_once(client, key or f"{channel_id}:{thread_ts}", channel=channel_id, text=text, blocks=blocks,
                  thread_ts=thread_ts or None)
        if result.private_hits:
            blocks, text = answer_blocks(result.answer, result.private_hits, can_introduce=intro)
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, blocks=blocks,
                                      thread_ts=thread_ts or None)

    # -- slash command ---------------------------------------------------------------------------
    def on_command(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        user_id, channel_id, team_id = body["user_id"], body.get("channel_id", ""), body.get("team_id", "")
        asker = self.asker(user_id, channel_id, team_id, private_reply=True)
        trigger = body.get("trigger_id", "")
        ctx = CommandContext(asker=asker, person=self.person(user_id), prefix="/leerkring ", locale=asker.locale,
                             source=lambda: Source(PLATFORM, team_id, channel_id,
                                                   self.gateway.visibility(channel_id)[1],
                                                   self.gateway.visibility(channel_id)[0], f"cmd-{trigger}"),
                             resolve_person=self.resolve)
        reply: Reply = self.core.router.handle_command(body.get("text", ""), ctx)
        if reply.answer is not None:
            hits = [*reply.answer.hits, *reply.private_hits]
            blocks, text = answer_blocks(reply.answer, hits,
                                         can_introduce=self.core.service.introducible(hits, PLATFORM, user_id))
            respond(text=text, blocks=blocks, response_type="ephemeral")
        elif reply.lesson_id is not None:
            lesson = self.core.repo.get_lesson(reply.lesson_id)
            lang = language_for(reply.text, asker.locale, self.core.settings.default_language)
            respond(text=escape(reply.text), blocks=confirmation_blocks(reply.text, lesson, lang) if lesson else None,
                    response_type="ephemeral")
        else:
            respond(text=escape(reply.text), response_type="ephemeral")
        if reply.chart is not None:
            try:
                self.upload_chart(user_id, reply.chart)
            except Exception:
                log.exception("slack: the statistics chart could not be uploaded")


ANSWER_EVENT = "leerkring_answer"


def post_once(client: WebClient, key: str, *, channel: str, thread_ts: str | None, attempts: int = 6,
              **message: Any) -> None:
    """Post an answer exactly once. Slack's chat.postMessage has no idempotency key, and a 5xx or a dropped
    connection can come after Slack did post; so the answer carries message metadata naming what it answers
    (`key`), and before trying again the channel or thread is searched for it."""
    once = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                     retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=8)])  # 429: nothing was posted
    metadata = {"event_type": ANSWER_EVENT, "event_payload": {"answers": key}}
    for attempt in range(attempts):
        try:
            once.chat_postMessage(channel=channel, thread_ts=thread_ts, metadata=metadata, **message)
            return
        except (SlackApiError, OSError) as exc:
            status = exc.response.status_code if isinstance(exc, SlackApiError) else 0
            if isinstance(exc, SlackApiError) and status < 500:
                raise
            log.warning("posting the answer failed (%s); checking whether Slack posted it", status or "connection")
            time.sleep(min(0.2 * 2 ** attempt, 5.0))
            if _posted(once, key, channel, thread_ts):
                return
    raise RuntimeError(f"the answer to {key} could not be posted")


def _posted(client: WebClient, key: str, channel: str, thread_ts: str | None) -> bool:
    try:
        if thread_ts:
            response = client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                                    limit=200)
        else:
            response = client.conversations_history(channel=channel, include_all_metadata=True, limit=50)
    except (SlackApiError, OSError):
        return False
    return any((m.get("metadata") or {}).get("event_type") == ANSWER_EVENT
               and (m["metadata"].get("event_payload") or {}).get("answers") == key
               for m in response.get("messages") or [])
