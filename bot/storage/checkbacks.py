"""Check-backs in the database: which lessons are due (outcome still unknown, old enough, contact reachable
and not opted out), each (lesson, period) claimed once across processes by its insert, answered once by the
person asked, and the dated answers as a lesson's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.questions import aware
from bot.storage.tables import CheckbackOptOut, CheckbackRow, LessonRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database


class CheckbackStore:
    db: Database

    def claim_checkbacks(self, platform: str, periods: list[float], now: datetime | None = None,
                         limit: int = 100) -> list[tuple[int, int, str]]:
        """(lesson id, period, contact's user id) for the check-backs due on `platform`, each claimed here;
        period n is due `periods[n-1]` days after the lesson was saved."""
        now = now or utcnow()
        claimed: list[tuple[int, int, str]] = []
        for period, days in enumerate(periods, 1):
            cutoff = now - timedelta(days=days)
            with self.db.session() as session:
                due = session.execute(select(LessonRow.id, LessonRow.contact_user_id).where(
                    LessonRow.deleted_at.is_(None), LessonRow.outcome == "unknown",
                    LessonRow.contact_platform == platform, LessonRow.contact_user_id != "",
                    LessonRow.contact_active.is_(True),
                    LessonRow.created_at <= cutoff,  # saved then with its outcome unknown
                    ~exists().where(CheckbackRow.lesson_id == LessonRow.id, CheckbackRow.period == period),
                    ~exists().where(and_(CheckbackOptOut.platform == platform,
                                         CheckbackOptOut.user_id == LessonRow.contact_user_id)))
                    .order_by(LessonRow.id).limit(limit)).all()
            for lesson_id, user_id in due:
                try:
                    with self.db.session() as session:
                        session.add(CheckbackRow(lesson_id=lesson_id, period=period, platform=platform,
                                                 user_id=user_id, asked_at=now))
                except IntegrityError:
                    continue  # another process claimed it first
                claimed.append((int(lesson_id), period, str(user_id)))
        return claimed

    def answer_checkback(self, lesson_id: int, period: int, platform: str, user_id: str, outcome: str) -> bool:
        """Taken once, from the person asked; False otherwise."""
        with self.db.session() as session:
            row = session.get(CheckbackRow, (lesson_id, period), with_for_update=True)
            if row is None or (row.platform, row.user_id) != (platform, user_id) or row.answered_at is not None:
                return False
            row.answered_at, row.outcome = utcnow(), outcome
            return True

    def checkback_note(self, lesson_id: int, platform: str, user_id: str, note: str) -> bool:
        """What the person asked about a lesson tells besides the button, kept with their latest check-back of
        it (dated now if they had not pressed one); False when they were never asked about it."""
        with self.db.session() as session:
            row = session.scalars(select(CheckbackRow).where(
                CheckbackRow.lesson_id == lesson_id, CheckbackRow.platform == platform,
                CheckbackRow.user_id == user_id).order_by(CheckbackRow.period.desc()).limit(1)).first()
            if row is None:
                return False
            row.note = note
            row.answered_at = row.answered_at or utcnow()
            return True

    def timelines(self, lesson_ids: list[int]) -> dict[int, list[tuple[datetime, str, str]]]:
        """The dated answers per lesson, oldest first: (when, outcome, what they told)."""
        if not lesson_ids:
            return {}
        out: dict[int, list[tuple[datetime, str, str]]] = {}
        with self.db.session() as session:
            for row in session.scalars(select(CheckbackRow).where(
                    CheckbackRow.lesson_id.in_(lesson_ids), CheckbackRow.answered_at.is_not(None))
                    .order_by(CheckbackRow.answered_at)):
                answered = aware(row.answered_at)
                if answered is not None:
                    out.setdefault(row.lesson_id, []).append((answered, row.outcome, row.note or ""))
        return out

    def set_checkbacks(self, platform: str, user_id: str, on: bool) -> None:
        with self.db.session() as session:
            session.execute(delete(CheckbackOptOut).where(CheckbackOptOut.platform == platform,
                                                          CheckbackOptOut.user_id == user_id))
            if not on:
                session.add(CheckbackOptOut(platform=platform, user_id=user_id))

    def checkbacks_on(self, platform: str, user_id: str) -> bool:
        with self.db.session() as session:
            return session.get(CheckbackOptOut, (platform, user_id)) is None

    def checkbacks_of(self, platform: str, user_id: str) -> dict[str, object]:
        """For a person's export: the check-backs asked of them, their answers, and whether they opted out."""
        with self.db.session() as session:
            asked = [{"lesson_id": row.lesson_id, "period": row.period, "answer": row.outcome, "note": row.note}
                     for row in session.scalars(select(CheckbackRow).where(CheckbackRow.platform == platform,
                                                                           CheckbackRow.user_id == user_id))]
        return {"asked": asked, "opted_out": not self.checkbacks_on(platform, user_id)}

    @staticmethod
    def forget_checkbacks(session: Session, platform: str, user_id: str) -> None:
        session.execute(delete(CheckbackOptOut).where(CheckbackOptOut.platform == platform,
                                                      CheckbackOptOut.user_id == user_id))
        session.execute(delete(CheckbackRow).where(CheckbackRow.platform == platform, CheckbackRow.user_id == user_id))

