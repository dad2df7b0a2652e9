"""Slack on the chat contract: bolt listeners translate Slack's events into `Conversation` calls, and the
port primitives (read, post, post privately, direct message, upload) speak Slack's Web API and Block Kit.

Events are acknowledged by bolt at once; the work runs after the ack. Every event is claimed in the
database first, so a redelivered or duplicated event is handled once across processes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.bootstrap import App as Core
from bot.chat import ChatMessage, Conversation, Place, fill
from bot.handlers.slack.blocks import (
    answer_blocks,
    choice_blocks,
    confirmation_blocks,
    contact_mrkdwn,
    escape,
)
from bot.handlers.slack.gateway import SlackGateway, chat_message
from bot.handlers.slack.interactions import SlackInteractions
from bot.handlers.slack.workspaces import Installations, RoutingClient, current_team, in_team, team_of
from bot.model import Answer, Asker, Hit, Lesson, PersonRef, Source, Visibility

log = logging.getLogger(__name__)
MENTIONED = re.compile(r"<@(\w+)>")
PLATFORM = "slack"
# Message events that add, edit or delete a reply in a thread
THREAD_CHANGES = (None, "message_changed", "message_deleted", "thread_broadcast", "file_share")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


class SlackAdapter(SlackInteractions):
    """Registers Leerkring's listeners on a bolt App and is Slack's port for the core's flows."""

    platform = PLATFORM

    def __init__(self, core: Core, bolt: App, installations: Installations | None = None) -> None:
        self.core = core
        self.bolt = bolt
        self.installations = installations  # many workspaces (OAuth installs); None: one bot token
        self.gateway = SlackGateway(bolt.client)
        self.emojis = core.settings.capture_emojis
        self.chat = Conversation(core, self)
        self._team = ""
        core.service.allow(PLATFORM, self.gateway)
        core.service.notifiers[PLATFORM] = self.chat.notify_answered
        core.service.intro_checkers[PLATFORM] = self.chat.check_introduction
        core.service.checkback_askers[PLATFORM] = self.chat.check_back
        core.service.bundle_senders[PLATFORM] = self.chat.send_bundle
        core.service.scheduled[PLATFORM] = self.chat.scheduled
        core.service.posters[PLATFORM] = self.chat.post_to
        self._register()

    # -- registration ----------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.bolt
        if self.installations is not None:
            app.middleware(self._remember_places)
        app.event("reaction_added")(in_team(self.on_reaction_added))
        app.event("reaction_removed")(in_team(self.on_reaction_removed))
        app.event("app_mention")(in_team(self.on_mention))
        app.event("message")(in_team(self.on_message))
        app.event("user_change")(in_team(self.on_user_change))
        app.event("team_join")(in_team(self.on_user_change))
        app.event("app_uninstalled")(in_team(self.on_workspace_left))
        app.event("tokens_revoked")(in_team(self.on_workspace_left))
        app.command("/leerkring")(in_team(self.on_command))
        app.shortcut("leerkring_save")(in_team(self.on_shortcut))
        app.view("leerkring_lesson")(in_team(self.on_form_submitted))
        app.action("leerkring_edit")(in_team(self.on_edit))
        app.action("leerkring_undo")(in_team(self.on_undo))
        app.action("leerkring_intro")(in_team(self.on_introduce))
        app.action("leerkring_helpful")(in_team(self.on_feedback))
        app.action("leerkring_unhelpful")(in_team(self.on_feedback))
        app.action(re.compile(r"^leerkring_(reason|answer|met|outcome|declinereason|approve|pattern|circle)_"))(
            in_team(self.on_choice))
        app.action("leerkring_keep_open")(in_team(self.on_keep_open))
        app.error(self.on_error)

    def _remember_places(self, body: dict[str, Any], next: Callable[[], Any]) -> Any:
        """Which workspace each channel and person belongs to, as events show them (for calls made later,
        outside any event: follow-ups, digests, the coordinators' "ask the network")."""
        assert self.installations is not None
        event = body.get("event") or {}
        channel = event.get("channel") or (event.get("item") or {}).get("channel") or body.get("channel_id") or (
            body.get("channel") or {}).get("id") or ""
        self.installations.seen(team_of(body), str(channel))
        return next()

    def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: handling %s failed: %s", body.get("event_id") or body.get("type"), error,
                  exc_info=error)

    def home(self, body: dict[str, Any], channel: str) -> str:
        """The workspace a channel's lessons belong to: a channel shared between workspaces (Slack Connect)
        has one home, whichever workspace's copy of an event brought it."""
        return (self.gateway.host(channel) if channel else "") or str(body.get("team_id", ""))

    def _first_time(self, body: dict[str, Any]) -> bool:
        """Whether an event is new. An event in a channel is known by what happened where and when, so the
        copies a shared channel delivers to each workspace count as one; others by Slack's event id."""
        event = body.get("event") or {}
        channel = event.get("channel") or (event.get("item") or {}).get("channel") or ""
        stamp = event.get("event_ts") or event.get("ts") or ""
        key = (f"{event.get('type')}:{event.get('subtype', '')}:{channel}:{stamp}:{event.get('user', '')}:"
               f"{event.get('reaction', '')}" if channel and stamp else body.get("event_id") or "")
        if not key:
            return True
        if self.core.service.claim_event(f"slack:{key}"):
            return True
        log.info("slack: event %s already handled; skipped", key)
        return False

    # -- the port: reading -----------------------------------------------------------------------
    def message(self, channel: str, message_id: str) -> ChatMessage | None:
        found = self.gateway.message(channel, message_id)
        return chat_message(channel, found) if found is not None else None

    def thread(self, channel: str, root_id: str) -> list[ChatMessage]:
        return [chat_message(channel, m) for m in self.gateway.thread(channel, root_id)]

    def still_tagged(self, channel: str, message_id: str) -> bool:
        reactions = self.bolt.client.reactions_get(channel=channel, timestamp=message_id, full=True)
        remaining = (reactions.get("message") or {}).get("reactions") or []
        return any(r.get("name") in self.emojis and r.get("count", 0) > 0 for r in remaining)

    def place(self, channel: str) -> tuple[Visibility, str]:
        return self.gateway.visibility(channel)

    def workspace(self, channel: str) -> str:
        if self.installations is not None:  # the workspace of the event being handled, or the channel's
            return current_team() or self.installations.channels.get(channel, "")
        if not self._team:
            self._team = str(self.bolt.client.auth_test().get("team_id", ""))
        return self._team

    def permalink(self, workspace: str, channel: str, message_id: str) -> str:
        return self.gateway.permalink(channel, message_id)

    def person(self, user_id: str) -> PersonRef:
        return PersonRef(PLATFORM, user_id, self.gateway.user(user_id).name)

    def is_admin(self, user_id: str) -> bool:
        """Whether they administer the workspace (they choose its sharing)."""
        return self.gateway.user(user_id).admin

    def locale(self, user_id: str) -> str:
        return self.gateway.user(user_id).locale

    def find_person(self, text: str) -> PersonRef | None:
        """A mention (<@U123>), a user id, or a name or handle (@anna) as the workspace knows it."""
        match = MENTION.fullmatch(text.strip()) or re.fullmatch(r"([UW][A-Z0-9]{2,})", text.strip())
        if match:
            return self.person(match.group(1))
        found = self.gateway.find_user(text.strip().lstrip("@"))
        return self.person(found) if found else None

    def without_mentions(self, text: str) -> str:
        return MENTION.sub(" ", text).strip()

    # -- the port: writing -----------------------------------------------------------------------
    def post_answer(self, place: Place, answer: Answer, hits: list[Hit], asker: Asker, key: str) -> None:
        blocks, text = answer_blocks(answer, hits, can_introduce=self.core.service.introducible(
            hits, PLATFORM, asker.user_id), home=self.reader_home(asker.workspace))
        post_once(self.bolt.client, key, channel=place.channel, text=text, blocks=blocks,
                  thread_ts=place.thread or None)

    def post_private(self, user_id: str, place: Place, text: str, *, answer: Answer | None = None,
                     hits: list[Hit] | None = None, lesson: Lesson | None = None, lang: str = "nl") -> None:
        blocks: list[dict[str, Any]] | None = None
        if answer is not None:
            hits = answer.hits if hits is None else hits
            blocks, text = answer_blocks(answer, hits, can_introduce=self.core.service.introducible(
                hits, PLATFORM, user_id), home=self.reader_home(current_team()))
        else:
            blocks = confirmation_blocks(text, lesson, lang) if lesson is not None else None
            text = escape(text)
        if place.reply is not None:  # a slash command's own reply: works where the bot is not a member too
            place.reply(text=text, blocks=blocks, response_type="ephemeral")
            return
        self.bolt.client.chat_postEphemeral(channel=place.channel, user=user_id, text=text, blocks=blocks,
                                            thread_ts=place.thread or None)

    def post_choices(self, user_id: str, place: Place, text: str, action: str,
                     choices: list[tuple[str, dict[str, Any]]]) -> None:
        blocks = choice_blocks(escape(text), action, choices)
        if place.reply is not None:
            place.reply(text=escape(text), blocks=blocks, response_type="ephemeral")
            return
        self.bolt.client.chat_postEphemeral(channel=place.channel, user=user_id, text=escape(text), blocks=blocks,
                                            thread_ts=place.thread or None)

    def direct_choices(self, to: PersonRef, text: str, action: str, choices: list[tuple[str, dict[str, Any]]],
                       **markup: str) -> None:
        message = self.for_reader(to.user_id, fill(escape(text), markup))
        self.bolt.client.chat_postMessage(channel=to.user_id, text=message,
                                          blocks=choice_blocks(message, action, choices))

    def post_message(self, place: Place, text: str, **markup: str) -> str:
        return str(self.bolt.client.chat_postMessage(channel=place.channel, text=fill(escape(text), markup),
                                                     thread_ts=place.thread or None)["ts"])

    def direct_message(self, to: PersonRef, text: str, **markup: str) -> None:
        self.bolt.client.chat_postMessage(channel=to.user_id, text=self.for_reader(to.user_id,
                                                                                  fill(escape(text), markup)))

    def for_reader(self, reader: str, text: str) -> str:
        """`text` for one person: someone from another workspace is named, not mentioned (their workspace does
        not know them)."""
        if self.installations is None or "<@" not in text:
            return text
        home = self.installations.team_of_user(reader)
        return MENTIONED.sub(lambda m: m.group(0) if self.installations.team_of_user(m.group(1)) == home  # type: ignore[union-attr]
                             else escape(self.person(m.group(1)).name), text)

    def contact_markup(self, lesson: Lesson, lang: str) -> str:
        return contact_mrkdwn(lesson, lang)

    def mention(self, user_id: str) -> str:
        return f"<@{user_id}>"

    def reader_home(self, workspace: str) -> str:
        """The workspace whose members read a reply: "" with one bot token (everyone is in one workspace)."""
        return workspace if self.installations is not None else ""

    def group_message(self, user_ids: list[str], text: str, **markup: str) -> bool:
        """A group conversation for these people; people in different workspaces (no conversation can hold
        them) each get the message directly in their own workspace, naming the others instead of mentioning
        someone their workspace does not know."""
        if self.installations is not None:
            teams = {self.installations.team_of_user(user) for user in user_ids}
            if len(teams) > 1:
                named = {key: MENTIONED.sub(lambda m: escape(self.person(m.group(1)).name), value)
                         for key, value in markup.items()}
                for user in user_ids:
                    self.bolt.client.chat_postMessage(channel=user, text=fill(escape(text), named))
                return False
        channel = self.bolt.client.conversations_open(users=",".join(user_ids))["channel"]["id"]
        self.bolt.client.chat_postMessage(channel=channel, text=fill(escape(text), markup))
        return True

    def upload_image(self, user_id: str, path: Path, title: str) -> None:
        channel = self.bolt.client.conversations_open(users=user_id)["channel"]["id"]
        self.bolt.client.files_upload_v2(channel=channel, file=str(path), filename=path.name, title=title)

    # -- events ----------------------------------------------------------------------------------
    def on_user_change(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user") or {}
        if not user.get("id") or not self._first_time(body):
            return
        self.gateway.forget_user(user["id"])
        if not user.get("deleted"):
            self.core.service.person_returned(PLATFORM, user["id"])
            return
        name = (user.get("profile") or {}).get("real_name") or user.get("name") or user["id"]
        self.chat.person_left(user["id"], name)

    def on_workspace_left(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Uninstalled from a workspace, or its bot token revoked: what the workspace keeps to itself goes."""
        if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            return  # only people's tokens were revoked; the bot still works there
        if not self._first_time(body):
            return
        team = body.get("team_id", "")
        self.core.service.workspace_left(PLATFORM, team)
        if self.installations is not None:
            self.installations.forget(team)

    def asker(self, user_id: str, channel_id: str, team_id: str, *, private_reply: bool = False) -> Asker:
        return self.chat.asker(user_id, channel_id, team_id, private_reply=private_reply)

    def capture_message(self, *, team_id: str, channel_id: str, message: dict[str, Any], tagger: str,
                        extra: dict[str, Any] | None = None) -> tuple[Lesson, str, bool]:
        """Capture a Slack message (or thread); returns the lesson, the confirmation text and `created`."""
        return self.chat.capture(chat_message(channel_id, message), tagger, workspace=team_id, **(extra or {}))

    def _tagged(self, body: dict[str, Any], event: dict[str, Any]) -> tuple[str, str] | None:
        """(channel, ts) of a message a capture emoji was put on or taken off, the first time the event is seen."""
        item = event.get("item") or {}
        if event.get("reaction") not in self.emojis or item.get("type") != "message":
            return None
        return (item["channel"], item["ts"]) if self._first_time(body) else None

    def on_reaction_added(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        tagged = self._tagged(body, event)
        message = self.message(*tagged) if tagged else None
        if message is not None:
            self.chat.tag(message, event["user"], Place(message.channel), workspace=self.home(body, message.channel))

    def on_reaction_removed(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        tagged = self._tagged(body, event)
        if tagged is not None:
            self.chat.untagged(self.home(body, tagged[0]), *tagged)

    def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        team_id = self.home(body, event.get("channel", ""))
        reply = event.get("message") or event.get("previous_message") or event
        root = str(reply.get("thread_ts") or "")
        if root and root != reply.get("ts") and subtype in THREAD_CHANGES:
            # a reply added, edited or deleted: a thread saved as a lesson follows it (idempotent, so a
            # redelivered event does no harm)
            self.chat.thread_changed(team_id, event["channel"], root)
            if subtype or event.get("channel_type") != "im":
                return
        if subtype == "message_changed":
            if self._first_time(body):
                self.chat.edited(team_id, chat_message(event["channel"], event.get("message") or {}))
            return
        if subtype == "message_deleted":
            if self._first_time(body):
                self.chat.deleted(team_id, event["channel"], event.get("deleted_ts", ""))
            return
        if subtype or event.get("channel_type") != "im":
            return
        if event.get("bot_id") and not self.core.settings.slack_answer_bots:
            return
        if not self._first_time(body):
            return
        self.chat.answer(self.asker(event["user"], event["channel"], team_id), event.get("text", ""),
                         Place(event["channel"]), key=f"{event['channel']}:{event.get('ts', '')}")

    def on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("bot_id") and not self.core.settings.slack_answer_bots:
            return
        if not self._first_time(body):
            return
        team_id, channel_id, user_id = self.home(body, event["channel"]), event["channel"], event["user"]
        text = self.without_mentions(event.get("text", ""))
        if self.chat.save_by_mention(chat_message(channel_id, event), text, user_id, workspace=team_id):
            return
        self.chat.answer(self.asker(user_id, channel_id, team_id), text,
                         Place(channel_id, event.get("thread_ts") or event["ts"]),
                         key=f"{channel_id}:{event.get('ts', '')}")

    def on_command(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        user_id, channel_id, team_id = body["user_id"], body.get("channel_id", ""), body.get("team_id", "")
        trigger = body.get("trigger_id", "")

        def source() -> Source:
            visibility, name = self.place(channel_id)
            return Source(PLATFORM, team_id, channel_id, name, visibility, f"cmd-{trigger}")

        self.chat.command(body.get("text", ""), self.asker(user_id, channel_id, team_id, private_reply=True),
                          Place(channel_id, reply=respond), source=source)


ANSWER_EVENT = "leerkring_answer"


def post_once(client: WebClient, key: str, *, channel: str, thread_ts: str | None, attempts: int = 6,
              **message: Any) -> None:
    """Post an answer exactly once. Slack's chat.postMessage has no idempotency key, and a 5xx or a dropped
    connection can come after Slack did post; so the answer carries message metadata naming what it answers
    (`key`), and before trying again the channel or thread is searched for it."""
    token = client.token
    if isinstance(client, RoutingClient):  # one app in many workspaces: the token of the channel's workspace
        token = client.installations.token(client.installations.team_for("chat.postMessage", {"channel": channel}))
    once = WebClient(token=token, base_url=client.base_url, timeout=client.timeout,
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
