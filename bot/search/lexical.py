"""BM25 over a sparse matrix that takes additions and removals one lesson at a time.

Scoring is vectorised: the term weights of all lessons live in a sparse matrix (scipy), so a query
costs a few sparse column sums whatever the collection size. Each lesson keeps its term columns and
counts as small arrays, so (re)building the matrix is a few array operations, not a walk over every
posting. Lessons added or removed since the build are scored from their own term counts, and the
matrix is rebuilt once enough of them have gathered, so a capture never waits for a rebuild.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

import numpy as np
from scipy import sparse

REBUILD_AFTER = 2000  # changed lessons before the matrix is rebuilt (their scores are exact meanwhile)


class BM25Index:
    """Okapi BM25. Terms come from `bot.search.text.tokenize`; ids are lesson ids."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._doc_terms: dict[int, Counter[str]] = {}
        self._doc_columns: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # (columns, counts) per lesson
        self._doc_len: dict[int, int] = {}
        self._df: dict[str, int] = {}  # lessons per term
        self._columns: dict[str, int] = {}  # term -> matrix column; kept across builds
        self._total_len = 0
        # the matrix: rows are lessons (`_rows`), columns terms; values are BM25 term weights
        self._matrix: sparse.csc_matrix | None = None
        self._rows: np.ndarray = np.zeros(0, dtype=np.int64)
        self._row_of: dict[int, int] = {}
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
        columns = self._columns
        for term in counts:
            if term not in columns:
                columns[term] = len(columns)
            self._df[term] = self._df.get(term, 0) + 1
        self._doc_columns[doc_id] = (np.fromiter((columns[t] for t in counts), dtype=np.int32, count=len(counts)),
                                     np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        length = sum(counts.values())
        self._doc_len[doc_id] = length
        self._total_len += length
        self._stale.add(doc_id)

    def remove(self, doc_id: int) -> None:
        counts = self._doc_terms.pop(doc_id, None)
        if counts is None:
            return
        del self._doc_columns[doc_id]
        self._total_len -= self._doc_len.pop(doc_id)
        for term in counts:
            left = self._df[term] - 1
            if left:
                self._df[term] = left
            else:
                del self._df[term]
        self._stale.add(doc_id)

    def idf(self, term: str) -> float:
        n = len(self._doc_len)
        df = self._df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _avg_len(self) -> float:
        return (self._total_len / len(self._doc_len)) if self._doc_len else 1.0

    def _weight(self, tf: float, length: int, avg_len: float) -> float:
        return tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / avg_len))

    def _rebuild(self) -> None:
        ids = np.fromiter(self._doc_columns, dtype=np.int64, count=len(self._doc_columns))
        parts = list(self._doc_columns.values())
        sizes = np.fromiter((len(c) for c, _ in parts), dtype=np.int64, count=len(parts))
        rows = np.repeat(np.arange(len(ids)), sizes)
        cols = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, dtype=np.int32)
        tf = np.concatenate([t for _, t in parts]) if parts else np.zeros(0, dtype=np.float32)
        lengths = np.fromiter((self._doc_len[d] for d in self._doc_columns), dtype=np.float32, count=len(ids))
        norm = self.k1 * (1 - self.b + self.b * lengths / self._avg_len())
        values = tf * (self.k1 + 1) / (tf + np.repeat(norm, sizes))
        self._matrix = sparse.csc_matrix((values.astype(np.float32), (rows, cols)),
                                         shape=(len(ids), len(self._columns)))
        self._rows = ids
        self._row_of = {int(doc): i for i, doc in enumerate(ids)}
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
        weights = {term: self.idf(term) * qtf for term, qtf in query.items() if term in self._df}
        ids = np.zeros(0, dtype=np.int64)
        found = np.zeros(0, dtype=np.float32)
        if weights:
            columns = [self._columns[t] for t in weights]
            picked = self._matrix[:, [c for c in columns if c < self._matrix.shape[1]]]
            known = np.asarray([w for t, w in weights.items() if self._columns[t] < self._matrix.shape[1]],
                               dtype=np.float32)
            dense = np.asarray(picked @ known).ravel() if len(known) else np.zeros(len(self._rows), np.float32)
            stale_rows = [self._row_of[d] for d in self._stale if d in self._row_of]
            if stale_rows:
                dense[stale_rows] = 0.0  # scored below, from their own counts
            if allowed is not None:
                dense[~np.isin(self._rows, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))] = 0.0
            top = np.argpartition(-dense, min(k, len(dense) - 1))[:k] if len(dense) > k else np.arange(len(dense))
            top = top[dense[top] > 0]
            ids, found = self._rows[top], dense[top]
        if self._stale and weights:  # changed since the build: scored exactly from their own counts
            avg_len = self._avg_len()
            extra_ids, extra_scores = [], []
            for doc in self._stale:
                counts = self._doc_terms.get(doc)
                if counts is None or (allowed is not None and doc not in allowed):
                    continue
                score = sum(w * self._weight(counts[t], self._doc_len[doc], avg_len)
                            for t, w in weights.items() if t in counts)
                if score > 0:
                    extra_ids.append(doc)
                    extra_scores.append(score)
            if extra_ids:
                ids = np.concatenate([ids, np.asarray(extra_ids, dtype=np.int64)])
                found = np.concatenate([found, np.asarray(extra_scores, dtype=np.float32)])
        order = np.lexsort((ids, -found.astype(np.float64)))[:k]
        return [(int(i), float(s)) for i, s in zip(ids[order], found[order], strict=True)]

    def coverage(self, terms: Iterable[str], doc_id: int) -> float:
        """Share of the query's idf weight that this document contains (0..1)."""
        return self.coverages(terms, [doc_id])[0]

    def coverages(self, terms: Iterable[str], doc_ids: Sequence[int]) -> list[float]:
        """`coverage` for several documents, with the query's idf computed once."""
        idf = {t: self.idf(t) for t in set(terms)}
        total = sum(idf.values())
        if total <= 0:
            return [0.0] * len(doc_ids)
        out = []
        for doc_id in doc_ids:
            doc = self._doc_terms.get(doc_id)
            out.append(sum(w for t, w in idf.items() if t in doc) / total if doc is not None else 0.0)
        return out
