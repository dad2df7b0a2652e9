"""Platform-neutral domain types: lessons, people, requests and replies.

Nothing here knows about Slack, Mattermost or the database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class Outcome(enum.StrEnum):
    WORKED = "worked"
    FAILED = "failed"
    MIXED = "mixed"
    UNKNOWN = "unknown"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    DM = "dm"


class AnswerKind(enum.StrEnum):
    """What an answer is, always labelled to the user."""

    MATCH = "match"      # lessons that answer the question
    RELATED = "related"  # "geen directe les, wel verwant": close lessons; the question stays open
    NONE = "none"        # "nog geen les"
    LIST = "list"        # no question, only filters: the lessons that pass, newest first


class OrganisationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    PROVINCE = "province"
    WATER_BOARD = "water_board"
    MINISTRY = "ministry"
    OTHER = "other"


@dataclass(frozen=True)
class PersonRef:
    """Somebody on a platform: the author, the contact or the person who captured a lesson."""

    platform: str
    user_id: str
    name: str = ""


@dataclass(frozen=True)
class Source:
    """Where a lesson came from. (platform, workspace, channel_id, message_id) identifies it."""

    platform: str
    workspace: str = ""
    channel_id: str = ""
    channel_name: str = ""
    visibility: Visibility = Visibility.PUBLIC
    message_id: str = ""
    thread_id: str = ""
    permalink: str = ""


@dataclass
class LessonDraft:
    """What capture produces before the lesson is stored."""

    text: str
    source: Source
    captured_by: PersonRef
    contact: PersonRef | None = None
    title: str = ""
    municipality: str = ""
    municipality_code: str = ""
    organisation_kind: OrganisationKind = OrganisationKind.MUNICIPALITY
    themes: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.UNKNOWN
    learned: str = ""
    occurred_at: datetime | None = None
    edited_by_form: bool = False
    why: str = ""
    conditions: str = ""


@dataclass
class Lesson:
    """A stored lesson, as the core sees it."""

    id: int
    text: str
    title: str
    municipality: str
    municipality_code: str
    organisation_kind: OrganisationKind
    themes: list[str]
    outcome: Outcome
    learned: str
    contact: PersonRef | None
    captured_by: PersonRef
    source: Source
    created_at: datetime
    updated_at: datetime
    occurred_at: datetime | None
    revision: int
    deleted: bool = False
    edited_by_form: bool = False
    contact_active: bool = True
    why: str = ""  # why it worked, or did not
    conditions: str = ""  # under which conditions (size, mandate, budget, timing ...)
    # check-back answers: (when, outcome, what the contact told)
    timeline: list[tuple[datetime, str, str]] = field(default_factory=list)
    session: tuple[str, datetime] | None = None  # (title, when) of the session whose discussion it came from
    status: str = "current"  # set by a coordinator: current, outdated (labelled, ranked lower) or archived
    merged_into: int | None = None  # merged into that lesson: not findable itself
    also_sources: list[Source] = field(default_factory=list)  # sources of the lessons merged into this one

    @property
    def findable(self) -> bool:
        """Whether search and listings offer it: not deleted, archived or merged into another lesson."""
        return not self.deleted and self.status != "archived" and self.merged_into is None

    @property
    def outdated(self) -> bool:
        return self.status == "outdated"

    @property
    def short_id(self) -> str:
        return f"#{self.id}"

    def search_text(self) -> str:
        """The text that is embedded and indexed: everything a question may refer to."""
        return lesson_search_text(self.title, self.text, self.learned, self.municipality, self.themes,
                                  self.why, self.conditions)


def lesson_search_text(title: str, text: str, learned: str, municipality: str, themes: list[str],
                       why: str = "", conditions: str = "") -> str:
    if title and text.startswith(title.rstrip("…")):
        title = ""  # a title taken from the first sentence would count that sentence twice
    # empty parts add nothing, so a lesson without a why or conditions keeps the text (and vector) it had
    parts = [title, text, learned, why, conditions, municipality, " ".join(themes)]
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class OpenQuestion:
    id: int
    platform: str
    user_id: str
    asker_name: str
    channel_id: str
    text: str
    lang: str
    asked_at: datetime
    filters: dict[str, str] = field(default_factory=dict)  # as asked (Filters.as_dict), honoured by follow-up
    visibility: Visibility = Visibility.PUBLIC  # of the channel it was asked in
    workspace: str = ""  # of the channel it was asked in

    def visible_to(self, asker: Asker) -> bool:
        """Others see a question only when it was asked in public, or when they are in its very channel."""
        return (self.visibility is Visibility.PUBLIC or (self.platform, self.user_id) == (asker.platform, asker.user_id)
                or (self.platform, self.channel_id) == (asker.platform, asker.channel_id))


@dataclass(frozen=True)
class Filters:
    municipality: str = ""
    province: str = ""
    size_class: str = ""
    theme: str = ""
    outcome: Outcome | None = None
    since: datetime | None = None

    def is_empty(self) -> bool:
        return not (self.municipality or self.province or self.size_class or self.theme
                    or self.outcome or self.since)

    def as_dict(self) -> dict[str, str]:
        """The filters that are set, as text (stored with a question)."""
        return {key: value.date().isoformat() if isinstance(value, datetime) else str(value)
                for key, value in vars(self).items() if value}

    @classmethod
    def from_dict(cls, values: dict[str, str]) -> Filters:
        """The inverse of `as_dict`; unknown keys are ignored."""
        known: dict[str, object] = {key: value for key, value in values.items()
                                    if key in cls.__dataclass_fields__ and value}
        if "outcome" in known:
            known["outcome"] = Outcome(values["outcome"])
        if "since" in known:
            since = datetime.fromisoformat(values["since"])
            known["since"] = since if since.tzinfo else since.replace(tzinfo=UTC)
        return cls(**known)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Asker:
    """Who asks, and where: used for language, visibility and follow-up."""

    platform: str
    user_id: str
    name: str = ""
    channel_id: str = ""
    channel_visibility: Visibility = Visibility.PUBLIC
    locale: str = ""
    workspace: str = ""


@dataclass
class Hit:
    lesson: Lesson
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Answer:
    """The result of a question, ready for any adapter to format. `hits` are the lessons to show: the
    matches, or for a RELATED answer the (at most three) related lessons, or a LIST's lessons."""

    question: str
    lang: str
    hits: list[Hit]
    question_id: int | None = None
    withheld: int = 0  # relevant lessons the asker may see but this channel may not
    kind: AnswerKind = AnswerKind.MATCH
    kept_open: bool = False  # the question was kept open for a later answer

    def shown_kind(self, hits: list[Hit] | None = None) -> AnswerKind:
        """The kind as shown with `hits` (default: this answer's): matches or related lessons that are all
        held back from this channel leave it showing "none yet"."""
        shown = self.hits if hits is None else hits
        return self.kind if shown or self.kind is AnswerKind.LIST else AnswerKind.NONE

    @property
    def found(self) -> bool:
        """A lesson answers the question (related lessons do not)."""
        return bool(self.hits) and self.kind in (AnswerKind.MATCH, AnswerKind.LIST)
