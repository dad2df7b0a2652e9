"""The weekly digest: new lessons by theme, open questions, the most helpful lessons, per channel.

It runs inside the bot process on APScheduler's cron trigger. Each (channel, period) is claimed in the
database before posting, so a restart, or a second bot process, never posts the same digest twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.capture import snippet
from bot.messages import t
from bot.peer import Digest
from bot.render import format_date, outcome_label
from bot.service import LeerkringService

log = logging.getLogger(__name__)
Poster = Callable[[str, str], object]  # (channel id, text); what it returns is ignored
TIMEZONE = "Europe/Amsterdam"


def render_digest(digest: Digest, lang: str = "nl") -> str:
    lines = [f"*{t('digest.title', lang, date=format_date(digest.since, lang))}*"]
    if digest.new_by_theme:
        lines.append(t("digest.new", lang))
        for theme, lessons in digest.new_by_theme.items():
            lines.append(f"• {'#' + theme if theme else t('digest.no_theme', lang)} ({len(lessons)})")
            lines += [f"    {lesson.short_id} {snippet(lesson.title, 80)} — {lesson.municipality or '-'}, "
                      f"{outcome_label(lesson.outcome, lang)}" for lesson in lessons[:5]]
    if digest.open_questions:
        lines.append(t("digest.open", lang))
        lines += [f"• [{q.id}] {snippet(q.text, 120)}" for q in digest.open_questions[:5]]
    if digest.helpful:
        lines.append(t("digest.helpful", lang))
        lines += [f"• {lesson.short_id} {snippet(lesson.title, 80)} (👍 {n})" for lesson, n in digest.helpful]
    return "\n".join(lines)


def parse_channels(text: str, platform: str) -> list[str]:
    """The channels of one platform in LEERKRING_DIGEST_CHANNELS ("slack:C123,mattermost:abc")."""
    out = []
    for item in text.split(","):
        name, _, channel = item.strip().partition(":")
        if name == platform and channel:
            out.append(channel)
    return out


class DigestScheduler:
    def __init__(self, service: LeerkringService, platform: str, channels: list[str], poster: Poster, *,
                 cron: str = "0 9 * * mon", escape: Callable[[str], str] = lambda s: s) -> None:
        self.service = service
        self.platform = platform
        self.channels = channels
        self.poster = poster
        self.trigger = CronTrigger.from_crontab(cron, timezone=TIMEZONE)
        self.escape = escape
        self._scheduler: BackgroundScheduler | None = None

    def period(self, now: datetime) -> str:
        """The scheduled run this moment belongs to: the latest fire time at or before `now`."""
        moment = now - timedelta(days=32)
        latest = None
        while (fire := self.trigger.get_next_fire_time(latest, moment)) is not None and fire <= now:
            latest, moment = fire, fire + timedelta(seconds=1)
        return (latest or now).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")

    def run_once(self, now: datetime | None = None) -> list[str]:
        """Post the digest to every channel that has not had this period's digest yet. Returns those channels."""
        now = now or datetime.now(UTC)
        posted = []
        for channel in self.channels:
            prefix = f"digest:{self.platform}:{channel}:"
            since = self.service.repo.last_event(prefix) or now - timedelta(days=7)
            digest = self.service.digest(since)
            if digest.empty:
                continue  # nothing new: nothing is posted
            if not self.service.claim_event(prefix + self.period(now)):
                continue  # already posted for this period, by this or another process
            try:
                self.poster(channel, self.escape(render_digest(digest, self.service.settings.default_language)))
                posted.append(channel)
            except Exception:
                log.exception("digest for %s could not be posted", channel)
        return posted

    def start(self) -> None:
        if not self.channels:
            return
        self._scheduler = BackgroundScheduler(timezone=TIMEZONE)
        self._scheduler.add_job(self.run_once, self.trigger, id=f"digest-{self.platform}", coalesce=True,
                                misfire_grace_time=3600, max_instances=1)
        self._scheduler.start()
        log.info("digest for %d %s channel(s) on '%s'", len(self.channels), self.platform, self.trigger)

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
