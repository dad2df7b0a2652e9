"""The questions nobody could answer, grouped as a coordinator reads them: by topic (a theme of the lesson
base that the question names), and within a topic near-identical questions counted together."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.search.text import tokenize
from bot.stats import question_themes
from bot.storage.tending import AskedQuestion

NEAR = 0.6  # Jaccard overlap of the questions' stemmed words from which two questions count as one
# words that ask rather than say what about: two questions differing only in these are the same question
_ASKING = frozenset(tokenize("gemeente gemeenten geprobeerd ervaring ervaringen iemand weet tried municipality "
                             "municipalities experience anyone know"))


@dataclass
class GapGroup:
    """Near-identical questions: how often, from which municipalities, when."""

    question: str  # the latest wording
    wordings: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    municipalities: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    lang: str = "nl"
    words: frozenset[str] = frozenset()

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass
class GapTopic:
    topic: str  # a theme, or "" for questions that name none
    groups: list[GapGroup]

    @property
    def count(self) -> int:
        return sum(group.count for group in self.groups)


def _words(text: str) -> frozenset[str]:
    return frozenset(tokenize(text)) - _ASKING


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= NEAR


def group_questions(questions: list[AskedQuestion], themes: Counter[str]) -> list[GapTopic]:
    """Group unanswered questions by topic, then near-identical ones together; the most asked first."""
    topics: dict[str, list[GapGroup]] = {}
    known = set(themes)
    for question in sorted(questions, key=lambda q: (q.asked_at, q.id)):
        named = question_themes(question.text, [], known)
        topic = min(named, key=lambda theme: (-themes[theme], theme)) if named else ""
        words = _words(question.text)
        groups = topics.setdefault(topic, [])
        group = next((g for g in groups if _near(g.words, words)), None)
        if group is None:
            group = GapGroup(question.text, words=words, first=question.asked_at, lang=question.lang)
            groups.append(group)
        group.question, group.last, group.lang = question.text, question.asked_at, question.lang
        if question.text not in group.wordings:
            group.wordings.append(question.text)
        group.ids.append(question.id)
        group.municipalities[question.municipality or "-"] += 1
    ordered = [GapTopic(topic, sorted(groups, key=lambda g: (-g.count, g.question.casefold())))
               for topic, groups in topics.items()]
    return sorted(ordered, key=lambda topic: (-topic.count, topic.topic == "", topic.topic))


def gaps_data(topics: list[GapTopic]) -> list[dict[str, object]]:
    """The groups as plain data (for `leerkring stats --json` and its table)."""
    return [{"topic": topic.topic, "count": topic.count,
             "questions": [{"question": g.question, "count": g.count, "wordings": g.wordings,
                            "municipalities": {k: v for k, v in g.municipalities.most_common() if k != "-"}}
                           for g in topic.groups]} for topic in topics]
