"""Is a ranked lesson an answer? The three-way decision: a match, a related lesson, or neither.

e5 cosines are compressed (an off-topic question can score 0.80 against a lesson, a good match 0.86), so
a threshold has to be measured, not guessed. The decision is a logistic model over signals of a lesson,
fitted and validated leave-one-corpus-out on three evaluation corpora and on small bases drawn from them
(`benchmarks/match_features.py`, `benchmarks/match_fit.py`; the figures are in docs/benchmarks.md). Of the
signals tried, the e5 cosine and the size of the base transfer between corpora; word coverage, retriever
agreement and top ranks fit one corpus better but made a held-out corpus answer "nog geen les" to up to
six in ten answerable questions, so they rank lessons but do not decide. A lesson is

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
FEATURES = ("cosine", "log_size")


def features(s: Signals, names: Sequence[str] = FEATURES) -> list[float]:
    """The model's inputs, in the order of `names`."""
    return [EXTRACTORS[name](s) for name in names]


@dataclass(frozen=True)
class MatchDecision:
    """A linear score over `features(signals, inputs)` and two thresholds on it (see the module's docstring).

    The defaults are the fit for the bundled e5 model on all development data (benchmarks/match_fit.py
    prints it)."""

    weights: tuple[float, ...] = (94.24, -0.9201)
    bias: float = -79.04
    match_at: float = 0.6051
    related_at: float = -3.164
    inputs: tuple[str, ...] = FEATURES

    def score(self, signals: Signals) -> float:
        return self.bias + sum(w * x for w, x in zip(self.weights, features(signals, self.inputs), strict=True))

    def kind(self, score: float) -> AnswerKind:
        """MATCH, RELATED or NONE for a lesson with this score."""
        if score >= self.match_at:
            return AnswerKind.MATCH
        return AnswerKind.RELATED if score >= self.related_at else AnswerKind.NONE


# Another embedding model has cosines on another scale, so the e5 fit does not apply to it. Its lessons
# are judged by how far their cosine stands above the question's background instead (in standard
# deviations), which does not depend on that scale; fitted the same way, on the e5 signals.
RELATIVE = MatchDecision(weights=(2.172, -1.24), bias=-3.096, match_at=2.394, related_at=-1.759,
                         inputs=("background_z", "log_size"))


def decision_for(embedder_id: str) -> MatchDecision:
    """The fitted decision for the bundled e5 model; the scale-free one for any other embedder."""
    return MatchDecision() if "multilingual-e5-small" in embedder_id else RELATIVE
