"""Is a ranked lesson an answer? The three-way decision: a match, a related lesson, or neither.

e5 cosines are compressed (an off-topic question can score 0.80 against a lesson, a good match 0.86), so
no single fixed threshold on one signal decides well on every collection. The decision is a logistic
model over a few signals of a lesson, fitted and validated leave-one-corpus-out on the evaluation corpora
and on small bases drawn from them (`benchmarks/match_features.py`, `benchmarks/match_fit.py`; the figures
are in docs/benchmarks.md). A lesson is

- a **match** when its score reaches `match_at`: the answer shows it as a lesson that answers the question;
- **related** when it reaches `related_at` only: "geen directe les, wel verwant", and the question stays open;
- neither below that.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from bot.model import AnswerKind


@dataclass(frozen=True)
class Signals:
    """What the search knows about one lesson for one question."""

    cosine: float            # e5 cosine between question and lesson
    background_z: float      # that cosine in standard deviations above the question's background cosines
    background_gap: float    # that cosine minus the question's mean background cosine
    coverage: float          # share of the question's idf-weighted words the lesson contains
    agree: bool              # dense and word search both rank it in their top 10
    dense_rank: int          # 0 = first; CANDIDATES when not in the dense list
    lexical_rank: int        # the same for the word list
    base_size: int           # lessons the question was searched over (after filters)

    def as_dict(self) -> dict[str, float]:
        return {key: float(value) for key, value in asdict(self).items()}


# Each model input, computed from a lesson's signals. The model uses FEATURES; benchmarks/match_fit.py
# compares other choices of these inputs on the same data.
EXTRACTORS: dict[str, Callable[[Signals], float]] = {
    "cosine": lambda s: s.cosine,
    "background_z": lambda s: s.background_z,
    "background_gap": lambda s: s.background_gap,
    "coverage": lambda s: s.coverage,
    "agree": lambda s: float(s.agree),
    "top_dense": lambda s: float(s.dense_rank == 0),
    "top_lexical": lambda s: float(s.lexical_rank == 0),
    "log_size": lambda s: math.log10(max(s.base_size, 1)),
}
FEATURES = ("background_gap", "coverage", "agree", "top_dense", "top_lexical", "log_size")


def features(s: Signals, names: Sequence[str] = FEATURES) -> list[float]:
    """The model's inputs, in the order of `names`."""
    return [EXTRACTORS[name](s) for name in names]


@dataclass(frozen=True)
class MatchDecision:
    """A linear score over `features(signals)` and two thresholds on it (see the module's docstring).

    The defaults are the fit on all development data; benchmarks/match_fit.py prints them."""

    weights: tuple[float, ...] = (30.0, 4.0, 1.0, 0.5, 0.5, 0.0)
    bias: float = -4.0
    match_at: float = 0.0
    related_at: float = -2.0

    def score(self, signals: Signals) -> float:
        return self.bias + sum(w * x for w, x in zip(self.weights, features(signals), strict=True))

    def kind(self, score: float) -> AnswerKind:
        """MATCH, RELATED or NONE for a lesson with this score."""
        if score >= self.match_at:
            return AnswerKind.MATCH
        return AnswerKind.RELATED if score >= self.related_at else AnswerKind.NONE
