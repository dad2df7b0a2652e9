"""The chat-platform contract: a message and a place as every platform has them, and the port of primitives
a platform supplies (`ChatPort`) for the flows in `bot.chat` to run on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bot.model import Answer, Asker, Hit, Lesson, PersonRef, Visibility


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


def command_prefix(platform: str) -> str:
    """How a command is typed on a platform: `/les` in the console, `@Leerkring les` on Teams (which has no
    slash commands for bots), `/leerkring les` in the other chats."""
    return {"console": "/", "teams": "@Leerkring "}.get(platform, "/leerkring ")


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
    def is_admin(self, user_id: str) -> bool: ...  # administers the workspace
    def find_person(self, text: str) -> PersonRef | None: ...  # a mention or handle as the platform writes it
    def without_mentions(self, text: str) -> str: ...  # the text with mentions of anyone removed

    # writing
    def post_answer(self, place: Place, answer: Answer, hits: list[Hit], asker: Asker, key: str) -> None: ...
    def post_private(self, user_id: str, place: Place, text: str, *, answer: Answer | None = None,
                     hits: list[Hit] | None = None, lesson: Lesson | None = None, lang: str = "nl") -> None: ...
    # `text` is plain: the port escapes it, then puts each `{name}` of `markup` (already in its markup) in place
    def post_message(self, place: Place, text: str, **markup: str) -> str: ...  # for everyone there; its id
    def direct_message(self, to: PersonRef, text: str, **markup: str) -> None: ...
    # opens the group; False when no conversation can hold them all (each got the message apart)
    def group_message(self, user_ids: list[str], text: str, **markup: str) -> bool: ...
    def mention(self, user_id: str) -> str: ...  # a mention that notifies, in the platform's markup
    def contact_markup(self, lesson: Lesson, lang: str) -> str: ...  # the contact as a mention, escaped
    def upload_image(self, user_id: str, path: Path, title: str) -> None: ...  # into the user's direct messages
    # buttons only `user_id` sees (post_choices) or in a direct message (direct_choices); a press comes back
    # to the platform as `action` ("reason", "answer", "met") with the chosen `value`
    def post_choices(self, user_id: str, place: Place, text: str, action: str,
                     choices: list[tuple[str, dict[str, Any]]]) -> None: ...
    def direct_choices(self, to: PersonRef, text: str, action: str, choices: list[tuple[str, dict[str, Any]]],
                       **markup: str) -> None: ...
