"""The repository: every database read and write the core needs, in domain terms."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.model import (
    Lesson,
    LessonDraft,
    OrganisationKind,
    Outcome,
    PersonRef,
    Source,
    Visibility,
    lesson_search_text,
)
from bot.storage.channels import ChannelStore
from bot.storage.checkbacks import CheckbackStore
from bot.storage.circles import CircleStore
from bot.storage.db import Database
from bot.storage.failures import FailureStore
from bot.storage.introductions import IntroductionStore
from bot.storage.notices import NoticeStore
from bot.storage.questions import QuestionStore, aware
from bot.storage.references import ReferenceStore
from bot.storage.tables import (
    Counter,
    EmbeddingRow,
    FeedbackRow,
    LessonRow,
    PersonRow,
    ProcessedEvent,
    QuestionRow,
    utcnow,
)
from bot.storage.tending import TendingStore
from bot.storage.workspaces import WorkspaceStore

REVISION = "lesson_revision"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Person:
    platform: str
    user_id: str
    display_name: str = ""
    municipality: str = ""
    municipality_code: str = ""
    accepts_introductions: bool = True
    locale: str = ""


def _source_key(row: LessonRow) -> tuple[str, str, str, str]:
    return (row.source_platform, row.source_workspace, row.source_channel_id, row.source_message_id)


def to_lesson(row: LessonRow) -> Lesson:
    contact = (PersonRef(row.contact_platform, row.contact_user_id, row.contact_name)
               if (row.contact_user_id or row.contact_name) else None)
    return Lesson(
        id=row.id, text=row.text, title=row.title, municipality=row.municipality,
        municipality_code=row.municipality_code, organisation_kind=OrganisationKind(row.organisation_kind),
        themes=list(row.themes or []), outcome=Outcome(row.outcome), learned=row.learned, contact=contact,
        captured_by=PersonRef(row.captured_by_platform, row.captured_by_user_id, row.captured_by_name),
        source=Source(platform=row.source_platform, workspace=row.source_workspace,
                      channel_id=row.source_channel_id, channel_name=row.source_channel_name,
                      visibility=Visibility(row.source_visibility), message_id=row.source_message_id,
                      thread_id=row.source_thread_id, permalink=row.permalink),
        created_at=aware(row.created_at) or utcnow(), updated_at=aware(row.updated_at) or utcnow(),
        occurred_at=aware(row.occurred_at), revision=row.revision, deleted=row.deleted_at is not None,
        edited_by_form=row.edited_by_form, contact_active=row.contact_active, why=row.why or "",
        conditions=row.conditions or "", status=row.status or "current", merged_into=row.merged_into,
    )


def _to_person(row: PersonRow) -> Person:
    return Person(row.platform, row.platform_user_id, row.display_name, row.municipality,
                  row.municipality_code, row.accepts_introductions, row.locale)


class Repository(QuestionStore, IntroductionStore, CheckbackStore, NoticeStore, FailureStore, CircleStore,
                 TendingStore, ChannelStore, WorkspaceStore, ReferenceStore):
    """Reads and writes lessons, people, embeddings and event keys; questions and feedback come from
    `QuestionStore`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- revisions --------------------------------------------------------------------------------
    def _next_revision(self, session: Session, count: int = 1) -> int:
        """Take `count` revisions; returns the last. UPDATE ... takes the row lock that orders concurrent
        writers until they commit."""
        result = session.execute(
            update(Counter).where(Counter.name == REVISION).values(value=Counter.value + count)
            .returning(Counter.value))
        value = result.scalar_one_or_none()
        if value is None:
            try:
                with session.begin_nested():
                    session.add(Counter(name=REVISION, value=count))
                return count
            except IntegrityError:
                return self._next_revision(session, count)
        return int(value)

    def max_revision(self) -> int:
        with self.db.session() as session:
            value = session.scalar(select(Counter.value).where(Counter.name == REVISION))
            return int(value or 0)

    # -- lessons ----------------------------------------------------------------------------------
    def save_lesson(self, draft: LessonDraft) -> tuple[Lesson, bool]:
        """Store a captured lesson. The same source message captured again updates the one lesson.

        Returns the lesson and whether it was new.
        """
        for _attempt in range(3):
            try:
                return self._save_lesson_once(draft)
            except IntegrityError:
                continue  # another process inserted the same source message first: update it instead
        return self._save_lesson_once(draft)

    def save_lessons(self, drafts: list[LessonDraft]) -> list[tuple[Lesson, bool]]:
        """Store many lessons in one transaction (imports): all of them, or none if it fails.

        When another writer stores the same source message meanwhile, the batch is retried one by one."""
        if not drafts:
            return []
        try:
            with self.db.session() as session:
                last = self._next_revision(session, len(drafts))
                known = {_source_key(row): row for row in session.scalars(select(LessonRow).where(
                    LessonRow.source_message_id.in_({d.source.message_id for d in drafts})))}
                saved = [self._apply(session, draft, last - len(drafts) + 1 + n, known)
                         for n, draft in enumerate(drafts)]
                session.flush()
                return [(to_lesson(row), created) for row, created in saved]
        except IntegrityError:
            return [self.save_lesson(draft) for draft in drafts]

    def _save_lesson_once(self, draft: LessonDraft) -> tuple[Lesson, bool]:
        with self.db.session() as session:
            row, created = self._apply(session, draft, self._next_revision(session))
            session.flush()
            return to_lesson(row), created

    def _apply(self, session: Session, draft: LessonDraft, revision: int,
               known: dict[tuple[str, str, str, str], LessonRow] | None = None) -> tuple[LessonRow, bool]:
        """Write the draft into its row (found by source message, or new). `known`: rows of this batch
        already looked up, by source key; new rows are added to it."""
        src = draft.source
        key = (src.platform, src.workspace, src.channel_id, src.message_id)
        if known is not None:
            row = known.get(key)
        else:
            row = session.scalar(select(LessonRow).where(
                LessonRow.source_platform == src.platform, LessonRow.source_workspace == src.workspace,
                LessonRow.source_channel_id == src.channel_id, LessonRow.source_message_id == src.message_id))
        created = row is None or row.deleted_at is not None
        now = utcnow()
        if row is None:
            row = LessonRow(created_at=now, source_platform=src.platform, source_workspace=src.workspace,
                            source_channel_id=src.channel_id, source_message_id=src.message_id,
                            edited_by_form=False)
            session.add(row)
            if known is not None:
                known[key] = row
        contact = draft.contact
        row.title = draft.title[:300]
        row.text = draft.text
        row.learned = draft.learned
        row.why = draft.why
        row.conditions = draft.conditions
        row.municipality = draft.municipality
        row.municipality_code = draft.municipality_code
        row.organisation_kind = draft.organisation_kind.value
        row.themes = list(draft.themes)
        row.outcome = draft.outcome.value
        row.contact_platform = contact.platform if contact else ""
        row.contact_user_id = contact.user_id if contact else ""
        row.contact_name = contact.name if contact else ""
        row.captured_by_platform = draft.captured_by.platform
        row.captured_by_user_id = draft.captured_by.user_id
        row.captured_by_name = draft.captured_by.name
        row.source_channel_name = src.channel_name
        row.source_visibility = src.visibility.value
        row.source_thread_id = src.thread_id
        row.permalink = src.permalink
        row.occurred_at = draft.occurred_at
        row.updated_at = now
        row.deleted_at = None
        row.edited_by_form = draft.edited_by_form or (bool(row.edited_by_form) and not created)
        row.revision = revision
        row.content_hash = content_hash(lesson_search_text(row.title, row.text, row.learned,
                                                           row.municipality, row.themes, row.why, row.conditions))
        return row, created

    def get_lesson(self, lesson_id: int, *, include_deleted: bool = False) -> Lesson | None:
        with self.db.session() as session:
            row = session.get(LessonRow, lesson_id)
            if row is None or (row.deleted_at is not None and not include_deleted):
                return None
            return self._with_merged(session, {row.id: to_lesson(row)})[row.id]

    def get_lessons(self, ids: Iterable[int]) -> dict[int, Lesson]:
        ids = list(ids)
        if not ids:
            return {}
        with self.db.session() as session:
            rows = session.scalars(select(LessonRow).where(LessonRow.id.in_(ids),
                                                           LessonRow.deleted_at.is_(None)))
            return self._with_merged(session, {row.id: to_lesson(row) for row in rows})

    def find_by_source(self, platform: str, workspace: str, channel_id: str, message_id: str) -> Lesson | None:
        with self.db.session() as session:
            row = session.scalar(select(LessonRow).where(
                LessonRow.source_platform == platform, LessonRow.source_workspace == workspace,
                LessonRow.source_channel_id == channel_id, LessonRow.source_message_id == message_id,
                LessonRow.deleted_at.is_(None)))
            return to_lesson(row) if row else None

    def delete_lesson(self, lesson_id: int) -> bool:
        """Tombstone a lesson: its content is erased, the row stays so every index drops it."""
        with self.db.session() as session:
            revision = self._next_revision(session)
            row = session.get(LessonRow, lesson_id)
            if row is None or row.deleted_at is not None:
                return False
            row.deleted_at = utcnow()
            row.updated_at = row.deleted_at
            row.text = row.title = row.learned = row.why = row.conditions = ""
            row.contact_name = row.contact_user_id = row.captured_by_name = ""
            row.themes = []
            row.revision = revision
            session.execute(delete(EmbeddingRow).where(EmbeddingRow.lesson_id == lesson_id))
            return True

    def changes_since(self, revision: int, limit: int = 1000) -> list[Lesson]:
        """Lessons changed (added, edited or deleted) after `revision`, oldest change first."""
        with self.db.session() as session:
            rows = session.scalars(select(LessonRow).where(LessonRow.revision > revision)
                                   .order_by(LessonRow.revision).limit(limit))
            return [to_lesson(row) for row in rows]

    def count_changes_since(self, revision: int) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(LessonRow)
                                      .where(LessonRow.revision > revision)) or 0)

    def iter_lessons(self, batch: int = 500, *, everything: bool = False) -> Iterator[Lesson]:
        """Every findable lesson (with `everything`, archived and merged ones too), in id order, in batches."""
        last = 0
        while True:
            with self.db.session() as session:
                query = select(LessonRow).where(LessonRow.id > last, LessonRow.deleted_at.is_(None))
                if not everything:
                    query = query.where(LessonRow.status != "archived", LessonRow.merged_into.is_(None))
                rows = list(session.scalars(query.order_by(LessonRow.id).limit(batch)))
                lessons = [to_lesson(row) for row in rows]
            if not lessons:
                return
            yield from lessons
            last = lessons[-1].id

    def count_lessons(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(LessonRow)
                                      .where(LessonRow.deleted_at.is_(None))) or 0)

    def lessons_of_person(self, platform: str, user_id: str) -> list[Lesson]:
        """Lessons a person captured or is the contact for."""
        with self.db.session() as session:
            rows = session.scalars(select(LessonRow).where(
                LessonRow.deleted_at.is_(None),
                or_((LessonRow.captured_by_platform == platform) & (LessonRow.captured_by_user_id == user_id),
                    (LessonRow.contact_platform == platform) & (LessonRow.contact_user_id == user_id)))
                .order_by(LessonRow.id))
            return [to_lesson(row) for row in rows]

    # -- embeddings -------------------------------------------------------------------------------
    def cached_vectors(self, model_id: str, hashes: dict[int, str]) -> dict[int, bytes]:
        """Stored vectors for these lessons whose content hash still matches."""
        if not hashes:
            return {}
        with self.db.session() as session:
            rows = session.execute(select(EmbeddingRow.lesson_id, EmbeddingRow.content_hash, EmbeddingRow.vector)
                                   .where(EmbeddingRow.model_id == model_id,
                                          EmbeddingRow.lesson_id.in_(list(hashes))))
            return {lid: vec for lid, h, vec in rows if hashes.get(lid) == h}

    def store_vectors(self, model_id: str, items: list[tuple[int, str, bytes]]) -> None:
        if not items:
            return
        with self.db.session() as session:
            ids = [lid for lid, _, _ in items]
            session.execute(delete(EmbeddingRow).where(EmbeddingRow.model_id == model_id,
                                                       EmbeddingRow.lesson_id.in_(ids)))
            live = set(session.scalars(select(LessonRow.id).where(LessonRow.id.in_(ids),
                                                                  LessonRow.deleted_at.is_(None))))
            session.add_all(EmbeddingRow(lesson_id=lid, model_id=model_id, content_hash=h, vector=v)
                            for lid, h, v in items if lid in live)

    # -- people -----------------------------------------------------------------------------------
    def get_person(self, platform: str, user_id: str) -> Person | None:
        with self.db.session() as session:
            row = session.scalar(select(PersonRow).where(PersonRow.platform == platform,
                                                         PersonRow.platform_user_id == user_id))
            return _to_person(row) if row else None

    def save_person(self, person: Person) -> Person:
        for _attempt in range(2):
            try:
                with self.db.session() as session:
                    row = session.scalar(select(PersonRow).where(PersonRow.platform == person.platform,
                                                                 PersonRow.platform_user_id == person.user_id))
                    if row is None:
                        row = PersonRow(platform=person.platform, platform_user_id=person.user_id,
                                        created_at=utcnow())
                        session.add(row)
                    row.display_name = person.display_name
                    row.municipality = person.municipality
                    row.municipality_code = person.municipality_code
                    row.accepts_introductions = person.accepts_introductions
                    row.locale = person.locale
                    row.updated_at = utcnow()
                    session.flush()
                    return _to_person(row)
            except IntegrityError:
                continue
        raise RuntimeError("could not save person")  # pragma: no cover - two concurrent inserts twice over

    def set_contact_active(self, platform: str, user_id: str, active: bool) -> list[Lesson]:
        """Mark a person's lessons as having (or no longer having) a reachable contact."""
        with self.db.session() as session:
            rows = list(session.scalars(select(LessonRow).where(
                LessonRow.deleted_at.is_(None), LessonRow.contact_platform == platform,
                LessonRow.contact_user_id == user_id, LessonRow.contact_active.is_(not active))))
            for row in rows:
                row.contact_active = active
            return [to_lesson(row) for row in rows]

    def move_contacts(self, platform: str, from_user: str, to_user: str, to_name: str) -> list[int]:
        """Make `to_user` the contact of every lesson `from_user` was the contact for."""
        ids: list[int] = []
        with self.db.session() as session:
            rows = list(session.scalars(select(LessonRow).where(
                LessonRow.deleted_at.is_(None), LessonRow.contact_platform == platform,
                LessonRow.contact_user_id == from_user)))
            for row in rows:
                row.contact_user_id, row.contact_name, row.contact_active = to_user, to_name, True
                row.revision = self._next_revision(session)
                ids.append(row.id)
        return ids

    def lessons_since(self, since: datetime) -> list[Lesson]:
        with self.db.session() as session:
            rows = session.scalars(select(LessonRow).where(LessonRow.deleted_at.is_(None),
                                                           LessonRow.created_at >= since).order_by(LessonRow.id))
            return [to_lesson(row) for row in rows]

    def last_event(self, prefix: str) -> datetime | None:
        with self.db.session() as session:
            value = session.scalar(select(func.max(ProcessedEvent.processed_at))
                                   .where(ProcessedEvent.key.like(prefix + "%")))
            return aware(value)

    # -- events -----------------------------------------------------------------------------------
    def claim_event(self, key: str) -> bool:
        """True the first time a key is claimed, by any process; False for a duplicate."""
        try:
            with self.db.session() as session:
                session.add(ProcessedEvent(key=key[:255], processed_at=utcnow()))
            return True
        except IntegrityError:
            return False

    # -- statistics and privacy -------------------------------------------------------------------
    def person_data(self, platform: str, user_id: str) -> dict[str, object]:
        """Everything held about a person, for export before 'forget me'."""
        person = self.get_person(platform, user_id)
        with self.db.session() as session:
            questions = [{"id": q.id, "text": q.text, "asked_at": q.asked_at.isoformat()}
                         for q in session.scalars(select(QuestionRow).where(QuestionRow.platform == platform,
                                                                            QuestionRow.user_id == user_id))]
            feedback = [{"question_id": f.question_id, "lesson_id": f.lesson_id, "helpful": f.helpful,
                         "reason": f.reason or ""}
                        for f in session.scalars(select(FeedbackRow).where(FeedbackRow.platform == platform,
                                                                           FeedbackRow.user_id == user_id))]
        return {"person": person.__dict__ if person else None,
                "introductions": self.introductions_of(platform, user_id),
                "checkbacks": self.checkbacks_of(platform, user_id),
                "notifications": self.notices_of(platform, user_id),
                "anonymous_failures": self.failures_of(platform, user_id),  # only where they agreed to be asked
                "circles": self.circles_of(platform, user_id),
                "lessons": [lesson_summary(x) for x in self.lessons_of_person(platform, user_id)],
                "questions": questions, "feedback": feedback,
                "how_reached": reached.__dict__ if (reached := self.reference(platform, "person", user_id)) else None}

    def forget_person(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase a person: the lessons they saved (their tombstones keep no id, link or place of theirs),
        their questions, feedback, profile and the keys of their events. A lesson someone else saved that
        only names them as its contact is handed over to the one who saved it. Counts what went."""
        lessons = self.lessons_of_person(platform, user_id)
        own = [lesson for lesson in lessons
               if (lesson.captured_by.platform, lesson.captured_by.user_id) == (platform, user_id)]
        own += [x for x in map(self.get_lesson, self.anonymous_lessons_of(platform, user_id))
                if x is not None]  # stories they shared anonymously and kept a link to
        for lesson in own:
            self.delete_lesson(lesson.id)
        own_ids = {lesson.id for lesson in own}
        handed = [lesson for lesson in lessons if lesson.id not in own_ids]
        with self.db.session() as session:
            revision = self._next_revision(session)
            for lesson in own:
                row = session.get(LessonRow, lesson.id)
                if row is not None:
                    row.captured_by_user_id = row.contact_user_id = row.contact_platform = ""
                    row.permalink = row.source_channel_name = row.source_thread_id = ""
                    row.source_channel_id, row.source_message_id = "", f"forgotten-{row.id}"
                    row.revision = revision
            for lesson in handed:
                row = session.get(LessonRow, lesson.id)
                if row is not None:
                    row.contact_platform, row.contact_user_id = row.captured_by_platform, row.captured_by_user_id
                    row.contact_name, row.contact_active = row.captured_by_name, bool(row.captured_by_user_id)
                    row.revision = revision
            session.execute(delete(ProcessedEvent).where(ProcessedEvent.key.contains(f":{user_id}:")))
            fb = session.execute(delete(FeedbackRow).where(FeedbackRow.platform == platform,
                                                           FeedbackRow.user_id == user_id))
            qs = session.execute(delete(QuestionRow).where(QuestionRow.platform == platform,
                                                           QuestionRow.user_id == user_id))
            pp = session.execute(delete(PersonRow).where(PersonRow.platform == platform,
                                                         PersonRow.platform_user_id == user_id))
            self.forget_introductions(session, platform, user_id)
            self.forget_checkbacks(session, platform, user_id)
            self.forget_notices(session, platform, user_id)
            self.forget_failures(session, platform, user_id)
            self.forget_circles(session, platform, user_id)
            self.forget_reference(session, platform, "person", user_id)
        return {"lessons": len(own), "handed_over": len(handed), "questions": qs.rowcount or 0,  # type: ignore[attr-defined]
                "feedback": fb.rowcount or 0, "profile": pp.rowcount or 0}  # type: ignore[attr-defined]


def lesson_summary(lesson: Lesson) -> dict[str, object]:
    """A lesson as plain data, for export and JSON output."""
    return {
        "id": lesson.id, "title": lesson.title, "text": lesson.text, "learned": lesson.learned,
        "why": lesson.why, "conditions": lesson.conditions,
        "municipality": lesson.municipality, "municipality_code": lesson.municipality_code,
        "organisation_kind": lesson.organisation_kind.value, "themes": lesson.themes,
        "outcome": lesson.outcome.value,
        "contact": lesson.contact.name if lesson.contact else "",
        "contact_user_id": lesson.contact.user_id if lesson.contact else "",
        "contact_platform": lesson.contact.platform if lesson.contact else "",
        "captured_by": lesson.captured_by.name, "captured_by_user_id": lesson.captured_by.user_id,
        "source_platform": lesson.source.platform, "source_workspace": lesson.source.workspace,
        "source_channel_id": lesson.source.channel_id, "source_channel": lesson.source.channel_name,
        "source_visibility": lesson.source.visibility.value, "source_message_id": lesson.source.message_id,
        "source_thread_id": lesson.source.thread_id,
        "permalink": lesson.source.permalink,
        "created_at": lesson.created_at.isoformat(),
        "occurred_at": lesson.occurred_at.isoformat() if lesson.occurred_at else "",
    }
