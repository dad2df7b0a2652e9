"""What filters, visibility and the similar-municipality nudge need of every indexed lesson, kept in
memory, and saved beside the index as columns (JSON) so a restart need not read every lesson again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.lang import detect_language
from bot.model import Filters, Lesson, Outcome, Visibility
from bot.municipalities import normalise_name, registry


@dataclass(frozen=True, slots=True)
class LessonMeta:
    """What filters and visibility need, kept in memory for every indexed lesson (in slots, without an
    attribute dict each: with its date and its place in the engine's table about 450 bytes a lesson, 500
    without)."""

    municipality_code: str
    municipality: str
    province: str
    size_class: str
    themes: frozenset[str]
    outcome: Outcome
    created_at: datetime
    visibility: Visibility
    channel: tuple[str, str, str]
    language: str = "nl"  # the language the lesson is written in ("nl" or "en")

    @classmethod
    def of(cls, lesson: Lesson) -> LessonMeta:
        m = registry().by_code(lesson.municipality_code) if lesson.municipality_code else None
        return cls(
            municipality_code=lesson.municipality_code,
            municipality=normalise_name(lesson.municipality),
            province=m.province if m else "",
            size_class=m.size_class if m else "",
            themes=frozenset(lesson.themes),
            outcome=lesson.outcome,
            created_at=lesson.occurred_at or lesson.created_at,
            visibility=lesson.source.visibility,
            channel=(lesson.source.platform, lesson.source.workspace, lesson.source.channel_id),
            language=detect_language(f"{lesson.title}\n{lesson.text}\n{lesson.learned}\n{lesson.why}"),
        )

    def passes(self, filters: Filters, municipality_code: str | None = None) -> bool:
        """Whether this lesson passes the filters. `municipality_code` is the filter's municipality,
        resolved once by the caller (None when it names no known municipality)."""
        if filters.municipality:
            if municipality_code is not None:
                if municipality_code != self.municipality_code:
                    return False
            elif normalise_name(filters.municipality) != self.municipality:
                return False
        if filters.province and normalise_name(filters.province) != normalise_name(self.province):
            return False
        if filters.size_class and filters.size_class != self.size_class:
            return False
        if filters.theme and filters.theme.lower().lstrip("#") not in self.themes:
            return False
        if filters.outcome and filters.outcome != self.outcome:
            return False
        return not (filters.since and self.created_at < filters.since)


SIMILAR_BONUS = 0.15  # per shared trait (province, size class), in fused z units: a nudge, not a filter


def similarity_bonus(meta: LessonMeta, prefer: tuple[str, str]) -> float:
    province, size_class = prefer
    return SIMILAR_BONUS * ((bool(province) and meta.province == province)
                            + (bool(size_class) and meta.size_class == size_class))


def dump_meta(meta: dict[int, LessonMeta]) -> bytes:
    items = list(meta.items())
    columns = {
        "id": [i for i, _ in items],
        "code": [m.municipality_code for _, m in items],
        "municipality": [m.municipality for _, m in items],
        "province": [m.province for _, m in items],
        "size": [m.size_class for _, m in items],
        "themes": [sorted(m.themes) for _, m in items],
        "outcome": [m.outcome.value for _, m in items],
        "created": [m.created_at.isoformat() for _, m in items],
        "visibility": [m.visibility.value for _, m in items],
        "channel": [list(m.channel) for _, m in items],
        "language": [m.language for _, m in items],
    }
    return json.dumps(columns, ensure_ascii=False, separators=(",", ":")).encode()


def load_meta(data: bytes) -> dict[int, LessonMeta]:
    """The saved columns, with every repeated value (place, themes, channel, outcome) shared, not copied."""
    c = json.loads(data)
    outcomes, visibilities = {o.value: o for o in Outcome}, {v.value: v for v in Visibility}
    shared: dict[object, object] = {}

    def one(value: object) -> object:
        return shared.setdefault(value, value)

    return {lesson_id: LessonMeta(one(code), one(municipality), one(province), one(size),  # type: ignore[arg-type]
                                  one(frozenset(themes)), outcomes[outcome],  # type: ignore[arg-type]
                                  datetime.fromisoformat(created), visibilities[visibility],
                                  one((channel[0], channel[1], channel[2])), one(language))  # type: ignore[arg-type]
            for lesson_id, code, municipality, province, size, themes, outcome, created, visibility, channel, language
            in zip(c["id"], c["code"], c["municipality"], c["province"], c["size"], c["themes"], c["outcome"],
                   c["created"], c["visibility"], c["channel"], c["language"], strict=True)}
