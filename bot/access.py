"""Who may see what: the one rule for lessons and questions from places not everyone is in, and the
platform's answer to "is this person in that channel?" that the rule asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.model import Asker, Lesson, Visibility


class AccessChecker(Protocol):
    """Answers whether a person can see a channel (adapters ask their platform; results may be cached)."""

    def can_see(self, asker: Asker, platform: str, workspace: str, channel_id: str) -> bool: ...


class SameChannelOnly:
    """The console's rule: a private lesson is visible only from the channel it came from."""

    def can_see(self, asker: Asker, platform: str, workspace: str, channel_id: str) -> bool:
        return platform == asker.platform and channel_id == asker.channel_id


class PlatformAccess:
    """Several platforms in one process: each lesson's place is asked of its own platform's checker (a
    Slack channel of Slack, a Mattermost channel of Mattermost); places of other platforms follow `fallback`."""

    def __init__(self, fallback: AccessChecker | None = None,
                 circle_member: Callable[[int, str], bool] | None = None) -> None:
        self.fallback: AccessChecker = fallback or SameChannelOnly()
        self.checkers: dict[str, AccessChecker] = {}
        self.circle_member = circle_member  # (circle id, user id): a learning circle's place is its members'

    def register(self, platform: str, checker: AccessChecker) -> None:
        self.checkers[platform] = checker

    def can_see(self, asker: Asker, platform: str, workspace: str, channel_id: str) -> bool:
        circle = circle_of(channel_id)
        if circle is not None and self.circle_member is not None:
            return platform == asker.platform and self.circle_member(circle, asker.user_id)
        checker = self.checkers.get(platform, self.fallback)
        return checker.can_see(asker, platform, workspace, channel_id)


def may_see_place(access: AccessChecker, asker: Asker, visibility: Visibility, platform: str, workspace: str,
                  channel: str) -> bool:
    """Public, asked in that very channel, or a member of it."""
    return (visibility is Visibility.PUBLIC or (platform, channel) == (asker.platform, asker.channel_id)
            or access.can_see(asker, platform, workspace, channel))


def may_see(access: AccessChecker, asker: Asker, lesson: Lesson) -> bool:
    """Whether `asker` may see `lesson` at all."""
    src = lesson.source
    return may_see_place(access, asker, src.visibility, src.platform, src.workspace, src.channel_id)


def circle_of(channel_id: str) -> int | None:
    """The learning circle whose lessons come from this place ("kring-<id>"), if it is one."""
    prefix, _, number = channel_id.partition("-")
    return int(number) if prefix == "kring" and number.isdigit() else None
