"""Score fusion and the "no good match" rule: pure functions, set by measurement (see README).

Dense (e5) cosine scores are compressed: an off-topic question can score 0.80 against a lesson
while a good match scores 0.86. So neither a fixed cosine threshold nor raw score addition works.
Both lists are turned into z-scores over their own candidates before they are weighed, and a
match is judged on how far a lesson stands out from the background of the whole collection,
together with how much of the question's vocabulary it contains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionWeights:
    """Weights per retriever, set on the Kamervragen dev split (see README, "Search quality")."""

    dense: float = 0.5
    lexical: float = 0.3
    ngram: float = 0.2


def _zscores(scores: list[float]) -> tuple[np.ndarray, float]:
    s = np.asarray(scores, dtype=np.float64)
    mean, std = float(s.mean()), float(s.std())
    if std < 1e-9:
        std = 1.0
    z = (s - mean) / std
    return z, float(z.min())


def fuse(*lists: tuple[list[tuple[int, float]], float]) -> list[tuple[int, float]]:
    """Weighted sum of per-list z-scores over the union of candidates, best first.

    Each argument is (results best first, weight). A candidate missing from a list gets that list's
    floor (its lowest z), so a lesson found by only one retriever is neither lost nor favoured.
    """
    present = [(results, weight) for results, weight in lists if results]
    if not present:
        return []
    ids = np.concatenate([np.fromiter((doc for doc, _ in results), dtype=np.int64, count=len(results))
                          for results, _ in present])
    union, where = np.unique(ids, return_inverse=True)
    fused = np.zeros(len(union), dtype=np.float64)
    offset = 0
    for results, weight in present:
        z, floor = _zscores([score for _, score in results])
        if weight:
            np.add.at(fused, where[offset:offset + len(results)], weight * (z - floor))
        offset += len(results)
    order = np.lexsort((union, -fused))
    return list(zip(union[order].tolist(), fused[order].tolist(), strict=True))


@dataclass(frozen=True)
class MatchRule:
    """Is a ranked lesson a real match? A linear rule over three signals, fitted by logistic regression.

    - `background_z`: the lesson's cosine with the question, in standard deviations above the
      question's mean cosine with a background sample (generic texts plus stored lessons);
    - `coverage`: the share of the question's idf-weighted terms that the lesson contains;
    - `agree`: 1 when both the dense and the word retriever put the lesson in their top 10.

    A lesson matches when `w_z*z + w_coverage*coverage + w_agree*agree >= threshold`.
    """

    w_z: float = 2.79
    w_coverage: float = 4.40
    w_agree: float = 1.28
    threshold: float = 10.0

    def score(self, background_z: float, coverage: float, agree: bool) -> float:
        return self.w_z * background_z + self.w_coverage * coverage + self.w_agree * float(agree)

    def is_match(self, background_z: float, coverage: float, agree: bool) -> bool:
        return self.score(background_z, coverage, agree) >= self.threshold
