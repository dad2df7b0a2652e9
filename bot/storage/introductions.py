"""Introductions with consent, in the database: asked of the contact first, answered once by the contact
alone, and claimed once (across processes) for the "did you meet?" check some days after an acceptance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.storage.tables import IntroductionRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database

OPEN = ("asked", "later")  # the contact may still answer


@dataclass(frozen=True)
class Introduction:
    id: int
    platform: str
    asker_id: str
    asker_name: str
    contact_id: str
    lesson_id: int
    status: str


def _involving(platform: str, user_id: str) -> tuple[Any, Any]:
    return (IntroductionRow.platform == platform,
            (IntroductionRow.asker_id == user_id) | (IntroductionRow.contact_id == user_id))


def _intro(row: IntroductionRow) -> Introduction:
    return Introduction(row.id, row.platform, row.asker_id, row.asker_name, row.contact_id, row.lesson_id, row.status)


class IntroductionStore:
    db: Database

    def ask_introduction(self, platform: str, asker_id: str, asker_name: str, contact_id: str,
                         lesson_id: int) -> tuple[Introduction, bool]:
        """The request (new, or the one still waiting for this contact and lesson); True when it is new."""
        with self.db.session() as session:
            waiting = session.scalars(select(IntroductionRow).where(
                IntroductionRow.platform == platform, IntroductionRow.asker_id == asker_id,
                IntroductionRow.contact_id == contact_id, IntroductionRow.lesson_id == lesson_id,
                IntroductionRow.status.in_(OPEN))).first()
            if waiting is not None:
                return _intro(waiting), False
            row = IntroductionRow(platform=platform, asker_id=asker_id, asker_name=asker_name, contact_id=contact_id,
                                  lesson_id=lesson_id, status="asked", asked_at=utcnow())
            session.add(row)
            session.flush()
            return _intro(row), True

    def answer_introduction(self, intro_id: int, platform: str, contact_id: str, status: str, *,
                            check_in: timedelta, reason: str = "") -> Introduction | None:
        """The contact's answer, taken once: None when it is not theirs to give or was given already."""
        with self.db.session() as session:
            row = session.get(IntroductionRow, intro_id, with_for_update=True)
            if row is None or (row.platform, row.contact_id) != (platform, contact_id) or row.status not in OPEN:
                return None
            now = utcnow()
            row.status, row.answered_at, row.reason = status, now, reason
            row.check_after = now + check_in if status == "accepted" else None
            return _intro(row)

    def set_introduction_reason(self, intro_id: int, platform: str, contact_id: str, reason: str) -> bool:
        """Why the contact said no, from the contact alone, once they have said no."""
        with self.db.session() as session:
            row = session.get(IntroductionRow, intro_id)
            if row is None or (row.platform, row.contact_id) != (platform, contact_id) or row.status != "declined":
                return False
            row.reason = reason
            return True

    def due_introduction_checks(self, platform: str, now: datetime | None = None) -> list[Introduction]:
        """Accepted introductions whose "did you meet?" is due, each claimed by exactly one caller."""
        now = now or utcnow()
        claimed = []
        with self.db.session() as session:
            ids = list(session.scalars(select(IntroductionRow.id).where(
                IntroductionRow.platform == platform, IntroductionRow.status == "accepted",
                IntroductionRow.checked.is_(False), IntroductionRow.check_after <= now)))
            for intro_id in ids:
                done = session.execute(update(IntroductionRow).where(
                    IntroductionRow.id == intro_id, IntroductionRow.checked.is_(False)).values(checked=True))
                if done.rowcount:  # type: ignore[attr-defined]
                    row = session.get(IntroductionRow, intro_id)
                    if row is not None:
                        claimed.append(_intro(row))
        return claimed

    def record_meeting(self, intro_id: int, platform: str, user_id: str, met: bool) -> bool:
        """The asker's or the contact's "yes, we met" / "no"; False when they are neither."""
        with self.db.session() as session:
            row = session.get(IntroductionRow, intro_id)
            if row is None or row.platform != platform:
                return False
            if user_id == row.asker_id:
                row.met_asker = met
            elif user_id == row.contact_id:
                row.met_contact = met
            else:
                return False
            return True

    def introductions_of(self, platform: str, user_id: str) -> list[dict[str, object]]:
        """The introductions a person asked for or was asked about, for their export (their own reason only)."""
        with self.db.session() as session:
            return [{"lesson_id": i.lesson_id, "asked_by_you": i.asker_id == user_id, "status": i.status,
                     "asked_at": i.asked_at.isoformat(),
                     **({"your_reason": i.reason} if i.contact_id == user_id else {})}
                    for i in session.scalars(select(IntroductionRow).where(*_involving(platform, user_id)))]

    @staticmethod
    def forget_introductions(session: Session, platform: str, user_id: str) -> None:
        """Part of forget-me: the introductions they asked for, and those they were asked about."""
        session.execute(delete(IntroductionRow).where(*_involving(platform, user_id)))

    def introduction_counts(self) -> dict[str, int]:
        """How many introductions were asked, accepted, and reported as a meeting (by either of the two)."""
        with self.db.session() as session:
            counted = select(func.count()).select_from(IntroductionRow)
            asked = session.scalar(counted) or 0
            accepted = session.scalar(counted.where(IntroductionRow.status == "accepted")) or 0
            met = session.scalar(counted.where(IntroductionRow.met_asker.is_(True)
                                               | IntroductionRow.met_contact.is_(True))) or 0
            return {"asked": int(asked), "accepted": int(accepted), "met": int(met)}
