"""Notification preferences and the notices held for a bundle: a person hears of new lessons for them at
once, daily, weekly or not at all, and never more often than they chose; each bundle is claimed once across
processes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.storage.questions import aware
from bot.storage.tables import NoticeRow, NotificationPref, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database

MODES = {"off": None, "now": None, "daily": timedelta(days=1), "weekly": timedelta(days=7)}


class NoticeStore:
    db: Database

    def notification_mode(self, platform: str, user_id: str) -> str:
        with self.db.session() as session:
            pref = session.get(NotificationPref, (platform, user_id))
            return pref.mode if pref is not None else "now"

    def set_notification_mode(self, platform: str, user_id: str, mode: str) -> None:
        with self.db.session() as session:
            pref = session.get(NotificationPref, (platform, user_id))
            if pref is None:
                session.add(NotificationPref(platform=platform, user_id=user_id, mode=mode))
            else:
                pref.mode = mode

    def hold_notice(self, platform: str, user_id: str, text: str, markup: dict[str, str]) -> None:
        with self.db.session() as session:
            session.add(NoticeRow(platform=platform, user_id=user_id, created_at=utcnow(),
                                  body=json.dumps({"text": text, "markup": markup}, ensure_ascii=False)))

    def due_bundles(self, platform: str, now: datetime | None = None) -> list[tuple[str, list[dict[str, Any]]]]:
        """(user id, held notices) for each person whose daily or weekly bundle is due; each bundle is claimed
        here (its notices marked sent, the person's last bundle moved to now) so no one gets it twice."""
        now = now or utcnow()
        bundles = []
        with self.db.session() as session:
            waiting = set(session.scalars(select(NoticeRow.user_id).where(NoticeRow.platform == platform,
                                                                         NoticeRow.sent_at.is_(None))))
            for user_id in sorted(waiting):
                pref = session.get(NotificationPref, (platform, user_id))
                period = MODES.get(pref.mode) if pref is not None else None
                if pref is None or period is None:
                    continue
                last = aware(pref.last_sent_at)
                if last is not None and last + period > now:
                    continue  # no more often than they chose
                claimed = session.execute(update(NotificationPref).where(
                    NotificationPref.platform == platform, NotificationPref.user_id == user_id,
                    NotificationPref.last_sent_at.is_(None) if last is None
                    else NotificationPref.last_sent_at == pref.last_sent_at).values(last_sent_at=now))
                if not claimed.rowcount:  # type: ignore[attr-defined]
                    continue  # another process is sending it
                rows = list(session.scalars(select(NoticeRow).where(
                    NoticeRow.platform == platform, NoticeRow.user_id == user_id, NoticeRow.sent_at.is_(None))
                    .order_by(NoticeRow.id)))
                for row in rows:
                    row.sent_at = now
                bundles.append((user_id, [json.loads(row.body) for row in rows]))
        return bundles

    def notices_of(self, platform: str, user_id: str) -> dict[str, object]:
        with self.db.session() as session:
            held = len(list(session.scalars(select(NoticeRow.id).where(
                NoticeRow.platform == platform, NoticeRow.user_id == user_id, NoticeRow.sent_at.is_(None)))))
        return {"mode": self.notification_mode(platform, user_id), "held": held}

    @staticmethod
    def forget_notices(session: Session, platform: str, user_id: str) -> None:
        session.execute(delete(NoticeRow).where(NoticeRow.platform == platform, NoticeRow.user_id == user_id))
        session.execute(delete(NotificationPref).where(NotificationPref.platform == platform,
                                                       NotificationPref.user_id == user_id))
