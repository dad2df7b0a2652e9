"""BM25 over a sparse matrix that takes additions and removals one lesson at a time.

Scoring is vectorised: the term weights of all lessons live in a sparse matrix (scipy), so a query
costs a few sparse column sums whatever the collection size. Each lesson keeps its term columns and
counts as two small arrays, so (re)building the matrix, saving and loading are array operations, not
a walk over every posting. Lessons added or removed since the build are scored from their own arrays,
and the matrix is rebuilt once enough of them have gathered, so a capture never waits for a rebuild.
"""

from __future__ import annotations

import io
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
        self._docs: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # lesson -> (sorted columns, uint16 counts)
        self._doc_len: dict[int, int] = {}
        self._columns: dict[str, int] = {}  # term -> column; kept across builds
        self._df = np.zeros(1024, dtype=np.int32)  # lessons per column
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

    def _column(self, term: str) -> int:
        column = self._columns.get(term)
        if column is None:
            column = self._columns[term] = len(self._columns)
            if column >= len(self._df):
                self._df = np.concatenate([self._df, np.zeros(len(self._df), dtype=np.int32)])
        return column

    def add(self, doc_id: int, terms: Iterable[str]) -> None:
        """Index a document, replacing an earlier version with the same id."""
        self.remove(doc_id)
        counts = Counter(terms)
        columns = np.fromiter((self._column(t) for t in counts), dtype=np.int32, count=len(counts))
        values = np.fromiter((min(c, 65_535) for c in counts.values()), dtype=np.uint16, count=len(counts))
        order = np.argsort(columns)
        self._docs[doc_id] = (columns[order], values[order])
        self._df[columns] += 1
        length = sum(counts.values())
        self._doc_len[doc_id] = length
        self._total_len += length
        self._stale.add(doc_id)

    def remove(self, doc_id: int) -> None:
        entry = self._docs.pop(doc_id, None)
        if entry is None:
            return
        self._df[entry[0]] -= 1
        self._total_len -= self._doc_len.pop(doc_id)
        self._stale.add(doc_id)

    def _df_of(self, term: str) -> int:
        column = self._columns.get(term)
        return int(self._df[column]) if column is not None else 0

    def idf(self, term: str) -> float:
        df = self._df_of(term)
        return math.log(1.0 + (len(self._doc_len) - df + 0.5) / (df + 0.5))

    def _avg_len(self) -> float:
        return (self._total_len / len(self._doc_len)) if self._doc_len else 1.0

    def _rebuild(self) -> None:
        ids = np.fromiter(self._docs, dtype=np.int64, count=len(self._docs))
        parts = list(self._docs.values())
        sizes = np.fromiter((len(c) for c, _ in parts), dtype=np.int64, count=len(parts))
        cols = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, dtype=np.int32)
        tf = (np.concatenate([t for _, t in parts]) if parts else np.zeros(0, dtype=np.uint16)).astype(np.float32)
        lengths = np.fromiter((self._doc_len[d] for d in self._docs), dtype=np.float32, count=len(ids))
        norm = self.k1 * (1 - self.b + self.b * lengths / self._avg_len())
        values = tf * (self.k1 + 1) / (tf + np.repeat(norm, sizes))
        # Rows arrive grouped by lesson with unique, sorted columns: build CSR directly (no sort, no
        # duplicate summing) and let scipy transpose the layout to columns in one linear pass.
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        self._matrix = sparse.csr_matrix((values.astype(np.float32), cols, indptr),
                                         shape=(len(ids), len(self._columns))).tocsc()
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
        weights = {self._columns[t]: self.idf(t) * qtf for t, qtf in Counter(terms).items() if self._df_of(t)}
        ids = np.zeros(0, dtype=np.int64)
        found = np.zeros(0, dtype=np.float32)
        if not weights:
            return []
        built = [(c, w) for c, w in weights.items() if c < self._matrix.shape[1]]
        if built:
            picked = self._matrix[:, [c for c, _ in built]]
            dense = np.asarray(picked @ np.asarray([w for _, w in built], dtype=np.float32)).ravel()
            stale_rows = [self._row_of[d] for d in self._stale if d in self._row_of]
            if stale_rows:
                dense[stale_rows] = 0.0  # scored below, from their own arrays
            if allowed is not None:
                dense[~np.isin(self._rows, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))] = 0.0
            top = np.argpartition(-dense, min(k, len(dense) - 1))[:k] if len(dense) > k else np.arange(len(dense))
            top = top[dense[top] > 0]
            ids, found = self._rows[top], dense[top]
        if self._stale:  # changed since the build: scored exactly from their own arrays
            query_cols = np.fromiter(weights, dtype=np.int32, count=len(weights))
            query_w = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
            order = np.argsort(query_cols)
            query_cols, query_w = query_cols[order], query_w[order]
            avg_len = self._avg_len()
            extra_ids, extra_scores = [], []
            for doc in self._stale:
                entry = self._docs.get(doc)
                if entry is None or (allowed is not None and doc not in allowed):
                    continue
                cols, tf = entry
                hit = np.isin(cols, query_cols)
                if not hit.any():
                    continue
                tf_hit = tf[hit].astype(np.float64)
                norm = self.k1 * (1 - self.b + self.b * self._doc_len[doc] / avg_len)
                w = query_w[np.searchsorted(query_cols, cols[hit])]
                extra_ids.append(doc)
                extra_scores.append(float((w * tf_hit * (self.k1 + 1) / (tf_hit + norm)).sum()))
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
        known = [(self._columns[t], self.idf(t)) for t in set(terms) if t in self._columns]
        total = sum(self.idf(t) for t in set(terms))
        if total <= 0 or not known:
            return [0.0] * len(doc_ids)
        cols = np.asarray([c for c, _ in known], dtype=np.int32)
        idf = np.asarray([w for _, w in known], dtype=np.float64)
        out = []
        for doc_id in doc_ids:
            entry = self._docs.get(doc_id)
            out.append(float(idf[np.isin(cols, entry[0])].sum()) / total if entry is not None else 0.0)
        return out

    # -- persistence -----------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The index as one .npz blob (vocabulary, and each lesson's columns and counts). Only the terms some
        lesson still holds are written: a deleted or erased lesson's words do not stay in the saved file."""
        ids = np.fromiter(self._docs, dtype=np.int64, count=len(self._docs))
        parts = list(self._docs.values())
        sizes = np.fromiter((len(c) for c, _ in parts), dtype=np.int64, count=len(parts))
        cols = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, np.int32)
        terms = list(self._columns)
        live = np.flatnonzero(self._df[:len(terms)] > 0)
        renumber = np.full(max(len(terms), 1), -1, dtype=np.int32)
        renumber[live] = np.arange(len(live), dtype=np.int32)
        buffer = io.BytesIO()
        np.savez(buffer, ids=ids, sizes=sizes, cols=renumber[cols] if len(cols) else cols,
                 counts=np.concatenate([t for _, t in parts]) if parts else np.zeros(0, np.uint16),
                 lengths=np.fromiter((self._doc_len[d] for d in self._docs), dtype=np.int64, count=len(ids)),
                 terms=np.frombuffer("\n".join(terms[i] for i in live).encode(), dtype=np.uint8),
                 params=np.asarray([self.k1, self.b]))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BM25Index:
        with np.load(io.BytesIO(data)) as saved:
            k1, b = saved["params"].tolist()
            index = cls(k1, b)
            terms = saved["terms"].tobytes().decode()
            index._columns = {t: i for i, t in enumerate(terms.split("\n"))} if terms else {}
            ids, sizes, cols, counts = saved["ids"], saved["sizes"], saved["cols"], saved["counts"]
            lengths = saved["lengths"]
        bounds = np.cumsum(sizes)[:-1]
        index._docs = dict(zip(ids.tolist(), zip(np.split(cols, bounds), np.split(counts, bounds), strict=True),
                               strict=True)) if len(ids) else {}
        index._doc_len = dict(zip(ids.tolist(), lengths.tolist(), strict=True))
        index._total_len = int(lengths.sum())
        index._df = np.bincount(cols, minlength=max(1024, len(index._columns))).astype(np.int32)
        return index
