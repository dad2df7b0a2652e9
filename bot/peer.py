"""Peer learning on top of the service: open questions answered later, the digest, introductions and
contacts that leave."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.access import AccessChecker, may_see
from bot.errors import InputError, PermissionDenied
from bot.model import Asker, Filters, Hit, Lesson, OpenQuestion, Outcome, PersonRef, Visibility
from bot.storage.repository import Person, Repository

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.search.engine import SearchEngine

log = logging.getLogger(__name__)
FEEDBACK_REASONS = ("irrelevant", "outdated", "incomplete")  # why a reader found a lesson not useful
FEEDBACK_NUDGE = 0.15  # the most readers' votes move a lesson, in fused z units (as one shared trait does)


def feedback_nudge(helpful: int, unhelpful: int) -> float:
    """+/- FEEDBACK_NUDGE at most, half of it after about two net votes."""
    return FEEDBACK_NUDGE * math.tanh((helpful - unhelpful) / 3)


@dataclass
class Digest:
    """What a channel's digest says: new lessons by theme, open questions, the most helpful lessons."""

    since: datetime
    new_by_theme: dict[str, list[Lesson]]
    open_questions: list[OpenQuestion]
    helpful: list[tuple[Lesson, int]]

    @property
    def empty(self) -> bool:
        return not self.new_by_theme and not self.helpful


def _thread_of(lesson: Lesson) -> tuple[str, str, str]:
    return lesson.source.platform, lesson.source.channel_id, lesson.source.thread_id


class PeerLearning:
    """Mixed into LeerkringService, which provides the attributes and helpers declared here."""

    settings: Settings
    repo: Repository
    engine: SearchEngine
    access: AccessChecker
    # platform -> delivers "your open question now has an answer" to the asker
    notifiers: dict[str, Callable[[OpenQuestion, Lesson], None]]
    # platform -> asks both people of an accepted introduction whether they met
    intro_checkers: dict[str, Callable[[Any], None]]
    # platform -> asks (lesson, period, user id) how a lesson ended
    checkback_askers: dict[str, Callable[[Lesson, int, str], None]]
    # platform -> sends (user id, held notices) as one direct message
    bundle_senders: dict[str, Callable[[str, list[dict[str, Any]]], None]]

    if TYPE_CHECKING:
        def person(self, ref: PersonRef) -> Person: ...
        def _index(self) -> None: ...
        def visible_lesson(self, asker: Asker, lesson_id: int) -> Lesson: ...
        def _set_outcome(self, lesson: Lesson, outcome: Outcome) -> None: ...

    # -- open questions --------------------------------------------------------------------------
    def answer_open_questions(self, lesson: Lesson, explicit: int | None = None) -> list[OpenQuestion]:
        """Open questions this new lesson answers (by the same rule as asking, or because it was
        captured in reply to one); each asker is told once, through their platform's notifier."""
        answered: list[OpenQuestion] = []
        try:
            questions = self.repo.open_questions(older_than_days=self.settings.question_max_age_days)
        except Exception:
            log.exception("open questions could not be read")
            return answered
        questions = [q for q in questions if q.id == explicit or (q.platform, q.user_id) != (
            lesson.captured_by.platform, lesson.captured_by.user_id)]  # nobody is told about their own lesson
        # One matrix product with the open questions' kept vectors rules most of them out; only the rest are
        # searched in full, by the same rule as asking, so a capture costs O(1) searches.
        try:
            saved = self.repo.question_vectors(self.engine.embedder.id, [q.id for q in questions])
            self.engine.questions.remember({q.text: saved[q.id] for q in questions if q.id in saved})
            plausible = self.engine.may_match(lesson.id, [q.text for q in questions])
        except Exception:  # nothing is lost: every question then gets the full search, as before the check
            log.exception("checking open questions against lesson %d in one product failed", lesson.id)
            plausible = [True] * len(questions)
        for question, maybe in zip(questions, plausible, strict=True):
            if question.id != explicit and not (maybe and self._lesson_answers(question, lesson)):
                continue
            if not self._may_see(question, lesson):
                continue
            if question.platform not in self.notifiers:  # another process, on the asker's platform, tells them
                if self.repo.propose_answer(question.id, lesson.id):
                    answered.append(question)
                continue
            if self.repo.answer_question(question.id, lesson.id):
                answered.append(question)
                self._tell(question, lesson)
        return answered

    def deliver_pending(self, platform: str) -> int:
        """Tell the askers on `platform` about answers that lessons saved elsewhere (by another platform's
        process, the console or an import) gave their open questions. Returns how many were told."""
        if platform not in self.notifiers:
            return 0
        told = 0
        for question, lesson_id in self.repo.pending_answers(platform):
            lesson = self.repo.get_lesson(lesson_id)
            if lesson is None or lesson.deleted:
                self.repo.drop_pending(question.id)
            elif self.repo.claim_pending(question.id) and self._tell(question, lesson):
                told += 1
        return told

    def _tell(self, question: OpenQuestion, lesson: Lesson) -> bool:
        """Tell the asker; when that fails the answer is pending again, to be told on a later round."""
        try:
            self.notifiers[question.platform](question, lesson)
            return True
        except Exception:
            log.exception("telling the asker of question %d failed; it will be tried again", question.id)
            self.repo.unclaim_answer(question.id)
            return False

    def _lesson_answers(self, question: OpenQuestion, lesson: Lesson) -> bool:
        """The same decision as asking: the lesson is a match for the question, under its filters."""
        try:
            result = self.engine.search(question.text, k=20, filters=Filters.from_dict(question.filters))
        except Exception:
            log.exception("matching open question %d failed", question.id)
            return False
        return any(s.lesson_id == lesson.id for s in result.matches)

    def _may_see(self, question: OpenQuestion, lesson: Lesson) -> bool:
        if lesson.source.visibility is Visibility.PUBLIC:
            return True
        return may_see(self.access, Asker(question.platform, question.user_id, question.asker_name, "",
                                          Visibility.DM), lesson)

    def open_questions(self) -> list[OpenQuestion]:
        return self.repo.open_questions(older_than_days=self.settings.question_max_age_days)

    def close_question(self, ref: PersonRef, question_id: int) -> bool:
        return self.repo.close_question(question_id, ref.platform, ref.user_id)

    # -- digest ----------------------------------------------------------------------------------
    def digest(self, since: datetime) -> Digest:
        unshared = self.repo.unshared_workspaces()
        new = [lesson for lesson in self.repo.lessons_since(since) if lesson.source.visibility is Visibility.PUBLIC
               and (lesson.source.platform, lesson.source.workspace) not in unshared]
        by_theme: dict[str, list[Lesson]] = {}
        for lesson in new:
            for theme in lesson.themes or [""]:  # "" = no theme; the digest names it in its reader's language
                by_theme.setdefault(theme, []).append(lesson)
        helpful = [(lesson, n) for lesson, n in self.repo.most_helpful(since)
                   if lesson.source.visibility is Visibility.PUBLIC
                   and (lesson.source.platform, lesson.source.workspace) not in unshared]
        return Digest(since, dict(sorted(by_theme.items(), key=lambda kv: (-len(kv[1]), kv[0]))),
                      [q for q in self.open_questions() if q.visibility is Visibility.PUBLIC
                       and (q.platform, q.workspace) not in unshared][:10], helpful)

    # -- feedback and what happened later ------------------------------------------------------
    def feedback(self, ref: PersonRef, question_id: int | None, lesson_id: int | None, helpful: bool,
                 reason: str = "") -> None:
        """A reader's vote on a lesson; "not useful" may say why (not relevant, outdated, incomplete)."""
        if reason and reason not in FEEDBACK_REASONS:
            raise InputError("feedback.bad_reason", reason=reason)
        self.repo.record_feedback(ref.platform, ref.user_id, question_id, lesson_id, helpful, reason)

    def _with_timelines(self, public: list[Hit], private: list[Hit]) -> tuple[list[Hit], list[Hit]]:
        """The shown lessons, public and private, with their dated check-back answers and the session whose
        discussion they came from (one query each for both lists)."""
        lessons = [h.lesson for h in [*public, *private]]
        timelines = self.repo.timelines([x.id for x in lessons])
        sessions = self.repo.sessions_of_threads([_thread_of(x) for x in lessons])

        def dated(hits: list[Hit]) -> list[Hit]:
            out = []
            for hit in hits:
                lesson, session = hit.lesson, sessions.get(_thread_of(hit.lesson))
                if lesson.id in timelines or session is not None:
                    lesson = replace(lesson, timeline=timelines.get(lesson.id, lesson.timeline),
                                     session=(session.title, session.at) if session else None)
                out.append(replace(hit, lesson=lesson) if lesson is not hit.lesson else hit)
            return out

        return dated(public), dated(private)

    def _with_feedback(self, hits: list[Hit]) -> list[Hit]:
        """Readers' votes move a lesson a little: at most FEEDBACK_NUDGE (one shared trait's worth of fused
        score) up for lessons found useful, down for lessons found not useful; ties keep their order."""
        balance = self.repo.feedback_balance([h.lesson.id for h in hits])
        if not balance:
            return hits
        return sorted(hits, key=lambda h: -(h.score + feedback_nudge(*balance.get(h.lesson.id, (0, 0)))))

    # -- introductions and contacts --------------------------------------------------------------
    def deliver_bundles(self, platform: str) -> int:
        """Send the daily and weekly bundles of notices that are due on `platform`; returns how many."""
        sender = self.bundle_senders.get(platform)
        if sender is None:
            return 0
        sent = 0
        for user_id, notices in self.repo.due_bundles(platform):
            try:
                sender(user_id, notices)
                sent += 1
            except Exception:
                log.exception("%s: sending a bundle of %d notice(s) failed", platform, len(notices))
        return sent

    def set_notifications(self, ref: PersonRef, mode: str) -> None:
        if mode not in ("off", "now", "daily", "weekly"):
            raise InputError("notices.usage")
        self.repo.set_notification_mode(ref.platform, ref.user_id, mode)

    def check_back(self, platform: str) -> int:
        """Ask the contacts of lessons on `platform` whose outcome is still unknown how they ended, each
        (lesson, period) once across processes; returns how many were asked."""
        asker = self.checkback_askers.get(platform)
        if asker is None:
            return 0
        asked = 0
        for lesson_id, period, user_id in self.repo.claim_checkbacks(platform, self.settings.checkback_periods):
            lesson = self.repo.get_lesson(lesson_id)
            if lesson is None:
                continue
            try:
                asker(lesson, period, user_id)
                asked += 1
            except Exception:
                log.exception("%s: asking how lesson %d ended failed", platform, lesson_id)
        return asked

    def answer_check_back(self, ref: PersonRef, lesson_id: int, period: int, outcome: str) -> bool:
        """How it ended, from the person asked (once): the lesson takes the outcome unless it still runs."""
        if outcome not in ("worked", "failed", "mixed", "running"):
            raise InputError("checkback.bad_outcome", outcome=outcome)
        if not self.repo.answer_checkback(lesson_id, period, ref.platform, ref.user_id, outcome):
            return False
        lesson = self.repo.get_lesson(lesson_id)
        if lesson is not None and outcome != "running":
            self._set_outcome(lesson, Outcome(outcome))
        return True

    def set_checkbacks(self, ref: PersonRef, on: bool) -> None:
        self.repo.set_checkbacks(ref.platform, ref.user_id, on)

    def check_introductions(self, platform: str) -> int:
        """Ask "did you meet?" about the accepted introductions on `platform` that are due, each once across
        processes; returns how many were asked."""
        checker = self.intro_checkers.get(platform)
        if checker is None:
            return 0
        asked = 0
        for intro in self.repo.due_introduction_checks(platform):
            try:
                checker(intro)
                asked += 1
            except Exception:
                log.exception("%s: asking whether introduction %d led to a meeting failed", platform, intro.id)
        return asked

    def introducible(self, hits: list[Hit], platform: str, asker_id: str) -> set[int]:
        """Lessons whose contact can be introduced to the asker: on the same platform, still reachable,
        not the asker, and not someone who declined introductions."""
        ids = set()
        for hit in hits:
            contact = hit.lesson.contact
            if (contact and hit.lesson.contact_active and contact.platform == platform and contact.user_id
                    and contact.user_id != asker_id):
                person = self.repo.get_person(platform, contact.user_id)
                if person is None or person.accepts_introductions:
                    ids.add(hit.lesson.id)
        return ids

    def introduction(self, asker: Asker, lesson_id: int, *, same_platform: bool = True) -> Lesson:
        """The lesson whose contact `asker` asks to meet: only one the asker may see (any other number "does
        not exist"), whose contact is still reachable (on the asker's platform, for a conversation the bot
        opens) and accepts introductions."""
        lesson = self.visible_lesson(asker, lesson_id)
        contact = lesson.contact
        if contact is None or not lesson.contact_active or \
                (same_platform and (contact.platform != asker.platform or not contact.user_id)):
            raise InputError("intro.unavailable")
        person = self.repo.get_person(contact.platform, contact.user_id)
        if person is not None and not person.accepts_introductions:
            raise InputError("intro.declined")
        return lesson

    def set_introductions(self, ref: PersonRef, accept: bool) -> Person:
        person = self.person(ref)
        return self.repo.save_person(replace(person, accepts_introductions=accept,
                                             display_name=ref.name or person.display_name))

    def person_left(self, platform: str, user_id: str) -> list[Lesson]:
        """A contact was deactivated or left: their lessons stay, marked, so a new contact can be named."""
        lessons = self.repo.set_contact_active(platform, user_id, False)
        self._index()
        return lessons

    @staticmethod
    def who_to_ask(lessons: list[Lesson], platform: str, gone_user: str) -> list[tuple[str, Lesson]]:
        """For lessons whose contact left: each person (on that platform) who saved one, with one of
        their lessons, to ask for a new contact."""
        asked: dict[str, Lesson] = {}
        for lesson in lessons:
            capturer = lesson.captured_by.user_id
            if lesson.captured_by.platform == platform and capturer and capturer != gone_user:
                asked.setdefault(capturer, lesson)
        return list(asked.items())

    def person_returned(self, platform: str, user_id: str) -> None:
        self.repo.set_contact_active(platform, user_id, True)

    def move_contacts(self, caller: PersonRef, old: PersonRef, new: PersonRef) -> list[int]:
        """Move every lesson's contact from `old` to `new`: allowed for `old` themself, or when `old` left."""
        if (caller.platform, caller.user_id) != (old.platform, old.user_id):
            lessons = [x for x in self.repo.lessons_of_person(old.platform, old.user_id)
                       if x.contact and x.contact.user_id == old.user_id]
            if not lessons or any(x.contact_active for x in lessons):
                raise PermissionDenied("contact.move_denied")
        moved = self.repo.move_contacts(old.platform, old.user_id, new.user_id, new.name)
        self._index()
        return moved
