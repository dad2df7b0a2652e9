"""Learning circles in the database: a circle with its members and cadence, the invitations answered once,
and each round's reminder and "what do you take away?" claimed once across processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.questions import aware
from bot.storage.tables import CircleMemberRow, CircleRoundRow, CircleRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database

REMIND_BEFORE = timedelta(days=1)  # the members hear a day before a round who brings the case
ASK_AFTER = timedelta(hours=20)  # and the evening after it "what do you take away?"


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    status: str  # invited / joined / declined


@dataclass(frozen=True)
class Circle:
    id: int
    platform: str
    name: str
    questions: list[str]
    every_days: int
    start_at: datetime
    created_by: str
    members: list[Member] = field(default_factory=list)

    @property
    def joined(self) -> list[Member]:
        return [m for m in self.members if m.status == "joined"]

    @property
    def channel(self) -> str:
        """The place a circle's lessons come from: only its members may see them."""
        return f"kring-{self.id}"

    def round_at(self, number: int) -> datetime:
        return self.start_at + timedelta(days=self.every_days * number)


@dataclass(frozen=True)
class Round:
    circle: Circle
    number: int
    at: datetime
    presenter_id: str
    question: str


def _circle(row: CircleRow, members: list[CircleMemberRow]) -> Circle:
    return Circle(row.id, row.platform, row.name, list(row.questions or []), row.every_days,
                  aware(row.start_at) or utcnow(), row.created_by,
                  [Member(m.user_id, m.name, m.status) for m in sorted(members, key=lambda m: m.position)])


class CircleStore:
    db: Database

    def create_circle(self, platform: str, name: str, questions: list[str], every_days: int, start_at: datetime,
                      created_by: str, members: list[tuple[str, str]]) -> Circle:
        with self.db.session() as session:
            row = CircleRow(platform=platform, name=name, questions=questions, every_days=every_days,
                            start_at=start_at, created_by=created_by, created_at=utcnow())
            session.add(row)
            session.flush()
            rows = [CircleMemberRow(circle_id=row.id, user_id=user_id, name=member_name, position=n)
                    for n, (user_id, member_name) in enumerate(members)]
            session.add_all(rows)
            session.flush()
            return _circle(row, rows)

    def get_circle(self, circle_id: int) -> Circle | None:
        with self.db.session() as session:
            row = session.get(CircleRow, circle_id)
            if row is None or row.ended_at is not None:
                return None
            return _circle(row, list(session.scalars(select(CircleMemberRow).where(
                CircleMemberRow.circle_id == circle_id))))

    def circles(self, platform: str) -> list[Circle]:
        with self.db.session() as session:
            ids = list(session.scalars(select(CircleRow.id).where(CircleRow.platform == platform,
                                                                  CircleRow.ended_at.is_(None))))
        return [c for c in (self.get_circle(i) for i in ids) if c is not None]

    def is_circle_member(self, circle_id: int, user_id: str) -> bool:
        with self.db.session() as session:
            row = session.get(CircleMemberRow, (circle_id, user_id))
            return row is not None and row.status == "joined"

    def answer_invitation(self, circle_id: int, user_id: str, join: bool) -> bool:
        """The invited person's answer, once (a second press changes nothing)."""
        with self.db.session() as session:
            done = session.execute(update(CircleMemberRow).where(
                CircleMemberRow.circle_id == circle_id, CircleMemberRow.user_id == user_id,
                CircleMemberRow.status == "invited").values(status="joined" if join else "declined"))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def end_circle(self, circle_id: int) -> bool:
        with self.db.session() as session:
            done = session.execute(update(CircleRow).where(CircleRow.id == circle_id, CircleRow.ended_at.is_(None))
                                   .values(ended_at=utcnow()))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def due_reminders(self, platform: str, now: datetime | None = None) -> list[Round]:
        """Rounds on `platform` that start within a day and whose reminder nobody sent, each claimed here by
        inserting it; who brings the case rotates through the members who joined, in their order."""
        now = now or utcnow()
        due = []
        for circle in self.circles(platform):
            joined = circle.joined
            if len(joined) < 2:
                continue
            number = max(0, int((now + REMIND_BEFORE - circle.start_at) / timedelta(days=circle.every_days)))
            at = circle.round_at(number)
            if at - REMIND_BEFORE > now or at + ASK_AFTER <= now:
                continue
            presenter = joined[number % len(joined)].user_id
            question = circle.questions[number % len(circle.questions)] if circle.questions else ""
            try:
                with self.db.session() as session:
                    session.add(CircleRoundRow(circle_id=circle.id, number=number, at=at, presenter_id=presenter,
                                               question=question, reminded_at=now))
            except IntegrityError:
                continue  # reminded already, by this process or another
            due.append(Round(circle, number, at, presenter, question))
        return due

    def due_takeaways(self, platform: str, now: datetime | None = None) -> list[Round]:
        """Rounds held on `platform` whose members were not yet asked what they take away; claimed here."""
        now = now or utcnow()
        due = []
        with self.db.session() as session:
            rows = list(session.execute(select(CircleRoundRow.circle_id, CircleRoundRow.number).join(
                CircleRow, CircleRow.id == CircleRoundRow.circle_id).where(
                CircleRow.platform == platform, CircleRow.ended_at.is_(None), CircleRoundRow.asked_at.is_(None),
                CircleRoundRow.at <= now - ASK_AFTER)))
        for circle_id, number in rows:
            with self.db.session() as session:
                claimed = session.execute(update(CircleRoundRow).where(
                    CircleRoundRow.circle_id == circle_id, CircleRoundRow.number == number,
                    CircleRoundRow.asked_at.is_(None)).values(asked_at=now))
                if not claimed.rowcount:  # type: ignore[attr-defined]
                    continue
                row = session.get(CircleRoundRow, (circle_id, number))
            circle = self.get_circle(circle_id)
            if circle is not None and row is not None:
                due.append(Round(circle, number, aware(row.at) or now, row.presenter_id, row.question))
        return due

    def last_asked_round(self, platform: str, user_id: str) -> Round | None:
        """The latest round whose "what do you take away?" reached this member."""
        with self.db.session() as session:
            row = session.execute(select(CircleRoundRow).join(
                CircleMemberRow, CircleMemberRow.circle_id == CircleRoundRow.circle_id).join(
                CircleRow, CircleRow.id == CircleRoundRow.circle_id).where(
                CircleRow.platform == platform, CircleMemberRow.user_id == user_id,
                CircleMemberRow.status == "joined", CircleRoundRow.asked_at.is_not(None))
                .order_by(CircleRoundRow.asked_at.desc()).limit(1)).scalar_one_or_none()
            found = (row.circle_id, row.number, aware(row.at), row.presenter_id, row.question) if row else None
        if found is None:
            return None
        circle = self.get_circle(found[0])
        return Round(circle, found[1], found[2] or utcnow(), found[3], found[4]) if circle else None

    def circle_counts(self) -> dict[str, int]:
        """Circles running, the people who joined them and the rounds held (counts only)."""
        with self.db.session() as session:
            running = select(CircleRow.id).where(CircleRow.ended_at.is_(None)).scalar_subquery()
            return {"circles": session.scalar(select(func.count()).select_from(CircleRow).where(
                        CircleRow.ended_at.is_(None))) or 0,
                    "members": session.scalar(select(func.count()).select_from(CircleMemberRow).where(
                        CircleMemberRow.status == "joined", CircleMemberRow.circle_id.in_(running))) or 0,
                    "rounds": session.scalar(select(func.count()).select_from(CircleRoundRow).where(
                        CircleRoundRow.asked_at.is_not(None))) or 0}

    def circles_of(self, platform: str, user_id: str) -> list[dict[str, object]]:
        with self.db.session() as session:
            rows = session.execute(select(CircleRow.id, CircleRow.name, CircleMemberRow.status).join(
                CircleMemberRow, CircleMemberRow.circle_id == CircleRow.id).where(
                CircleRow.platform == platform, CircleMemberRow.user_id == user_id))
            return [{"circle": circle_id, "name": name, "status": status} for circle_id, name, status in rows]

    @staticmethod
    def forget_circles(session: Session, platform: str, user_id: str) -> None:
        circles = select(CircleRow.id).where(CircleRow.platform == platform).scalar_subquery()
        session.execute(delete(CircleMemberRow).where(CircleMemberRow.user_id == user_id,
                                                      CircleMemberRow.circle_id.in_(circles)))
        session.execute(update(CircleRoundRow).where(CircleRoundRow.presenter_id == user_id,
                                                     CircleRoundRow.circle_id.in_(circles)).values(presenter_id=""))
