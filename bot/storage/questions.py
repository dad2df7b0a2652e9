"""Questions, open questions and feedback: what people ask, and what they thought of the answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bot.model import Lesson, OpenQuestion, Visibility
from bot.storage.db import Database
from bot.storage.tables import FeedbackRow, QuestionRow, QuestionVectorRow, utcnow


def aware(value: datetime | None) -> datetime | None:
    """Datetimes from SQLite come back naive; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _open_question(r: QuestionRow) -> OpenQuestion:
    return OpenQuestion(r.id, r.platform, r.user_id, r.asker_name, r.channel_id, r.text, r.lang,
                        aware(r.asked_at) or utcnow(), dict(r.filters or {}),
                        Visibility(r.channel_visibility or "private"), r.workspace or "")


class QuestionStore:
    """The question and feedback half of the repository."""

    db: Database

    def get_lessons(self, ids: Iterable[int]) -> dict[int, Lesson]:  # provided by Repository
        raise NotImplementedError

    def record_question(self, platform: str, user_id: str, channel_id: str, text: str, lang: str,
                        filters: dict[str, str], hit_ids: list[int], *, keep_open: bool = False,
                        asker_name: str = "", visibility: Visibility = Visibility.PUBLIC, workspace: str = "") -> int:
        with self.db.session() as session:
            status = "closed" if hit_ids else ("open" if keep_open else "unanswered")
            row = QuestionRow(platform=platform, user_id=user_id, channel_id=channel_id, text=text, lang=lang,
                              filters=filters, hit_ids=hit_ids, answered=bool(hit_ids), status=status,
                              asked_at=utcnow(), asker_name=asker_name, channel_visibility=visibility.value,
                              workspace=workspace)
            session.add(row)
            session.flush()
            return row.id

    def open_questions(self, *, older_than_days: int | None = None, limit: int = 500) -> list[OpenQuestion]:
        """Open questions, newest first; those past the age limit are expired quietly on the way."""
        with self.db.session() as session:
            if older_than_days is not None:
                cutoff = utcnow() - timedelta(days=older_than_days)
                session.execute(update(QuestionRow).where(QuestionRow.status == "open",
                                                          QuestionRow.asked_at < cutoff).values(status="expired"))
            rows = session.scalars(select(QuestionRow).where(QuestionRow.status == "open")
                                   .order_by(QuestionRow.asked_at.desc(), QuestionRow.id.desc()).limit(limit))
            return [_open_question(r) for r in rows]

    def count_open_questions(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(QuestionRow)
                                      .where(QuestionRow.status == "open")) or 0)

    def store_question_vector(self, question_id: int, model_id: str, vector: bytes) -> None:
        with self.db.session() as session:
            session.merge(QuestionVectorRow(question_id=question_id, model_id=model_id, vector=vector))

    def question_vectors(self, model_id: str, question_ids: list[int]) -> dict[int, bytes]:
        """The saved vectors of these questions for this model (questions asked before vectors were saved
        have none)."""
        if not question_ids:
            return {}
        with self.db.session() as session:
            rows = session.execute(select(QuestionVectorRow.question_id, QuestionVectorRow.vector).where(
                QuestionVectorRow.model_id == model_id, QuestionVectorRow.question_id.in_(question_ids)))
            return {qid: vector for qid, vector in rows}

    # An open question a lesson answers is "answered" once its asker has been told. A process that cannot
    # reach the asker's platform leaves the answer "pending", and a process that can tells them later.
    def answer_question(self, question_id: int, lesson_id: int) -> bool:
        """Claim an open question to tell its asker about `lesson_id` now; False when it was not open."""
        return self._move(question_id, "open", status="answered", answered=True, answer_lesson_id=lesson_id,
                          notified_at=utcnow())

    def propose_answer(self, question_id: int, lesson_id: int) -> bool:
        """Note that `lesson_id` answers an open question whose asker this process cannot reach."""
        return self._move(question_id, "open", status="pending", answer_lesson_id=lesson_id)

    def pending_answers(self, platform: str, limit: int = 200) -> list[tuple[OpenQuestion, int]]:
        """Questions asked on `platform` with an answer their askers have not been told yet, oldest first."""
        with self.db.session() as session:
            rows = session.scalars(select(QuestionRow).where(QuestionRow.status == "pending",
                                                             QuestionRow.platform == platform)
                                   .order_by(QuestionRow.id).limit(limit))
            return [(_open_question(r), int(r.answer_lesson_id or 0)) for r in rows]

    def claim_pending(self, question_id: int) -> bool:
        """Claim a pending answer to tell its asker now (one process of several wins)."""
        return self._move(question_id, "pending", status="answered", answered=True, notified_at=utcnow())

    def unclaim_answer(self, question_id: int) -> bool:
        """Telling the asker failed: the answer goes back to pending, to be told later."""
        return self._move(question_id, "answered", status="pending", answered=False, notified_at=None)

    def drop_pending(self, question_id: int) -> bool:
        """The pending answer's lesson is gone: the question is open again."""
        return self._move(question_id, "pending", status="open", answer_lesson_id=None)

    def _move(self, question_id: int, current: str, **values: object) -> bool:
        """Change a question only while its status is `current` (atomic across processes)."""
        with self.db.session() as session:
            result = session.execute(update(QuestionRow).where(QuestionRow.id == question_id,
                                                               QuestionRow.status == current).values(**values))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def close_question(self, question_id: int, platform: str, user_id: str) -> bool:
        with self.db.session() as session:
            row = session.get(QuestionRow, question_id)
            if row is None or (row.platform, row.user_id) != (platform, user_id) or row.status != "open":
                return False
            row.status = "closed"
            return True

    def keep_question_open(self, question_id: int, platform: str, user_id: str) -> bool:
        """Mark the asker's unanswered question as open (waiting for a lesson)."""
        with self.db.session() as session:
            row = session.get(QuestionRow, question_id)
            if row is None or (row.platform, row.user_id) != (platform, user_id):
                return False
            row.status = "open"
            return True

    def record_feedback(self, platform: str, user_id: str, question_id: int | None, lesson_id: int | None,
                        helpful: bool, reason: str = "") -> None:
        """One vote per person per lesson: a second click changes the vote (and its reason), it does not add
        one."""
        with self.db.session() as session:
            if lesson_id is not None:
                earlier = list(session.scalars(select(FeedbackRow).where(
                    FeedbackRow.platform == platform, FeedbackRow.user_id == user_id,
                    FeedbackRow.lesson_id == lesson_id).with_for_update()))
                if earlier:
                    vote, *extra = earlier
                    vote.helpful, vote.created_at = helpful, utcnow()
                    vote.reason = reason if not helpful else ""
                    vote.question_id = question_id if question_id is not None else vote.question_id
                    for row in extra:  # votes counted twice before one vote per person
                        session.delete(row)
                    return
            session.add(FeedbackRow(platform=platform, user_id=user_id, question_id=question_id,
                                    lesson_id=lesson_id, helpful=helpful, reason=reason if not helpful else "",
                                    created_at=utcnow()))

    def feedback_balance(self, lesson_ids: list[int]) -> dict[int, tuple[int, int]]:
        """(helpful, not helpful) votes per lesson, for the lessons asked about."""
        if not lesson_ids:
            return {}
        with self.db.session() as session:
            rows = session.execute(select(FeedbackRow.lesson_id, FeedbackRow.helpful, func.count())
                                   .where(FeedbackRow.lesson_id.in_(lesson_ids))
                                   .group_by(FeedbackRow.lesson_id, FeedbackRow.helpful))
            balance: dict[int, tuple[int, int]] = {}
            for lesson_id, helpful, count in rows:
                key = int(lesson_id or 0)
                up, down = balance.get(key, (0, 0))
                balance[key] = (up + count, down) if helpful else (up, down + count)
            return balance

    def reported(self, reason: str) -> list[tuple[int, int]]:
        """(lesson id, how many people) for lessons reported with `reason` ("outdated"), most reported first."""
        with self.db.session() as session:
            return [(int(lesson_id or 0), int(count)) for lesson_id, count in session.execute(
                select(FeedbackRow.lesson_id, func.count()).where(FeedbackRow.reason == reason,
                                                                  FeedbackRow.lesson_id.is_not(None))
                .group_by(FeedbackRow.lesson_id).order_by(func.count().desc()))]

    def question_rows(self, hidden: frozenset[tuple[str, str]] = frozenset()) -> list[tuple[str, bool, list[int]]]:
        """(text, answered, hit ids) of every question asked in a public channel, for statistics; not those of
        the `hidden` (platform, workspace) pairs."""
        with self.db.session() as session:
            return [(q.text, bool(q.answered), list(q.hit_ids or []))
                    for q in session.scalars(select(QuestionRow).where(QuestionRow.channel_visibility == "public"))
                    if (q.platform, q.workspace or "") not in hidden]

    def most_helpful(self, since: datetime, limit: int = 3) -> list[tuple[Lesson, int]]:
        with self.db.session() as session:
            rows = session.execute(select(FeedbackRow.lesson_id, func.count())
                                   .where(FeedbackRow.helpful.is_(True), FeedbackRow.created_at >= since,
                                          FeedbackRow.lesson_id.is_not(None))
                                   .group_by(FeedbackRow.lesson_id).order_by(func.count().desc()).limit(limit))
            counts = [(int(lid), int(n)) for lid, n in rows if lid is not None]
        lessons = self.get_lessons([lid for lid, _ in counts])
        return [(lessons[lid], n) for lid, n in counts if lid in lessons]

    def question_counts(self) -> tuple[int, int]:
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(QuestionRow)) or 0
            answered = session.scalar(select(func.count()).select_from(QuestionRow)
                                      .where(QuestionRow.answered.is_(True))) or 0
            return int(total), int(answered)

    def unanswered_questions(self, limit: int = 10, hidden: frozenset[tuple[str, str]] = frozenset()
                             ) -> list[tuple[str, datetime]]:
        with self.db.session() as session:
            rows = session.execute(select(QuestionRow.text, QuestionRow.asked_at, QuestionRow.platform,
                                          QuestionRow.workspace)
                                   .where(QuestionRow.answered.is_(False),
                                          QuestionRow.channel_visibility == "public")
                                   .order_by(QuestionRow.asked_at.desc()).limit(limit + 200))
            return [(text, aware(at) or utcnow()) for text, at, platform, workspace in rows
                    if (platform, workspace or "") not in hidden][:limit]
