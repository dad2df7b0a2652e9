"""Telling askers about answers that reached their open questions in another process.

A lesson saved by the Mattermost bot can answer a question asked on Slack, but only the Slack bot can tell
the asker. The saving process leaves such an answer pending in the database (bot.peer); every platform's
process delivers the pending answers of its own platform, on start and then every few seconds. A claim in
the database makes sure one process tells each asker once.
"""

from __future__ import annotations

import logging
import threading

from bot.service import LeerkringService

log = logging.getLogger(__name__)


class FollowUps:
    """Delivers `platform`'s pending answers every `interval` seconds in a background thread."""

    def __init__(self, service: LeerkringService, platform: str, *, interval: float = 30.0) -> None:
        self.service = service
        self.platform = platform
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Tell the askers whose answers are pending; returns how many were told."""
        try:
            told = self.service.deliver_pending(self.platform)
            checked = self.service.check_introductions(self.platform) + self.service.check_back(self.platform)
            told += self.service.deliver_bundles(self.platform)
            checked += self.service.scheduled.get(self.platform, _nothing)()
        except Exception:  # the database may be away for a moment: the next round tries again
            log.exception("%s: delivering pending answers failed", self.platform)
            return 0
        if checked:
            log.info("%s: %d introduction(s), lesson(s), session(s) and circle round(s) followed up",
                     self.platform, checked)
        if told:
            log.info("%s: told %d asker(s) about an answer saved elsewhere", self.platform, told)
        return told

    def start(self) -> FollowUps:
        def loop() -> None:
            self.run_once()
            while not self._stop.wait(self.interval):
                self.run_once()

        self._thread = threading.Thread(target=loop, name=f"followups-{self.platform}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


def _nothing() -> int:
    return 0
