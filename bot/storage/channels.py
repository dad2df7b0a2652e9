"""Settings a channel's members choose for their channel: whether messages there are captured as lessons,
whether answers go in a thread or at the top level, and the language of the bot's replies there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.storage.tables import ChannelSettingRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database


@dataclass(frozen=True)
class ChannelSettings:
    capture: bool = True
    threads: bool = True  # answers in a thread under the question (else at the channel's top level)
    language: str = ""  # "" = the asker's and the message's language; else "nl" or "en"


class ChannelStore:
    db: Database

    def channel_settings(self, platform: str, channel_id: str) -> ChannelSettings:
        """A channel's settings (the defaults until its members change one). Keyed by the platform's channel
        id, so a channel shared between workspaces (Slack Connect) has one set."""
        if not channel_id:
            return ChannelSettings()
        with self.db.session() as session:
            row = session.get(ChannelSettingRow, (platform, channel_id))
            return ChannelSettings(row.capture, row.threads, row.language) if row else ChannelSettings()

    def set_channel_settings(self, platform: str, channel_id: str, by: str, **values: object) -> ChannelSettings:
        with self.db.session() as session:
            row = session.get(ChannelSettingRow, (platform, channel_id))
            if row is None:
                row = ChannelSettingRow(platform=platform, channel_id=channel_id, capture=True, threads=True,
                                        language="")
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_by, row.updated_at = by, utcnow()
            return ChannelSettings(row.capture, row.threads, row.language)
