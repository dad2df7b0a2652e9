"""Slack Web API look-ups the adapter needs, with short-lived caches (membership, channels, users)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat import ChatMessage
from bot.handlers.common import TTL, TTLCache
from bot.model import Asker, Visibility


def slack_time(ts: str) -> datetime | None:
    """A Slack message timestamp ("1700000000.000100") as a UTC datetime."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError):
        return None


def chat_message(channel: str, message: dict[str, Any]) -> ChatMessage:
    ts = str(message.get("ts") or "")
    return ChatMessage(ts, channel, str(message.get("user") or ""), str(message.get("text") or ""),
                       thread=str(message.get("thread_ts") or ""), has_replies=bool(message.get("reply_count")),
                       from_bot=bool(message.get("bot_id")) or message.get("subtype") == "bot_message",
                       at=slack_time(ts))


@dataclass
class SlackUser:
    id: str
    name: str
    locale: str
    is_bot: bool
    deleted: bool
    admin: bool = False  # a workspace admin or owner


class SlackGateway:
    """Reads channels, members and users through the bot's WebClient; also the core's access checker."""

    def __init__(self, client: WebClient, ttl: float = TTL) -> None:
        self.client = client
        self._hosts: dict[str, str] = {}
        self._members = TTLCache(ttl)
        self._channels = TTLCache(ttl)
        self._users = TTLCache(ttl)

    # -- the core's AccessChecker ----------------------------------------------------------------
    def can_see(self, asker: Asker, platform: str, workspace: str, channel_id: str) -> bool:
        if platform != "slack" or asker.platform != "slack":
            return False
        if workspace and asker.workspace and workspace != asker.workspace:
            return False
        return asker.user_id in self.members(channel_id)

    def members(self, channel_id: str) -> set[str]:
        cached = self._members.get(channel_id)
        if cached is not None:
            return set(cached)
        members: set[str] = set()
        cursor = None
        try:
            while True:
                response = self.client.conversations_members(channel=channel_id, cursor=cursor, limit=1000)
                members.update(response.get("members", []))
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError:
            members = set()  # the bot is not in that channel (any more): nobody gets to see its lessons
        return set(self._members.put(channel_id, frozenset(members)))

    def visibility(self, channel_id: str) -> tuple[Visibility, str]:
        """(visibility, name) of a channel."""
        cached = self._channels.get(channel_id)
        if cached is not None:
            return cached
        try:
            channel = self.client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError:
            return Visibility.PRIVATE, channel_id  # unknown: treat as private, the safe choice
        if channel.get("conversation_host_id"):  # shared between workspaces (Slack Connect): its home
            self._hosts[channel_id] = str(channel["conversation_host_id"])
        if channel.get("is_im") or channel.get("is_mpim"):
            result = (Visibility.DM, channel.get("name", "") or "dm")
        elif channel.get("is_private"):
            result = (Visibility.PRIVATE, channel.get("name", ""))
        else:
            result = (Visibility.PUBLIC, channel.get("name", ""))
        return self._channels.put(channel_id, result)

    def host(self, channel_id: str) -> str:
        """The workspace a channel shared between workspaces belongs to ("" for any other channel)."""
        self.visibility(channel_id)
        return self._hosts.get(channel_id, "")

    def user(self, user_id: str) -> SlackUser:
        cached = self._users.get(user_id)
        if cached is not None:
            return cached
        try:
            info = self.client.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError:
            return SlackUser(user_id, user_id, "", False, False)
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name") or info.get("name")
        return self._users.put(user_id, SlackUser(user_id, name or user_id, info.get("locale", ""),
                                                  bool(info.get("is_bot")), bool(info.get("deleted")),
                                                  bool(info.get("is_admin") or info.get("is_owner"))))

    def find_user(self, name: str) -> str:
        """The id of the workspace member whose handle, display name or real name is `name` ("" if none)."""
        wanted, cursor = name.strip().lower(), None
        while wanted:
            try:
                page = self.client.users_list(limit=200, cursor=cursor)
            except SlackApiError:
                return ""
            for member in page.get("members") or []:
                profile = member.get("profile") or {}
                names = {member.get("name"), member.get("real_name"), profile.get("display_name"),
                         profile.get("real_name")}
                if not member.get("deleted") and wanted in {str(n).lower() for n in names if n}:
                    return str(member["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return ""

    def forget_user(self, user_id: str) -> None:
        self._users.drop(user_id)

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """One message by timestamp, also when it is a reply in a thread."""
        history = self.client.conversations_history(channel=channel_id, latest=ts, oldest=ts, inclusive=True,
                                                    limit=1)
        messages = history.get("messages") or []
        if messages and messages[0].get("ts") == ts:
            return dict(messages[0])
        replies = self.client.conversations_replies(channel=channel_id, ts=ts, latest=ts, inclusive=True, limit=1)
        for message in replies.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        return None

    def thread(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        cursor = None
        while True:
            response = self.client.conversations_replies(channel=channel_id, ts=ts, cursor=cursor, limit=200)
            messages.extend(response.get("messages") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return messages

    def permalink(self, channel_id: str, ts: str) -> str:
        try:
            return str(self.client.chat_getPermalink(channel=channel_id, message_ts=ts).get("permalink") or "")
        except SlackApiError:
            return ""
