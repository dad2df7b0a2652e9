"""Score fusion: a pure function, weighted by measurement (see README, "How search works").

Dense (e5) cosine scores are compressed and BM25 scores unbounded, so raw scores cannot be added:
each list is turned into z-scores over its own candidates before the lists are weighed. Whether a
ranked lesson answers the question at all is decided elsewhere (bot.search.decision).
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
