"""What a Teams activity says, read the same way everywhere: its conversation without the reply chain, the
root of its reply chain, its time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

PLATFORM = "teams"


def when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def base_id(conversation_id: str) -> str:
    """A channel's id without the `;messageid=` that names a thread in it."""
    return conversation_id.split(";", 1)[0]


def thread_of(activity: dict[str, Any]) -> str:
    """The root of the reply chain an activity is in ("" outside channels)."""
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    if ";messageid=" in conversation:
        return conversation.split(";messageid=", 1)[1]
    return str(activity.get("replyToId") or "")
