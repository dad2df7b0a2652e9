"""BM25 over an inverted index that takes additions and removals one lesson at a time."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable


class BM25Index:
    """Okapi BM25. Terms come from `bot.search.text.tokenize`; ids are lesson ids."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[int, int]] = {}
        self._doc_terms: dict[int, Counter[str]] = {}
        self._doc_len: dict[int, int] = {}
        self._total_len = 0

    def __len__(self) -> int:
        return len(self._doc_len)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._doc_len

    def add(self, doc_id: int, terms: Iterable[str]) -> None:
        """Index a document, replacing an earlier version with the same id."""
        self.remove(doc_id)
        counts = Counter(terms)
        self._doc_terms[doc_id] = counts
        length = sum(counts.values())
        self._doc_len[doc_id] = length
        self._total_len += length
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[doc_id] = tf

    def remove(self, doc_id: int) -> None:
        counts = self._doc_terms.pop(doc_id, None)
        if counts is None:
            return
        self._total_len -= self._doc_len.pop(doc_id)
        for term in counts:
            posting = self._postings.get(term)
            if posting is not None:
                posting.pop(doc_id, None)
                if not posting:
                    del self._postings[term]

    def idf(self, term: str) -> float:
        n = len(self._doc_len)
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def search(self, terms: Iterable[str], k: int = 50,
               allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
        """The `k` best documents for these query terms, best first; only `allowed` ids when given."""
        if not self._doc_len:
            return []
        avg_len = self._total_len / len(self._doc_len) or 1.0
        scores: dict[int, float] = {}
        for term, qtf in Counter(terms).items():
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = self.idf(term) * qtf
            for doc_id, tf in posting.items():
                if allowed is not None and doc_id not in allowed:
                    continue
                norm = tf + self.k1 * (1 - self.b + self.b * self._doc_len[doc_id] / avg_len)
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * tf * (self.k1 + 1) / norm
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return best[:k]

    def coverage(self, terms: Iterable[str], doc_id: int) -> float:
        """Share of the query's idf weight that this document contains (0..1)."""
        unique = set(terms)
        total = sum(self.idf(t) for t in unique)
        if total <= 0 or doc_id not in self._doc_terms:
            return 0.0
        doc = self._doc_terms[doc_id]
        return sum(self.idf(t) for t in unique if t in doc) / total
