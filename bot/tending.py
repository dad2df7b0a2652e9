"""What a network's coordinator does to the lesson base, whatever the page they do it from: browse with
filters, open a lesson, edit, merge, mark outdated, archive, delete, hand a departed contact's lessons to a
successor, see the questions nobody could answer and ask the network. Every change is recorded.

Private lessons reach only the coordinators of their own workspace; network-wide views (gaps, charts,
exports) hold public lessons and questions only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.errors import InputError, NotFoundError
from bot.gaps import GapTopic, group_questions
from bot.model import Lesson, Outcome, PersonRef, Visibility
from bot.municipalities import registry
from bot.storage.tending import STATUSES, AuditEntry, Criteria

if TYPE_CHECKING:
    from bot.service import LeerkringService

EDITABLE = ("title", "text", "learned", "why", "conditions", "municipality", "themes", "outcome", "contact")


@dataclass(frozen=True)
class Coordinator:
    """Who tends the base: shown in the audit log as `name`; `workspaces` are the (platform, workspace)
    pairs whose private lessons they may see."""

    name: str
    workspaces: frozenset[tuple[str, str]] = frozenset()

    def may_see(self, lesson: Lesson, unshared: frozenset[tuple[str, str]] = frozenset()) -> bool:
        """Every lesson of their own workspaces; public lessons of workspaces that are not `unshared`."""
        home = (lesson.source.platform, lesson.source.workspace)
        return home in self.workspaces or (lesson.source.visibility is Visibility.PUBLIC and home not in unshared)


def parse_workspaces(text: str) -> frozenset[tuple[str, str]]:
    """"slack:T0123 mattermost:team1" (spaces or commas) as (platform, workspace) pairs."""
    pairs = set()
    for item in text.replace(",", " ").split():
        platform, _, workspace = item.partition(":")
        if platform:
            pairs.add((platform.strip().lower(), workspace.strip()))
    return frozenset(pairs)


@dataclass
class BrowseQuery:
    """The filters on the page, as typed."""

    municipality: str = ""
    province: str = ""
    size_class: str = ""
    theme: str = ""
    outcome: str = ""
    since: str = ""
    until: str = ""
    platform: str = ""
    channel: str = ""
    status: str = ""
    text: str = ""

    def criteria(self) -> Criteria:
        codes: set[str] | None = None
        organisation = ""
        if self.municipality:
            found = registry().lookup(self.municipality)
            if found:
                codes = {found.code}
            else:
                organisation = self.municipality.strip()
        for wanted, attribute in ((self.province, "province"), (self.size_class, "size_class")):
            if wanted:
                chosen = {m.code for m in registry().all if getattr(m, attribute).lower() == wanted.lower()}
                codes = chosen if codes is None else codes & chosen
        if self.outcome and self.outcome not in {o.value for o in Outcome}:
            raise InputError("web.bad_filter", name="outcome", value=self.outcome)
        if self.status and self.status not in (*STATUSES, "merged"):
            raise InputError("web.bad_filter", name="status", value=self.status)
        return Criteria(municipality_codes=frozenset(codes) if codes is not None else None,
                        municipality=organisation, theme=self.theme.strip(), outcome=self.outcome,
                        since=_date(self.since, "since"), until=_date(self.until, "until", end=True),
                        platform=self.platform, channel=self.channel.strip(), status=self.status,
                        text=self.text.strip())


def _date(text: str, name: str, *, end: bool = False) -> datetime | None:
    from datetime import UTC, timedelta

    if not text.strip():
        return None
    try:
        day = datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
    except ValueError:
        raise InputError("web.bad_filter", name=name, value=text) from None
    return day + timedelta(days=1) if end else day


@dataclass
class LessonView:
    """A lesson as its page shows it."""

    lesson: Lesson
    shown: int
    helpful: int
    unhelpful: int
    reasons: Counter[str]
    audit: list[AuditEntry]
    merged: list[Lesson] = field(default_factory=list)
    similar: list[tuple[Lesson, float]] = field(default_factory=list)  # closest lessons: candidates to merge


class Tending:
    """A coordinator's actions on the one lesson base; the service keeps the indexes in step."""

    def __init__(self, service: LeerkringService) -> None:
        self.service = service
        self.repo = service.repo

    # -- reading -----------------------------------------------------------------------------------
    def browse(self, who: Coordinator, query: BrowseQuery, *, page: int = 1,
               per_page: int = 25) -> tuple[list[Lesson], int]:
        return self.repo.browse_lessons(query.criteria(), who.workspaces, offset=(max(page, 1) - 1) * per_page,
                                        limit=per_page)

    def lesson(self, who: Coordinator, lesson_id: int) -> Lesson:
        """The lesson, if `who` may see it; a lesson they may not see does not exist for them."""
        lesson = self.repo.get_lesson(lesson_id)
        if lesson is None or not who.may_see(lesson, self.repo.unshared_workspaces()):
            raise NotFoundError(short_id=f"#{lesson_id}")
        return lesson

    def view(self, who: Coordinator, lesson_id: int) -> LessonView:
        lesson = self.lesson(who, lesson_id)
        helpful, unhelpful = self.repo.feedback_balance([lesson.id]).get(lesson.id, (0, 0))
        reasons = Counter({reason: n for reason, n in self.repo.feedback_reasons(lesson.id).items() if reason})
        unshared = self.repo.unshared_workspaces()
        merged = [m for m in self.repo.merged_into_lesson(lesson.id) if who.may_see(m, unshared)]
        near = self.service.engine.neighbours(lesson.id, 6)
        found = self.repo.get_lessons([doc for doc, _ in near])
        similar = [(found[doc], score) for doc, score in near if doc in found and who.may_see(found[doc], unshared)][:3]
        return LessonView(lesson, self.repo.times_shown()[lesson.id], helpful, unhelpful, reasons,
                          self.repo.audit_of(lesson.id), merged, similar)

    def gaps(self) -> list[GapTopic]:
        """The open questions from public channels, grouped by topic; the themes are the public lessons'."""
        themes = Counter(theme for lesson in self.repo.iter_lessons()
                         if lesson.source.visibility is Visibility.PUBLIC for theme in lesson.themes)
        return group_questions(self.repo.unanswered_public(), themes)

    def public_lessons(self, query: BrowseQuery | None = None) -> list[Lesson]:
        """Every public lesson that passes `query` (for exports and charts: network-wide views)."""
        lessons: list[Lesson] = []
        page = 0
        while True:
            batch, _ = self.repo.browse_lessons((query or BrowseQuery()).criteria(), frozenset(),
                                                offset=page * 500, limit=500)
            lessons.extend(batch)
            if len(batch) < 500:
                return lessons
            page += 1

    # -- changing ----------------------------------------------------------------------------------
    def edit(self, who: Coordinator, lesson_id: int, values: dict[str, str]) -> list[str]:
        """Change a lesson's fields; returns the names of the fields that changed."""
        from bot.service import _redraft

        lesson = self.lesson(who, lesson_id)
        changes: dict[str, object] = {}
        for name, raw in values.items():
            if name not in EDITABLE:
                continue
            value = raw.strip()
            if name == "themes":
                themes = sorted({word.lower().lstrip("#") for word in value.replace(",", " ").split()})
                if themes != sorted(lesson.themes):
                    changes["themes"] = themes
            elif name == "outcome":
                if value not in {o.value for o in Outcome}:
                    raise InputError("web.bad_filter", name="outcome", value=value)
                if value != lesson.outcome.value:
                    changes["outcome"] = Outcome(value)
            elif name == "municipality":
                if value != lesson.municipality:
                    found = registry().lookup(value) if value else None
                    changes["municipality"] = found.name if found else value
                    changes["municipality_code"] = found.code if found else ""
            elif name == "contact":
                current = lesson.contact.name if lesson.contact else ""
                if value != current:
                    platform = lesson.contact.platform if lesson.contact else lesson.source.platform
                    changes["contact"] = PersonRef(platform, "", value) if value else None
            elif name == "text" and not value:
                raise InputError("web.empty_text")
            elif value != getattr(lesson, name):
                changes[name] = value
        if not changes:
            return []
        self.repo.save_lesson(_redraft(lesson, edited_by_form=True, **changes))
        fields = sorted(name for name in changes if name != "municipality_code")
        self.repo.record_audit(lesson.id, who.name, "edit", fields=fields)
        self.service._index()
        return fields

    def set_status(self, who: Coordinator, lesson_id: int, status: str) -> bool:
        lesson = self.lesson(who, lesson_id)
        if status not in STATUSES:
            raise InputError("web.bad_filter", name="status", value=status)
        if not self.repo.set_status(lesson.id, status):
            return False
        self.repo.record_audit(lesson.id, who.name, "status", status=status)
        self.service._index()
        return True

    def merge(self, who: Coordinator, keep_id: int, merged_id: int) -> None:
        """`merged_id` tells the same story as `keep_id`: search shows `keep_id` only, with both sources."""
        keep, merged = self.lesson(who, keep_id), self.lesson(who, merged_id)
        if keep.id == merged.id:
            raise InputError("web.merge_same")
        same_place = ((keep.source.platform, keep.source.workspace, keep.source.channel_id)
                      == (merged.source.platform, merged.source.workspace, merged.source.channel_id))
        both_public = Visibility.PUBLIC is keep.source.visibility is merged.source.visibility
        if not (both_public or same_place):
            raise InputError("web.merge_private")  # a private source would show with a lesson others see
        if not self.repo.merge_lessons(keep.id, merged.id):
            raise InputError("web.merge_done")
        self.repo.record_audit(keep.id, who.name, "merge", merged=merged.id)
        self.repo.record_audit(merged.id, who.name, "merged_into", into=keep.id)
        self.service._index()

    def delete(self, who: Coordinator, lesson_id: int) -> None:
        lesson = self.lesson(who, lesson_id)
        self.repo.delete_lesson(lesson.id)
        self.repo.record_audit(lesson.id, who.name, "delete")
        self.service._erased()

    def hand_over(self, who: Coordinator, platform: str, from_user: str, to_user: str, to_name: str) -> list[int]:
        """Every lesson `who` may see whose contact is `from_user` gets `to_user` as its contact."""
        if not to_name.strip():
            raise InputError("web.handover_name")
        unshared = self.repo.unshared_workspaces()
        ids = [lesson.id for lesson in self.repo.lessons_of_person(platform, from_user)
               if lesson.contact and lesson.contact.user_id == from_user and who.may_see(lesson, unshared)]
        moved = self.repo.hand_over(ids, platform, to_user.strip(), to_name.strip())
        for lesson_id in moved:
            self.repo.record_audit(lesson_id, who.name, "handover")  # the lesson shows the new contact
        self.service._index()
        return moved

    def ask_network(self, who: Coordinator, platform: str, channel: str, text: str, *, times: int = 1,
                    lang: str = "nl") -> str:
        """Post an open question in a public channel lessons came from, asking who knows; the message's id."""
        from bot.chat_port import command_prefix
        from bot.messages import t

        post = self.service.posters.get(platform)
        if post is None:
            raise InputError("web.platform_not_running", platform=platform)
        public = {(p, c) for p, _, c, _ in self.repo.places()}
        if (platform, channel) not in public:
            raise InputError("web.unknown_channel", channel=channel)
        if not text.strip():
            raise InputError("web.empty_text")
        return post(channel, t("web.network_post", lang, question=text.strip(), times=times,
                                p=command_prefix(platform)))
