"""The service facade: what every adapter calls. Capture, ask, forget, and the rest.

It knows nothing of chat platforms: adapters hand it neutral requests and format what it returns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from bot.access import AccessChecker, PlatformAccess, SameChannelOnly, may_see, may_see_place
from bot.capture import parse_lesson, title_from
from bot.config import Settings
from bot.errors import InputError, NotFoundError, PermissionDenied
from bot.lang import language_for
from bot.messages import t
from bot.model import (
    Answer,
    AnswerKind,
    Asker,
    Filters,
    Hit,
    Lesson,
    LessonDraft,
    OpenQuestion,
    OrganisationKind,
    Outcome,
    PersonRef,
    Source,
    Visibility,
)
from bot.municipalities import registry
from bot.peer import PeerLearning
from bot.search.engine import LessonMeta, SearchEngine
from bot.storage.repository import Person, Repository

log = logging.getLogger(__name__)
_SIMILAR = re.compile(r"\b(in |bij |van )?(vergelijkbare|soortgelijke) gemeenten?\b|\b(in |by |from )?similar "
                      r"(sized )?municipalit(y|ies)\b", re.IGNORECASE)

RELATED_SHOWN = 3  # related lessons shown when nothing matches
_FILTER_NAMES = {"municipality": ("gemeente", "municipality"), "province": ("provincie", "province"),
                 "size_class": ("grootte", "size"), "theme": ("thema", "theme"),
                 "outcome": ("uitkomst", "outcome"), "since": ("sinds", "since")}  # (Dutch, English), as typed
LONG_LESSON = 4000  # characters; longer stories are kept whole, but the user is told answers show an extract


@dataclass
class CaptureRequest:
    """A message (or thread) somebody wants kept as a lesson."""

    text: str
    source: Source
    author: PersonRef
    captured_by: PersonRef
    contact: PersonRef | None = None
    occurred_at: datetime | None = None
    # Values from a form (e.g. Slack's modal) win over what is parsed from the text.
    municipality: str | None = None
    themes: list[str] | None = None
    outcome: Outcome | None = None
    learned: str | None = None
    why: str | None = None
    conditions: str | None = None
    title: str | None = None
    edited_by_form: bool = False
    answers_question: int | None = None  # the open question this lesson was captured in reply to
    channel_rules: bool = True  # honour the channel's "capture off" (a coordinator's own action does not)


@dataclass
class CaptureResult:
    lesson: Lesson
    created: bool
    lang: str
    notices: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    answered: list[OpenQuestion] = field(default_factory=list)


@dataclass
class AskResult:
    """The answer for the channel, and the hits only the asker may see (for a private reply)."""

    answer: Answer
    private_hits: list[Hit] = field(default_factory=list)


class LeerkringService(PeerLearning):
    def __init__(self, settings: Settings, repo: Repository, engine: SearchEngine, *,
                 access: AccessChecker | None = None, index_after_write: bool = True) -> None:
        self.settings = settings
        self.repo = repo
        self.engine = engine
        self.access: AccessChecker = PlatformAccess(access or SameChannelOnly(), circle_member=repo.is_circle_member)
        self.index_after_write = index_after_write
        # platform -> delivers "your open question now has an answer" to the asker
        self.notifiers: dict[str, Callable[[OpenQuestion, Lesson], None]] = {}
        self.intro_checkers: dict[str, Callable[[Any], None]] = {}
        self.checkback_askers: dict[str, Callable[[Lesson, int, str], None]] = {}
        self.bundle_senders: dict[str, Callable[[str, list[dict[str, Any]]], None]] = {}
        # platform -> does what is due there (sessions, circle rounds); returns how much it did
        self.scheduled: dict[str, Callable[[], int]] = {}
        # platform -> posts a text in one of its channels, for everyone there (channel, text) -> message id
        self.posters: dict[str, Callable[[str, str], str]] = {}

    # -- capture ---------------------------------------------------------------------------------
    def capture(self, request: CaptureRequest) -> CaptureResult:
        src = request.source
        if (request.channel_rules and not self.repo.channel_settings(src.platform, src.channel_id).capture
                and self.repo.find_by_source(src.platform, src.workspace, src.channel_id, src.message_id) is None):
            from bot.chat_port import command_prefix

            raise InputError("channel.capture_off", p=command_prefix(src.platform))
        parsed = parse_lesson(request.text, self.settings.max_lesson_chars)
        author_profile = self.repo.get_person(request.author.platform, request.author.user_id)
        lang = language_for(request.text, author_profile.locale if author_profile else "",
                            self.settings.default_language)
        notices: list[tuple[str, dict[str, object]]] = []

        name = request.municipality if request.municipality is not None else parsed.municipality
        municipality, code, kind = "", "", OrganisationKind.MUNICIPALITY
        if name:
            found = registry().lookup(name)
            if found:
                municipality, code = found.name, found.code
            else:
                municipality, kind = name.strip(), OrganisationKind.OTHER
                notices.append(("capture.unknown_municipality", {"name": name.strip()}))
        else:
            for person in (request.author, request.captured_by):
                profile = self.repo.get_person(person.platform, person.user_id)
                if profile and profile.municipality:
                    municipality, code = profile.municipality, profile.municipality_code
                    break
            else:
                named = registry().find_in_text(parsed.text)
                if named:
                    municipality, code = named[0].name, named[0].code
                else:
                    notices.append(("capture.no_municipality", {}))

        contact = request.contact
        if contact is None:
            contact = (PersonRef(request.author.platform, "", parsed.contact.lstrip("@"))
                       if parsed.contact else request.author)
        themes = request.themes if request.themes is not None else parsed.themes
        outcome = request.outcome if request.outcome is not None else parsed.outcome
        learned = request.learned if request.learned is not None else parsed.learned
        why = request.why if request.why is not None else parsed.why
        conditions = request.conditions if request.conditions is not None else parsed.conditions
        title = request.title or parsed.title or title_from(parsed.text)

        draft = LessonDraft(text=parsed.text, source=request.source, captured_by=request.captured_by,
                            contact=contact, title=title, municipality=municipality, municipality_code=code,
                            organisation_kind=kind, themes=list(themes), outcome=outcome, learned=learned,
                            occurred_at=request.occurred_at, edited_by_form=request.edited_by_form, why=why,
                            conditions=conditions)
        lesson, created = self.repo.save_lesson(draft)
        if len(parsed.text) > LONG_LESSON:
            notices.append(("capture.long", {"length": len(parsed.text)}))
        self._index()
        answers = request.answers_question if request.answers_question is not None else parsed.answers
        answered = self.answer_open_questions(lesson, explicit=answers)
        return CaptureResult(lesson, created, lang, notices, answered)

    def update_from_source(self, platform: str, workspace: str, channel_id: str, message_id: str,
                           text: str) -> Lesson | None:
        """The source message was edited: update the lesson's story (unless a form edited it since)."""
        lesson = self.repo.find_by_source(platform, workspace, channel_id, message_id)
        if lesson is None or lesson.edited_by_form:
            return None
        parsed = parse_lesson(text, self.settings.max_lesson_chars)
        if parsed.text == lesson.text:
            return lesson  # nothing the lesson tells has changed (a bot's reply in its thread, say)
        draft = _redraft(lesson, text=parsed.text, title=parsed.title or title_from(parsed.text),
                         themes=parsed.themes or lesson.themes,
                         outcome=parsed.outcome if parsed.outcome is not Outcome.UNKNOWN else lesson.outcome,
                         learned=parsed.learned or lesson.learned, why=parsed.why or lesson.why,
                         conditions=parsed.conditions or lesson.conditions, edited_by_form=False)
        updated, _ = self.repo.save_lesson(draft)
        self._index()
        return updated

    def remove_by_source(self, platform: str, workspace: str, channel_id: str, message_id: str) -> bool:
        """The source message was deleted: the lesson goes too."""
        lesson = self.repo.find_by_source(platform, workspace, channel_id, message_id)
        if lesson is None:
            return False
        removed = self.repo.delete_lesson(lesson.id)
        self._erased()
        return removed

    def _erased(self) -> None:
        """Something was erased: the indexes drop it and are saved at once, and the database's files keep
        no copy of it (see Database.scrub)."""
        self._index()
        try:
            if self.index_after_write:
                self.engine.save()
            self.repo.db.scrub()
        except Exception:  # the erasure itself is done; the files are cleaned on the next save or erasure
            log.exception("cleaning up after an erasure failed")

    def _index(self) -> None:
        if not self.index_after_write:
            return
        try:
            self.engine.sync()
        except Exception:  # the lesson is safe in the database; the next sync picks it up
            log.exception("indexing after a write failed; it will be retried on the next sync")

    # -- asking ----------------------------------------------------------------------------------
    def ask(self, question: str, asker: Asker, *, filters: Filters | None = None, k: int | None = None,
            record: bool = True) -> AskResult:
        """Answer a question with one of three labelled kinds (matches, related lessons, none); with only
        filters and no question, list the lessons that pass, newest first."""
        question = question.strip()
        if not question and (filters is None or filters.is_empty()):
            raise InputError("question.empty")
        k = k or self.settings.max_hits
        profile = self.repo.get_person(asker.platform, asker.user_id)
        lang = language_for(question, asker.locale or (profile.locale if profile else ""),
                            self.settings.default_language)
        self._catch_up()
        exclude, private_ids = self._visibility(asker)
        if not question:
            return self._browse(asker, filters or Filters(), k, lang, exclude, private_ids)

        question, filters = self._similar(question, profile, filters)
        prefer = None
        if profile and profile.municipality_code:
            own = registry().by_code(profile.municipality_code)
            prefer = (own.province, own.size_class) if own else None
        result = self.engine.search(question, filters=filters, k=max(k * 4, 20), exclude=exclude, prefer=prefer)
        kind = result.kind
        chosen = result.matches if kind is AnswerKind.MATCH else result.related
        lessons = self.repo.get_lessons([s.lesson_id for s in chosen])
        hits = self._with_feedback([Hit(lessons[s.lesson_id], s.score, s.dense_rank, s.lexical_rank)
                                    for s in chosen if s.lesson_id in lessons])
        hits.sort(key=lambda hit: hit.lesson.outdated)  # outdated lessons after current ones, order kept
        shown = k if kind is AnswerKind.MATCH else min(k, RELATED_SHOWN)
        public = [h for h in hits if h.lesson.id not in private_ids]
        private = [h for h in hits if h.lesson.id in private_ids]
        if kind is AnswerKind.MATCH:
            public, private = _with_contrast(public, shown), _with_contrast(private, shown)
        else:
            public, private = public[:shown], private[:shown]
        matched = [h.lesson.id for h in [*public, *private]] if kind is AnswerKind.MATCH else []
        keep_open = not matched and self.settings.keep_questions_open
        question_id = None
        if record:
            question_id = self.repo.record_question(
                asker.platform, asker.user_id, asker.channel_id, question, lang,
                filters.as_dict() if filters else {}, matched, keep_open=keep_open, asker_name=asker.name,
                visibility=asker.channel_visibility, workspace=asker.workspace)
            if keep_open:  # kept for the check of new lessons (embedded once already, for the search)
                vector = self.engine.questions.get([question])[0]
                self.repo.store_question_vector(question_id, self.engine.embedder.id,
                                                vector.astype(np.float32).tobytes())
        public, private = self._with_timelines(public, private)
        answer = Answer(question=question, lang=lang, hits=public, question_id=question_id,
                        withheld=len(private), kind=kind, kept_open=record and keep_open)
        return AskResult(answer, private)

    def allow(self, platform: str, checker: AccessChecker) -> None:
        """`checker` answers for the places of `platform` (each platform running in this process adds its own)."""
        if not isinstance(self.access, PlatformAccess):
            self.access = PlatformAccess(self.access)
        self.access.register(platform, checker)

    def may_see(self, asker: Asker, lesson: Lesson) -> bool:
        """Whether `asker` may see `lesson` at all: public, asked in its own channel, or a member of it; and
        from their own workspace, or from one that shares its lessons with the network."""
        home = (lesson.source.platform, lesson.source.workspace)
        if home != (asker.platform, asker.workspace) and home in self.repo.unshared_workspaces():
            return False
        return may_see(self.access, asker, lesson)

    def visible_lesson(self, asker: Asker, lesson_id: int) -> Lesson:
        """The lesson, if `asker` may see it; otherwise the same "does not exist" as for a wrong number, so
        that guessing numbers tells nothing about lessons in places one is not part of."""
        lesson = self.repo.get_lesson(lesson_id)
        if lesson is None or not self.may_see(asker, lesson):
            raise NotFoundError(short_id=f"#{lesson_id}")
        return lesson

    def _visibility(self, asker: Asker) -> tuple[Callable[[int, LessonMeta], bool], set[int]]:
        """What `asker` may not see (to exclude), and a set that collects the lessons they may see but the
        channel they ask in may not (to answer privately)."""
        private_ids: set[int] = set()
        unshared = self.repo.unshared_workspaces() - {(asker.platform, asker.workspace)}

        def exclude(lesson_id: int, meta: LessonMeta) -> bool:
            platform, workspace, channel = meta.channel
            if unshared and (platform, workspace) in unshared:
                return True  # its workspace keeps its lessons to itself
            if meta.visibility is Visibility.PUBLIC or (platform, channel) == (asker.platform, asker.channel_id):
                return False  # public, or asked in the very channel the lesson came from
            if not may_see_place(self.access, asker, meta.visibility, platform, workspace, channel):
                return True
            if asker.channel_visibility is not Visibility.DM:
                private_ids.add(lesson_id)  # the asker may see it; this channel may not
            return False

        return VisibilityRule(exclude, public_visible=not unshared), private_ids

    def _browse(self, asker: Asker, filters: Filters, k: int, lang: str,
                exclude: Callable[[int, LessonMeta], bool], private_ids: set[int]) -> AskResult:
        ids = self.engine.browse(filters, k=k, exclude=exclude)
        lessons = self.repo.get_lessons(ids)
        hits = [Hit(lessons[i], 0.0) for i in ids if i in lessons]
        public = [h for h in hits if h.lesson.id not in private_ids]
        private = [h for h in hits if h.lesson.id in private_ids]
        values = filters.as_dict()
        if filters.outcome:
            values["outcome"] = t(f"outcome.{filters.outcome.value}", lang)
        label = " ".join(f"{_FILTER_NAMES[key][lang != 'nl']}={value}" for key, value in values.items())
        public, private = self._with_timelines(public, private)
        answer = Answer(question=label, lang=lang, hits=public, withheld=len(private), kind=AnswerKind.LIST)
        return AskResult(answer, private)

    @staticmethod
    def _similar(question: str, profile: Person | None, filters: Filters | None) -> tuple[str, Filters | None]:
        """'vergelijkbare gemeenten' / 'similar municipalities': only municipalities of the asker's size class."""
        match = _SIMILAR.search(question)
        if not match:
            return question, filters
        own = registry().by_code(profile.municipality_code) if profile and profile.municipality_code else None
        stripped = (question[:match.start()] + question[match.end():]).strip(" ,.?") + "?"
        if own is None:
            return question, filters
        return stripped, replace(filters or Filters(), size_class=own.size_class)

    def _catch_up(self) -> None:
        try:
            self.engine.sync()
        except Exception:
            log.exception("index catch-up failed; answering from the index as it is")

    # -- people ----------------------------------------------------------------------------------
    def person(self, ref: PersonRef) -> Person:
        return self.repo.get_person(ref.platform, ref.user_id) or Person(ref.platform, ref.user_id, ref.name)

    def set_municipality(self, ref: PersonRef, name: str) -> Person:
        found = registry().lookup(name)
        if found is None:
            raise InputError("municipality.unknown_plain", name=name.strip())
        person = replace(self.person(ref), municipality=found.name, municipality_code=found.code,
                         display_name=ref.name or self.person(ref).display_name)
        return self.repo.save_person(person)

    def set_locale(self, ref: PersonRef, locale: str) -> None:
        person = self.person(ref)
        if person.locale != locale:
            self.repo.save_person(replace(person, locale=locale, display_name=ref.name or person.display_name))

    # -- a person's own lessons and data ---------------------------------------------------------
    def my_lessons(self, ref: PersonRef) -> list[Lesson]:
        return self.repo.lessons_of_person(ref.platform, ref.user_id)

    def own_lesson(self, ref: PersonRef, lesson_id: int) -> Lesson:
        """The lesson, if `ref` saved it or is its contact: the people who may edit or delete it."""
        lesson = self.repo.get_lesson(lesson_id)
        if lesson is None:
            raise NotFoundError(short_id=f"#{lesson_id}")
        mine = {(lesson.captured_by.platform, lesson.captured_by.user_id)}
        if lesson.contact:
            mine.add((lesson.contact.platform, lesson.contact.user_id))
        if (ref.platform, ref.user_id) not in mine:
            raise PermissionDenied()
        return lesson

    def delete_lesson(self, ref: PersonRef, lesson_id: int) -> Lesson:
        lesson = self.own_lesson(ref, lesson_id)
        self.repo.delete_lesson(lesson_id)
        self._erased()
        return lesson

    def export_person(self, ref: PersonRef) -> dict[str, object]:
        return self.repo.person_data(ref.platform, ref.user_id)

    def forget(self, ref: PersonRef) -> dict[str, int]:
        profile = self.repo.get_person(ref.platform, ref.user_id)
        names = {name for name in (ref.name, profile.display_name if profile else "") if name}
        quotes = self._remove_quotes(ref, names)
        counts = self.repo.forget_person(ref.platform, ref.user_id)
        counts["quotes_removed"] = quotes
        self._erased()
        return counts

    def _remove_quotes(self, ref: PersonRef, names: set[str]) -> int:
        """Take a person's own words out of other people's thread stories ("Name: …" paragraphs)."""
        removed = 0
        for lesson in list(self.repo.iter_lessons()):
            if (lesson.captured_by.platform, lesson.captured_by.user_id) == (ref.platform, ref.user_id):
                continue  # their own lessons go as a whole
            parts = lesson.text.split("\n\n")
            kept = [part for part in parts if not any(part.startswith(f"{name}: ") for name in names)]
            if len(kept) == len(parts) or not kept:
                continue
            removed += len(parts) - len(kept)
            self.repo.save_lesson(_redraft(lesson, text="\n\n".join(kept)))
        return removed

    def workspace_left(self, platform: str, workspace: str) -> int:
        """The app was uninstalled from a workspace (or its bot token revoked): its private lessons are erased,
        and its public ones too when its admin chose so. Returns how many lessons were erased."""
        keep = self.repo.workspace_settings(platform, workspace).keep_public
        erased = self.repo.erase_workspace(platform, workspace, keep_public=keep)
        log.warning("%s: left workspace %s; %d lessons erased", platform, workspace, len(erased))
        self._erased()
        return len(erased)

    def _set_outcome(self, lesson: Lesson, outcome: Outcome) -> None:
        self.repo.save_lesson(_redraft(lesson, outcome=outcome))
        self._index()

    def claim_event(self, key: str) -> bool:
        """True when this platform event has not been handled before, by this or any other process."""
        return self.repo.claim_event(key)


class VisibilityRule:
    """What an asker may not see, as the search engine asks it: `public_visible` says that no public lesson
    is hidden (no other workspace keeps its lessons in), so the engine asks about the others only."""

    def __init__(self, exclude: Callable[[int, LessonMeta], bool], *, public_visible: bool) -> None:
        self.exclude = exclude
        self.public_visible = public_visible

    def __call__(self, lesson_id: int, meta: LessonMeta) -> bool:
        return self.exclude(lesson_id, meta)


def _redraft(lesson: Lesson, **changes: Any) -> LessonDraft:
    """A stored lesson as a draft to save again, with `changes`."""
    fields = {"text": lesson.text, "source": lesson.source, "captured_by": lesson.captured_by,
              "contact": lesson.contact, "title": lesson.title, "municipality": lesson.municipality,
              "municipality_code": lesson.municipality_code, "organisation_kind": lesson.organisation_kind,
              "themes": lesson.themes, "outcome": lesson.outcome, "learned": lesson.learned,
              "occurred_at": lesson.occurred_at, "edited_by_form": lesson.edited_by_form, "why": lesson.why,
              "conditions": lesson.conditions}
    return LessonDraft(**{**fields, **changes})


def _with_contrast(hits: list[Hit], k: int) -> list[Hit]:
    """The top `k` hits, but when they all share one outcome and another known outcome is among the
    matches, the best of those takes the last place: a failure must not hide behind successes."""
    top = hits[:k]
    if len(hits) <= k or k < 2:
        return top
    shown = {h.lesson.outcome for h in top if h.lesson.outcome is not Outcome.UNKNOWN}
    for hit in hits[k:]:
        outcome = hit.lesson.outcome
        if outcome is not Outcome.UNKNOWN and outcome not in shown and len(shown) <= 1:
            return [*top[:-1], hit]
    return top


