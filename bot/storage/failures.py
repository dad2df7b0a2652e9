"""Failures shared anonymously and the sessions that discuss them, in the database: a failure is pending until
one coordinator decides (claimed once), a session collects the approved failures of its channel since the one
before when its time has come (claimed once across processes), and the lessons captured in the session's
discussion find their way back to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.storage.questions import aware
from bot.storage.tables import FailureRow, FailureSessionRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database


@dataclass(frozen=True)
class Failure:
    id: int
    platform: str
    workspace: str
    channel_id: str
    visibility: str
    text: str
    pattern: str
    status: str
    author_id: str  # "" unless the author agreed to be asked about it later
    created_at: datetime
    lesson_id: int | None = None
    session_id: int | None = None


@dataclass(frozen=True)
class FailureSession:
    id: int
    platform: str
    workspace: str
    channel_id: str
    title: str
    at: datetime
    message_id: str = ""


def _failure(row: FailureRow) -> Failure:
    return Failure(row.id, row.platform, row.workspace, row.channel_id, row.channel_visibility, row.text,
                   row.pattern, row.status, row.author_id, aware(row.created_at) or utcnow(), row.lesson_id,
                   row.session_id)


def _session(row: FailureSessionRow) -> FailureSession:
    return FailureSession(row.id, row.platform, row.workspace, row.channel_id, row.title,
                          aware(row.at) or utcnow(), row.message_id)


class FailureStore:
    db: Database

    def submit_failure(self, platform: str, workspace: str, channel_id: str, visibility: str, text: str,
                       pattern: str, author_id: str) -> Failure:
        with self.db.session() as session:
            row = FailureRow(platform=platform, workspace=workspace, channel_id=channel_id,
                             channel_visibility=visibility, text=text, pattern=pattern, author_id=author_id,
                             created_at=utcnow())
            session.add(row)
            session.flush()
            return _failure(row)

    def get_failure(self, failure_id: int) -> Failure | None:
        with self.db.session() as session:
            row = session.get(FailureRow, failure_id)
            return _failure(row) if row is not None else None

    def pending_failures(self, platform: str) -> list[Failure]:
        with self.db.session() as session:
            return [_failure(r) for r in session.scalars(select(FailureRow).where(
                FailureRow.platform == platform, FailureRow.status == "pending").order_by(FailureRow.id))]

    def decide_failure(self, failure_id: int, approved: bool, pattern: str = "") -> Failure | None:
        """The one decision on a pending failure (a second coordinator's press finds it decided: None)."""
        values: dict[str, object] = {"status": "approved" if approved else "rejected", "decided_at": utcnow()}
        if pattern:
            values["pattern"] = pattern
        with self.db.session() as session:
            done = session.execute(update(FailureRow).where(FailureRow.id == failure_id,
                                                            FailureRow.status == "pending").values(**values))
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
            row = session.get(FailureRow, failure_id)
            assert row is not None
            decided = _failure(row)  # as it was decided: the caller still tells its author
            if not approved:  # a rejected story is not kept
                row.text, row.author_id = "", ""
            return decided

    def set_failure_pattern(self, failure_id: int, pattern: str) -> bool:
        with self.db.session() as session:
            done = session.execute(update(FailureRow).where(FailureRow.id == failure_id,
                                                            FailureRow.status == "pending").values(pattern=pattern))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def failure_posted(self, failure_id: int, lesson_id: int) -> None:
        with self.db.session() as session:
            session.execute(update(FailureRow).where(FailureRow.id == failure_id).values(lesson_id=lesson_id))

    def failure_patterns(self) -> dict[str, int]:
        """How often each failure pattern was shared in a public channel and approved (for the statistics)."""
        with self.db.session() as session:
            rows = session.execute(select(FailureRow.pattern, func.count()).where(
                FailureRow.status == "approved", FailureRow.channel_visibility == "public")
                .group_by(FailureRow.pattern))
            return {pattern or "other": count for pattern, count in rows}

    # -- sessions --------------------------------------------------------------------------------
    def schedule_session(self, platform: str, workspace: str, channel_id: str, at: datetime, title: str,
                         created_by: str) -> FailureSession:
        with self.db.session() as session:
            row = FailureSessionRow(platform=platform, workspace=workspace, channel_id=channel_id, at=at,
                                    title=title, created_by=created_by)
            session.add(row)
            session.flush()
            return _session(row)

    def due_sessions(self, platform: str, now: datetime | None = None) -> list[tuple[FailureSession, list[Failure]]]:
        """Sessions on `platform` whose time has come, each claimed here once, with the approved failures of
        their channel that no session discussed yet (now theirs)."""
        now = now or utcnow()
        due = []
        with self.db.session() as session:
            rows = list(session.scalars(select(FailureSessionRow).where(
                FailureSessionRow.platform == platform, FailureSessionRow.posted_at.is_(None),
                FailureSessionRow.at <= now).order_by(FailureSessionRow.at)))
        for row in rows:
            with self.db.session() as session:
                claimed = session.execute(update(FailureSessionRow).where(
                    FailureSessionRow.id == row.id, FailureSessionRow.posted_at.is_(None)).values(posted_at=now))
                if not claimed.rowcount:  # type: ignore[attr-defined]
                    continue
                failures = list(session.scalars(select(FailureRow).where(
                    FailureRow.platform == platform, FailureRow.channel_id == row.channel_id,
                    FailureRow.status == "approved", FailureRow.session_id.is_(None)).order_by(FailureRow.id)))
                for failure in failures:
                    failure.session_id = row.id
                due.append((_session(row), [_failure(f) for f in failures]))
        return due

    def session_posted(self, session_id: int, message_id: str) -> None:
        with self.db.session() as session:
            session.execute(update(FailureSessionRow).where(FailureSessionRow.id == session_id)
                            .values(message_id=message_id))

    def upcoming_sessions(self, platform: str, channel_id: str) -> list[FailureSession]:
        with self.db.session() as session:
            return [_session(r) for r in session.scalars(select(FailureSessionRow).where(
                FailureSessionRow.platform == platform, FailureSessionRow.channel_id == channel_id,
                FailureSessionRow.posted_at.is_(None)).order_by(FailureSessionRow.at))]

    def sessions_of_threads(self, places: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], FailureSession]:
        """The session each (platform, channel, thread root) is the discussion of, where it is one."""
        roots = {root for _, _, root in places if root}
        if not roots:
            return {}
        with self.db.session() as session:
            rows = session.scalars(select(FailureSessionRow).where(FailureSessionRow.message_id.in_(roots)))
            found = {(r.platform, r.channel_id, r.message_id): _session(r) for r in rows}
        return {place: found[place] for place in places if place in found}

    # -- a person's rights -----------------------------------------------------------------------
    def anonymous_lessons_of(self, platform: str, user_id: str) -> list[int]:
        """The lessons made of stories this person shared anonymously while keeping the link to them."""
        with self.db.session() as session:
            return [i for i in session.scalars(select(FailureRow.lesson_id).where(
                FailureRow.platform == platform, FailureRow.author_id == user_id, FailureRow.author_id != "",
                FailureRow.lesson_id.is_not(None))) if i is not None]

    def failures_of(self, platform: str, user_id: str) -> list[dict[str, object]]:
        with self.db.session() as session:
            rows = session.scalars(select(FailureRow).where(
                FailureRow.platform == platform, FailureRow.author_id == user_id, FailureRow.author_id != ""))
            return [{"id": r.id, "status": r.status, "pattern": r.pattern, "text": r.text,
                     "shared_at": r.created_at, "lesson": r.lesson_id} for r in rows]

    @staticmethod
    def forget_failures(session: Session, platform: str, user_id: str) -> None:
        """The story stays anonymous; the link to its author goes (a pending one is withdrawn)."""
        session.execute(update(FailureRow).where(FailureRow.platform == platform, FailureRow.author_id == user_id,
                                                 FailureRow.status == "pending")
                        .values(status="rejected", text="", author_id=""))
        session.execute(update(FailureRow).where(FailureRow.platform == platform, FailureRow.author_id == user_id)
                        .values(author_id=""))
