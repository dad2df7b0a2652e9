"""What coordinators change in the lesson base, in the database: a lesson's state, merges, the audit log of
every change, how often a lesson was shown, the questions nobody could answer, and one-time sign-in links."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, cast, false, func, or_, select, update
from sqlalchemy.orm import Session

from bot.model import Lesson, Source, Visibility
from bot.storage.questions import aware
from bot.storage.tables import AdminLinkRow, AuditRow, FeedbackRow, LessonRow, PersonRow, QuestionRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database

STATUSES = ("current", "outdated", "archived")


@dataclass(frozen=True)
class AuditEntry:
    lesson_id: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, object]


@dataclass(frozen=True)
class AskedQuestion:
    """A question asked in a public channel that no lesson answered (yet)."""

    id: int
    text: str
    lang: str
    asked_at: datetime
    platform: str
    channel_id: str
    municipality: str  # of the asker, when they told the bot


@dataclass(frozen=True)
class Criteria:
    """What a coordinator filters the lesson base on; every field optional."""

    municipality_codes: frozenset[str] | None = None  # from a municipality, province or size class
    municipality: str = ""  # an organisation that is not a municipality, by name
    theme: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None
    platform: str = ""
    channel: str = ""  # a channel id or name
    status: str = ""  # current, outdated, archived, merged; "" = every lesson that is not merged
    text: str = ""  # words in the title or story


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TendingStore:
    db: Database

    def _next_revision(self, session: Session, count: int = 1) -> int:  # provided by Repository
        raise NotImplementedError

    if TYPE_CHECKING:
        def unshared_workspaces(self) -> frozenset[tuple[str, str]]: ...  # provided by WorkspaceStore

    def _with_merged(self, session: Session, lessons: dict[int, Lesson]) -> dict[int, Lesson]:
        """The lessons with the sources of the lessons merged into them."""
        if not lessons:
            return lessons
        rows = session.scalars(select(LessonRow).where(LessonRow.merged_into.in_(list(lessons)),
                                                       LessonRow.deleted_at.is_(None)).order_by(LessonRow.id))
        for row in rows:
            lessons[row.merged_into or 0].also_sources.append(Source(
                platform=row.source_platform, workspace=row.source_workspace, channel_id=row.source_channel_id,
                channel_name=row.source_channel_name, visibility=Visibility(row.source_visibility),
                message_id=row.source_message_id, thread_id=row.source_thread_id, permalink=row.permalink))
        return lessons

    def _visible_in(self, places: frozenset[tuple[str, str]]) -> Any:
        """Which lessons someone who tends `places` (platform, workspace) may see: every lesson of those
        places, and public lessons of workspaces that share theirs with the network."""
        def at(pairs: Iterable[tuple[str, str]]) -> list[Any]:
            return [and_(LessonRow.source_platform == p, LessonRow.source_workspace == w) for p, w in pairs]

        public = LessonRow.source_visibility == Visibility.PUBLIC.value
        unshared = self.unshared_workspaces() - places
        if unshared:  # a workspace that keeps its lessons to itself: only its own coordinators see them
            public = and_(public, ~or_(*at(unshared)))
        return or_(public, *at(places))

    def browse_lessons(self, criteria: Criteria, places: frozenset[tuple[str, str]], *, offset: int = 0,
                       limit: int = 50) -> tuple[list[Lesson], int]:
        """The lessons that pass `criteria`, newest first, and how many pass: public ones, and private ones
        only from `places` (platform, workspace)."""
        from bot.storage.repository import to_lesson

        c = criteria
        where = [LessonRow.deleted_at.is_(None), self._visible_in(places)]
        if c.municipality_codes is not None:
            where.append(LessonRow.municipality_code.in_(sorted(c.municipality_codes))
                         if c.municipality_codes else false())
        if c.municipality:
            where.append(func.lower(LessonRow.municipality) == c.municipality.lower())
        if c.theme:
            where.append(cast(LessonRow.themes, String).like(f'%"{c.theme.lower().lstrip("#")}"%'))
        if c.outcome:
            where.append(LessonRow.outcome == c.outcome)
        date = func.coalesce(LessonRow.occurred_at, LessonRow.created_at)
        if c.since:
            where.append(date >= c.since)
        if c.until:
            where.append(date < c.until)
        if c.platform:
            where.append(LessonRow.source_platform == c.platform)
        if c.channel:
            where.append(or_(LessonRow.source_channel_id == c.channel,
                             LessonRow.source_channel_name == c.channel.lstrip("#")))
        if c.status == "merged":
            where.append(LessonRow.merged_into.is_not(None))
        else:
            where.append(LessonRow.merged_into.is_(None))
            if c.status:
                where.append(LessonRow.status == c.status)
        for word in c.text.split():
            pattern = f"%{word.lower()}%"
            where.append(or_(func.lower(LessonRow.title).like(pattern), func.lower(LessonRow.text).like(pattern),
                             func.lower(LessonRow.learned).like(pattern)))
        with self.db.session() as session:
            total = int(session.scalar(select(func.count()).select_from(LessonRow).where(*where)) or 0)
            rows = session.scalars(select(LessonRow).where(*where).order_by(date.desc(), LessonRow.id.desc())
                                   .offset(offset).limit(limit))
            lessons = self._with_merged(session, {row.id: to_lesson(row) for row in rows})
        return list(lessons.values()), total

    def places(self) -> list[tuple[str, str, str, str]]:
        """(platform, workspace, channel id, channel name) of every public channel lessons came from."""
        with self.db.session() as session:
            return [tuple(row) for row in session.execute(  # type: ignore[misc]
                select(LessonRow.source_platform, LessonRow.source_workspace, LessonRow.source_channel_id,
                       func.max(LessonRow.source_channel_name))
                .where(LessonRow.deleted_at.is_(None), LessonRow.source_visibility == Visibility.PUBLIC.value)
                .group_by(LessonRow.source_platform, LessonRow.source_workspace, LessonRow.source_channel_id)
                .order_by(LessonRow.source_platform, func.max(LessonRow.source_channel_name)))]

    def hand_over(self, ids: list[int], to_platform: str, to_user: str, to_name: str) -> list[int]:
        """Make someone else the contact of these lessons (a contact who left, and their successor)."""
        moved: list[int] = []
        with self.db.session() as session:
            for row in session.scalars(select(LessonRow).where(LessonRow.id.in_(ids),
                                                               LessonRow.deleted_at.is_(None))):
                row.contact_platform, row.contact_user_id, row.contact_name = to_platform, to_user, to_name
                row.contact_active = True
                row.revision = self._next_revision(session)
                moved.append(row.id)
        return sorted(moved)

    def contacts(self, places: frozenset[tuple[str, str]]) -> list[tuple[str, str, str, int]]:
        """(platform, user id, name, lessons) of every contact of lessons one may see, most lessons first."""
        with self.db.session() as session:
            rows = session.execute(
                select(LessonRow.contact_platform, LessonRow.contact_user_id, func.max(LessonRow.contact_name),
                       func.count()).where(LessonRow.deleted_at.is_(None), self._visible_in(places),
                                           LessonRow.contact_user_id != "")
                .group_by(LessonRow.contact_platform, LessonRow.contact_user_id)
                .order_by(func.count().desc(), func.max(LessonRow.contact_name)))
            return [(p, u, n or u, int(k)) for p, u, n, k in rows]

    def set_status(self, lesson_id: int, status: str) -> bool:
        """Mark a lesson current, outdated or archived; a new revision, so every index follows."""
        if status not in STATUSES:
            raise ValueError(status)
        with self.db.session() as session:
            row = session.get(LessonRow, lesson_id)
            if row is None or row.deleted_at is not None or row.status == status:
                return False
            row.status = status
            row.revision = self._next_revision(session)
            row.updated_at = utcnow()
            return True

    def merge_lessons(self, keep: int, merged: int) -> bool:
        """`merged` tells the same story as `keep`: it leaves search, its source is shown with `keep`, and
        lessons merged into it before move along."""
        if keep == merged:
            return False
        with self.db.session() as session:
            rows = {row.id: row for row in session.scalars(select(LessonRow).where(
                LessonRow.id.in_([keep, merged]), LessonRow.deleted_at.is_(None)))}
            if len(rows) < 2 or rows[keep].merged_into is not None or rows[merged].merged_into is not None:
                return False
            revision = self._next_revision(session)
            session.execute(update(LessonRow).where(LessonRow.merged_into == merged)
                            .values(merged_into=keep, revision=revision))
            rows[merged].merged_into = keep
            rows[merged].revision = revision
            rows[keep].revision = revision
            return True

    def record_audit(self, lesson_id: int, actor: str, action: str, **detail: object) -> None:
        with self.db.session() as session:
            session.add(AuditRow(lesson_id=lesson_id, at=utcnow(), actor=actor, action=action, detail=detail))

    def audit_of(self, lesson_id: int) -> list[AuditEntry]:
        with self.db.session() as session:
            rows = session.scalars(select(AuditRow).where(AuditRow.lesson_id == lesson_id)
                                   .order_by(AuditRow.at.desc(), AuditRow.id.desc()))
            return [AuditEntry(r.lesson_id, aware(r.at) or utcnow(), r.actor, r.action, dict(r.detail or {}))
                    for r in rows]

    def times_shown(self) -> Counter[int]:
        """How often each lesson was among the lessons an answer showed."""
        shown: Counter[int] = Counter()
        with self.db.session() as session:
            for hit_ids in session.scalars(select(QuestionRow.hit_ids)):
                shown.update(set(hit_ids or []))
        return shown

    def feedback_reasons(self, lesson_id: int) -> dict[str, int]:
        """Why readers found a lesson unhelpful: reason -> how many."""
        with self.db.session() as session:
            return {reason: int(n) for reason, n in session.execute(
                select(FeedbackRow.reason, func.count()).where(FeedbackRow.lesson_id == lesson_id,
                                                               FeedbackRow.helpful.is_(False))
                .group_by(FeedbackRow.reason))}

    def merged_into_lesson(self, lesson_id: int) -> list[Lesson]:
        """The lessons merged into this one."""
        from bot.storage.repository import to_lesson

        with self.db.session() as session:
            return [to_lesson(row) for row in session.scalars(select(LessonRow).where(
                LessonRow.merged_into == lesson_id, LessonRow.deleted_at.is_(None)).order_by(LessonRow.id))]

    def unanswered_public(self, limit: int = 2000) -> list[AskedQuestion]:
        """Questions from public channels no lesson answered, newest first, with the asker's municipality
        (not those of a workspace that keeps to itself: this is network-wide)."""
        unshared = self.unshared_workspaces()
        with self.db.session() as session:
            rows = session.execute(
                select(QuestionRow, PersonRow.municipality)
                .join(PersonRow, (PersonRow.platform == QuestionRow.platform)
                      & (PersonRow.platform_user_id == QuestionRow.user_id), isouter=True)
                .where(QuestionRow.answered.is_(False), QuestionRow.channel_visibility == "public")
                .order_by(QuestionRow.asked_at.desc()).limit(limit))
            return [AskedQuestion(q.id, q.text, q.lang, aware(q.asked_at) or utcnow(), q.platform, q.channel_id,
                                  municipality or "") for q, municipality in rows
                    if (q.platform, q.workspace or "") not in unshared]

    def questions_by_month(self) -> list[tuple[datetime, bool]]:
        """(asked at, answered) of every question from a public channel."""
        with self.db.session() as session:
            return [(aware(at) or utcnow(), bool(answered)) for at, answered in session.execute(
                select(QuestionRow.asked_at, QuestionRow.answered).where(QuestionRow.channel_visibility == "public"))]

    # -- one-time sign-in links ---------------------------------------------------------------------
    def create_admin_link(self, token: str, valid: timedelta, workspaces: list[str]) -> None:
        with self.db.session() as session:
            now = utcnow()
            session.add(AdminLinkRow(token_hash=token_hash(token), created_at=now, expires_at=now + valid,
                                     workspaces=workspaces))

    def use_admin_link(self, token: str) -> list[str] | None:
        """The link's workspaces, once, for a link that exists and has not expired; None on every later use."""
        with self.db.session() as session:
            result = session.execute(update(AdminLinkRow).where(
                AdminLinkRow.token_hash == token_hash(token), AdminLinkRow.used_at.is_(None),
                AdminLinkRow.expires_at > utcnow()).values(used_at=utcnow()))
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = session.get(AdminLinkRow, token_hash(token))
            return list(row.workspaces or []) if row else []
