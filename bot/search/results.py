"""What a search returns: each ranked lesson with its signals and kind, and the kind of the whole answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.model import AnswerKind
from bot.search.decision import Signals

MATCH_WITHIN = 3  # an answer is a match only when one of its first lessons matches


@dataclass
class Scored:
    lesson_id: int
    score: float               # the fused ranking score
    kind: AnswerKind           # match, related or neither (bot.search.decision)
    decision_score: float      # what the decision's thresholds are applied to
    signals: Signals
    dense_rank: int | None = None
    lexical_rank: int | None = None

    @property
    def match(self) -> bool:
        return self.kind is AnswerKind.MATCH


@dataclass
class SearchResult:
    ranked: list[Scored] = field(default_factory=list)

    @property
    def kind(self) -> AnswerKind:
        """The answer's kind: matches when one of the best MATCH_WITHIN ranked lessons matches, else related
        when any lesson is close, else none. A match further down alone does not make the answer: it would
        put one lesson before the better-ranked ones it hides."""
        if any(s.kind is AnswerKind.MATCH for s in self.ranked[:MATCH_WITHIN]):
            return AnswerKind.MATCH
        return AnswerKind.RELATED if any(s.kind is not AnswerKind.NONE for s in self.ranked) else AnswerKind.NONE

    @property
    def matches(self) -> list[Scored]:
        """The lessons an answer of kind MATCH shows (none for another kind), best first."""
        return [s for s in self.ranked if s.kind is AnswerKind.MATCH] if self.kind is AnswerKind.MATCH else []

    @property
    def related(self) -> list[Scored]:
        """The lessons an answer of kind RELATED shows: every close lesson, best first."""
        return [s for s in self.ranked if s.kind is not AnswerKind.NONE]
