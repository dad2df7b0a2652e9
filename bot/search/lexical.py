"""BM25 over an inverted index that takes additions and removals one lesson at a time.

Scoring is vectorised: the term weights of all lessons live in a sparse matrix (scipy), so a query
costs a few sparse column sums whatever the collection size. Lessons added or removed since the
matrix was built are scored from the postings directly and the matrix is rebuilt once enough of
them have gathered, so a capture never waits for a rebuild.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable

import numpy as np
from scipy import sparse

REBUILD_AFTER = 2000  # changed lessons before the matrix is rebuilt (their scores are exact meanwhile)


class BM25Index:
    """Okapi BM25. Terms come from `bot.search.text.tokenize`; ids are lesson ids."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._postings: dict[str, dict[int, int]] = {}
        self._doc_terms: dict[int, Counter[str]] = {}
        self._doc_len: dict[int, int] = {}
        self._total_len = 0
        # the matrix: rows are lessons (`_rows`), columns terms (`_columns`); values are BM25 term weights
        self._matrix: sparse.csc_matrix | None = None
        self._rows: np.ndarray = np.zeros(0, dtype=np.int64)
        self._row_of: dict[int, int] = {}
        self._columns: dict[str, int] = {}
        self._stale: set[int] = set()  # lessons changed since the matrix was built

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
        self._stale.add(doc_id)

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
        self._stale.add(doc_id)

    def idf(self, term: str) -> float:
        n = len(self._doc_len)
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _avg_len(self) -> float:
        return (self._total_len / len(self._doc_len)) if self._doc_len else 1.0

    def _weight(self, tf: int, length: int, avg_len: float) -> float:
        return tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / avg_len))

    def _rebuild(self) -> None:
        ids = sorted(self._doc_len)
        row_of = {doc: i for i, doc in enumerate(ids)}
        self._columns = {term: j for j, term in enumerate(self._postings)}
        avg_len = self._avg_len()
        rows, cols, values = [], [], []
        for term, posting in self._postings.items():
            j = self._columns[term]
            for doc, tf in posting.items():
                rows.append(row_of[doc])
                cols.append(j)
                values.append(self._weight(tf, self._doc_len[doc], avg_len))
        self._matrix = sparse.csc_matrix((np.asarray(values, dtype=np.float32), (rows, cols)),
                                         shape=(len(ids), len(self._columns)))
        self._rows = np.asarray(ids, dtype=np.int64)
        self._row_of = row_of
        self._stale = set()

    def search(self, terms: Iterable[str], k: int = 50,
               allowed: Collection[int] | None = None) -> list[tuple[int, float]]:
        """The `k` best documents for these query terms, best first; only `allowed` ids when given."""
        if not self._doc_len:
            return []
        if self._matrix is None or len(self._stale) > REBUILD_AFTER:
            self._rebuild()
        assert self._matrix is not None
        query = Counter(terms)
        weights = {term: self.idf(term) * qtf for term, qtf in query.items() if term in self._postings}
        columns = [(self._columns[t], w) for t, w in weights.items() if t in self._columns]
        scores: dict[int, float] = {}
        if columns:
            picked = self._matrix[:, [j for j, _ in columns]]
            dense = np.asarray(picked @ np.asarray([w for _, w in columns], dtype=np.float32)).ravel()
            stale_rows = [self._row_of[d] for d in self._stale if d in self._row_of]
            if stale_rows:
                dense[stale_rows] = 0.0  # scored below, from the postings
            if allowed is not None:
                dense[~np.isin(self._rows, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))] = 0.0
            top = np.argpartition(-dense, min(k, len(dense) - 1))[:k] if len(dense) > k else np.arange(len(dense))
            scores = {int(self._rows[row]): float(dense[row]) for row in top if dense[row] > 0}
        if self._stale:  # changed since the build: scored exactly from the postings
            avg_len = self._avg_len()
            for term, weight in weights.items():
                posting = self._postings[term]
                for doc in self._stale:
                    tf = posting.get(doc)
                    if tf and (allowed is None or doc in allowed):
                        scores[doc] = scores.get(doc, 0.0) + weight * self._weight(tf, self._doc_len[doc], avg_len)
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
