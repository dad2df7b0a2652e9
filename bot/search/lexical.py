"""BM25 over sparse term counts that take additions and removals one lesson at a time.

The BM25 term weights of all lessons live in one column-major sparse matrix (rows are lessons sorted by id,
columns are terms, values the saturated term frequency in 16-bit steps, or 8-bit ones for an index whose
fine grain matters less, the character 4-grams): a query is one sparse product over the few columns of its
terms, whatever the collection size. Nothing else is kept per lesson but its id, length, length norm and
whether it is still current, so memory is about six (or five) bytes per (lesson, term) pair;
a term's count is recovered from its weight and the lesson's norm when the matrix is rebuilt. Lessons
added since the build sit in a small matrix of their own and are scored the same way; a removed lesson is
masked at once and leaves the matrix at the next build, which happens once enough lessons have changed, so a
capture never waits for it.
Saving writes the matrix as it is; loading takes it as it lies in the file (memory-mapped by the snapshot),
so a restarted process reads only the columns its questions ask for.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse

REBUILD_AFTER = 2000  # lessons added since the build before the matrix is rebuilt (scored exactly meanwhile)
MAX_COUNT = 64  # a term's count in one lesson is capped here (BM25 has saturated: 64 and 200 differ by 1%)
LEVELS = 65_535  # a weight is kept as uint16 steps of (k1 + 1) / LEVELS: 1/65,535 of the largest weight
COARSE = 255  # or as uint8 steps: 1/255 of the largest weight, for the 4-gram list (a fifth less memory)
SAMPLE = 2048  # scores read, evenly spaced, to set the bar above which a search sorts its candidates
STOP_FROM = 500  # documents in a base before a budget applies (on fewer, every term of a question is scanned)
RESCORE = 2  # with a budget: the k x RESCORE best by the scanned terms are scored with the rest as well
LOOKUPS = 48  # with a budget: terms beyond it looked up at most (each costs a binary search per candidate)


def _best(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` highest positive scores, ties to the lower id. A bar read off about SAMPLE evenly
    spaced scores lets through about three times k; only those are sorted (exact: all k best pass any bar
    that lets k through, else every positive score is taken). When far more pass, because many lessons
    score the same, the k-th score is found by a partition and its ties go to the lowest ids."""
    chosen = None
    if len(scores) > 8 * k:
        sample = np.sort(scores[::max(1, len(scores) // SAMPLE)])
        bar = sample[max(0, len(sample) - 1 - 3 * k * len(sample) // len(scores))]
        if bar > 0:
            chosen = np.flatnonzero(scores >= bar)
            if len(chosen) < k:
                chosen = None
    if chosen is None:
        chosen = np.flatnonzero(scores > 0)
    if len(chosen) > 4 * k:  # many equal scores at the bar (lessons alike): the k-th score, then ties by id
        values = scores[chosen]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        tied = chosen[values == kth]
        chosen = chosen[values > kth]
        need = k - len(chosen)
        if len(tied) > need:
            tied = tied[np.argpartition(ids[tied], need - 1)[:need]]
        chosen = np.concatenate([chosen, tied])
    return chosen[np.lexsort((ids[chosen], -scores[chosen]))[:k]]


class BM25Index:
    """Okapi BM25. Terms come from `bot.search.text.tokenize`; ids are lesson ids."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, levels: int = LEVELS) -> None:
        self.k1 = k1
        self.b = b
        self.levels = levels
        self._steps = np.uint8 if levels <= 255 else np.uint16  # the matrix's values
        self._columns: dict[str, int] = {}  # term -> column; kept across builds
        self._df = np.zeros(1024, dtype=np.int32)  # current lessons per column
        self._total_len = 0
        self._count = 0
        # the built part: BM25 weights per (lesson row, term column); rows sorted by lesson id
        self._tf: sparse.csc_matrix = sparse.csc_matrix((0, 0), dtype=self._steps)
        self._rows = np.zeros(0, dtype=np.int64)
        self._lengths = np.zeros(0, dtype=np.float32)
        self._norms = np.zeros(0, dtype=np.float32)  # k1 (1 - b + b len/avg) with the average of the build
        self._alive = np.zeros(0, dtype=bool)
        self._dead: list[int] = []  # rows removed whose terms still count in `_df`
        # lessons added since the build: (sorted columns, counts), and their weights once asked for
        self._fresh: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._fresh_built: tuple[np.ndarray, sparse.csc_matrix] | None = None

    def __len__(self) -> int:
        return self._count

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._fresh or (isinstance(doc_id, int) and self._row(doc_id) is not None)

    def _row(self, doc_id: int) -> int | None:
        i = int(np.searchsorted(self._rows, doc_id))
        return i if i < len(self._rows) and self._rows[i] == doc_id and self._alive[i] else None

    def _column(self, term: str) -> int:
        column = self._columns.get(term)
        if column is None:
            column = self._columns[term] = len(self._columns)
            if column >= len(self._df):
                self._df = np.concatenate([self._df, np.zeros(len(self._df), dtype=np.int32)])
        return column

    # -- changes ---------------------------------------------------------------------------------
    def add(self, doc_id: int, terms: Iterable[str]) -> None:
        """Index a document, replacing an earlier version with the same id."""
        self.remove(doc_id)
        counts = Counter(terms)
        columns = np.fromiter((self._column(t) for t in counts), dtype=np.int32, count=len(counts))
        values = np.fromiter((min(c, MAX_COUNT) for c in counts.values()), dtype=np.uint16, count=len(counts))
        order = np.argsort(columns)
        self._fresh[doc_id] = (columns[order], values[order])
        self._fresh_built = None
        self._df[columns] += 1
        self._total_len += int(values.sum())
        self._count += 1

    def remove(self, doc_id: int) -> None:
        entry = self._fresh.pop(doc_id, None)
        if entry is not None:
            self._fresh_built = None
            self._df[entry[0]] -= 1
            self._total_len -= int(entry[1].sum())
            self._count -= 1
            return
        row = self._row(doc_id)
        if row is None:
            return
        self._alive[row] = False
        self._dead.append(row)
        self._fresh_built = None  # the average length changed
        self._total_len -= int(self._lengths[row])
        self._count -= 1

    def _settle(self) -> None:
        """Take the terms of removed rows out of the document frequencies (one pass for all of them)."""
        if not self._dead:
            return
        gone = self._tf[np.asarray(self._dead, dtype=np.int64), :]
        self._df[:gone.shape[1]] -= np.diff(gone.indptr).astype(np.int32)
        self._dead = []

    def _rebuild(self) -> None:
        """One matrix of every current lesson again, weighted with today's average length: the built rows
        still alive (their counts recovered from their weights) and the fresh ones."""
        self._settle()
        ids, rows, lengths = self._counts()
        order = np.argsort(ids, kind="stable")
        self._rows, self._lengths = ids[order], lengths[order]
        self._norms = self._norm(self._lengths)
        self._tf = self._weighted(rows[order], self._norms).tocsc()
        self._alive = np.ones(len(order), dtype=bool)
        self._fresh, self._fresh_built = {}, None

    def _counts(self) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
        """(ids, counts per row, lengths) of every current lesson, built rows first."""
        width = len(self._columns)
        kept = np.flatnonzero(self._alive)
        old = self._tf[kept, :].tocsr() if len(kept) else sparse.csr_matrix((0, width), dtype=self._steps)
        old.resize((len(kept), width))
        norms = np.repeat(self._norms[kept], np.diff(old.indptr))
        share = np.minimum(old.data.astype(np.float64), self.levels - 0.5) / self.levels  # tf / (tf + norm)
        counts = np.clip(np.rint(share * norms / (1 - share)), 1, MAX_COUNT).astype(np.uint16)
        old = sparse.csr_matrix((counts, old.indices, old.indptr), shape=old.shape)
        ids, sizes, cols, fresh_counts = self._fresh_arrays()
        new = sparse.csr_matrix((fresh_counts, cols, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)),
                                shape=(len(ids), width), dtype=np.uint16)
        lengths = np.concatenate([self._lengths[kept], np.asarray(new.sum(axis=1)).ravel().astype(np.float32)])
        return (np.concatenate([self._rows[kept], ids]), sparse.vstack([old, new], format="csr", dtype=np.uint16),
                lengths)

    def _norm(self, lengths: np.ndarray) -> np.ndarray:
        return (self.k1 * (1 - self.b + self.b * lengths / self._avg_len())).astype(np.float32)

    def _weighted(self, counts: sparse.csr_matrix, norms: np.ndarray) -> sparse.csr_matrix:
        """BM25's saturated term frequency, tf (k1 + 1) / (tf + norm), for every count, in steps of
        (k1 + 1) / levels (never 0: a term a lesson holds always counts)."""
        tf = counts.data.astype(np.float64)
        each = np.repeat(norms.astype(np.float64), np.diff(counts.indptr))
        steps = np.maximum(np.rint(tf / (tf + each) * self.levels), 1).astype(self._steps)
        return sparse.csr_matrix((steps, counts.indices, counts.indptr), shape=counts.shape, dtype=self._steps)

    def _fresh_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        parts = list(self._fresh.values())
        ids = np.fromiter(self._fresh, dtype=np.int64, count=len(self._fresh))
        sizes = np.fromiter((len(c) for c, _ in parts), dtype=np.int64, count=len(parts))
        cols = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, dtype=np.int32)
        counts = np.concatenate([t for _, t in parts]) if parts else np.zeros(0, dtype=np.uint16)
        return ids, sizes, cols, counts

    def _fresh_matrix(self) -> tuple[np.ndarray, sparse.csc_matrix]:
        """(ids, weights) of the lessons added since the build, weighted once per change."""
        if self._fresh_built is None:
            ids, sizes, cols, counts = self._fresh_arrays()
            indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            matrix = sparse.csr_matrix((counts, cols, indptr), shape=(len(ids), len(self._columns)),
                                       dtype=np.uint16)
            lengths = np.asarray(matrix.sum(axis=1)).ravel().astype(np.float32)
            self._fresh_built = (ids, self._weighted(matrix, self._norm(lengths)).tocsc())
        return self._fresh_built

    # -- scoring ---------------------------------------------------------------------------------
    def _df_of(self, term: str) -> int:
        column = self._columns.get(term)
        return int(self._df[column]) if column is not None else 0

    def idf(self, term: str) -> float:
        df = self._df_of(term)
        return math.log(1.0 + (self._count - df + 0.5) / (df + 0.5))

    def _avg_len(self) -> float:
        return (self._total_len / self._count) if self._count else 1.0

    def _scores(self, weights: sparse.csc_matrix, cols: np.ndarray, idf: np.ndarray) -> np.ndarray:
        """BM25 of every row for query columns `cols` weighted idf x query count: one sparse product."""
        inside = cols < weights.shape[1]
        if not inside.any() or not weights.shape[0]:
            return np.zeros(weights.shape[0], dtype=np.float32)
        scale = np.float32((self.k1 + 1) / self.levels)
        return np.asarray(weights[:, cols[inside]] @ (idf[inside] * scale).astype(np.float32)).ravel()

    def search(self, terms: Iterable[str], k: int = 50, allowed: Collection[int] | None = None,
               budget: float | None = None) -> list[tuple[int, float]]:
        """The `k` best documents for these query terms, best first; only `allowed` ids when given.

        With `budget`, on a base of STOP_FROM documents or more, a query whose terms hold more postings than
        `budget` times the number of documents does not scan its commonest terms (those beyond the budget,
        taken rarest first): the other terms choose the k x RESCORE best, and the common terms are then looked
        up for those alone, so they still order them but no longer bring in documents of their own; a long
        question looks up at most LOOKUPS of them, the rarest, and leaves the rest out. The common terms say
        least about a match and hold most of the postings (Dutch 4-grams such as "lijk" sit in most
        lessons)."""
        if not self._count:
            return []
        if len(self._fresh) > REBUILD_AFTER:
            self._rebuild()
        self._settle()
        known = [(column, qtf) for term, qtf in Counter(terms).items()
                 if (column := self._columns.get(term)) is not None and self._df[column] > 0]
        if not known:
            return []
        cols = np.fromiter((column for column, _ in known), dtype=np.int64, count=len(known))
        df = self._df[cols].astype(np.float64)  # idf as `idf` computes it, for all the terms at once
        values = np.log(1.0 + (self._count - df + 0.5) / (df + 0.5)) * np.fromiter(
            (qtf for _, qtf in known), dtype=np.float64, count=len(known))
        scanned = np.ones(len(cols), dtype=bool)
        if budget is not None and self._count >= STOP_FROM:
            order = np.argsort(df, kind="stable")  # rarest first; the rarest is always scanned
            fits = max(int(np.searchsorted(np.cumsum(df[order]), budget * self._count, side="right")), 1)
            scanned[order[fits:]] = False
            values[order[fits + LOOKUPS:]] = 0.0  # a long question's commonest terms beyond those: left out
        wanted = np.fromiter(allowed, dtype=np.int64, count=len(allowed)) if allowed is not None else None
        found_ids, found_scores = [], []
        fresh_ids, fresh_weights = self._fresh_matrix()
        for ids, weights_of, alive in ((self._rows, self._tf, self._alive), (fresh_ids, fresh_weights, None)):
            looked_up = alive is not None and not scanned.all()  # the few lessons added since: all scanned
            scores = self._scores(weights_of, cols[scanned], values[scanned]) if looked_up else \
                self._scores(weights_of, cols, values)
            if alive is not None:
                scores[~alive] = 0.0
            if wanted is not None:
                scores[~np.isin(ids, wanted)] = 0.0
            top = _best(scores, ids, k * RESCORE if looked_up else k)
            chosen = scores[top]
            if looked_up:
                rest = ~scanned & (values > 0)
                chosen = chosen + self._looked_up(cols[rest], values[rest], top)
            found_ids.append(ids[top])
            found_scores.append(chosen)
        ids, found = np.concatenate(found_ids), np.concatenate(found_scores).astype(np.float64)
        order = np.lexsort((ids, -found))[:k]
        return [(int(i), float(s)) for i, s in zip(ids[order], found[order], strict=True)]

    def _looked_up(self, cols: np.ndarray, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """What these query columns add to the scores of these built rows, each found by a binary search
        (the rows in order, so that one search starts where the last ended)."""
        order = np.argsort(rows)
        ordered = rows[order]
        added = np.zeros(len(rows), dtype=np.float32)
        scale = (self.k1 + 1) / self.levels
        for column, value in zip(cols.tolist(), values.tolist(), strict=True):
            if column < self._tf.shape[1]:
                hit, at = self._locate(column, ordered)
                added[order[hit]] += self._tf.data[at[hit]].astype(np.float32) * np.float32(value * scale)
        return added

    def _locate(self, column: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each of `rows` holds the term of this built column, and where its weight lies: a binary
        search in the column's sorted rows, so a common term's column is read only where the rows fall."""
        tf = self._tf
        start, end = int(tf.indptr[column]), int(tf.indptr[column + 1])
        if end == start:
            return np.zeros(len(rows), dtype=bool), np.zeros(len(rows), dtype=np.int64)
        at = np.minimum(np.searchsorted(tf.indices[start:end], rows), end - start - 1) + start
        return np.asarray(tf.indices[at] == rows), at

    def coverage(self, terms: Iterable[str], doc_id: int) -> float:
        """Share of the query's idf weight that this document contains (0..1)."""
        return self.coverages(terms, [doc_id])[0]

    def coverages(self, terms: Iterable[str], doc_ids: Sequence[int]) -> list[float]:
        """`coverage` for several documents, with the query's idf computed once."""
        self._settle()
        unique = set(terms)
        known = [(self._columns[t], self.idf(t)) for t in unique if t in self._columns]
        total = sum(self.idf(t) for t in unique)
        if total <= 0 or not known or not doc_ids:
            return [0.0] * len(doc_ids)
        cols = np.asarray([c for c, _ in known], dtype=np.int64)
        idf = np.asarray([w for _, w in known], dtype=np.float64)
        held = np.zeros((len(doc_ids), len(cols)), dtype=bool)
        rows = [self._row(doc) for doc in doc_ids]
        built = [(n, row) for n, row in enumerate(rows) if row is not None]
        inside = cols < self._tf.shape[1]
        if built and inside.any():  # each column's sorted rows searched for the lessons' rows
            targets = np.asarray([row for _, row in built], dtype=np.int64)
            which = np.asarray([n for n, _ in built], dtype=np.int64)
            for j in np.flatnonzero(inside).tolist():
                held[which, j] = self._locate(int(cols[j]), targets)[0]
        for n, doc in enumerate(doc_ids):
            entry = self._fresh.get(doc)
            if entry is not None:
                held[n] = np.isin(cols, entry[0])
        return [float(x) / total for x in held.astype(np.float64) @ idf]

    @property
    def in_memory(self) -> bool:
        """Whether the built matrix lives in this process's memory (built or rebuilt here), rather than in a
        memory-mapped file."""
        base = self._tf.data
        while base is not None and not isinstance(base, np.memmap):
            base = base.base
        return base is None and self._tf.nnz > 0

    # -- persistence -----------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """The index as named arrays: the matrix as it is (its columns, rows, weights and norms) and the
        counts of the lessons added since it was built. Only lessons still current and the terms some lesson
        still holds are written: a deleted or erased lesson's words do not stay in the saved file. The
        matrix's two index arrays share one integer type, so a memory-mapped copy is used as it lies."""
        if len(self._fresh) > REBUILD_AFTER:  # many added (a first indexing): saved as the matrix they make
            self._rebuild()
        self._settle()
        terms = list(self._columns)
        live = np.flatnonzero(self._df[:len(terms)] > 0)
        renumber = np.full(max(len(terms), 1), -1, dtype=np.int32)
        renumber[live] = np.arange(len(live), dtype=np.int32)
        kept = np.flatnonzero(self._alive)
        built = self._tf
        if len(kept) < built.shape[0]:
            built = built[kept, :] if len(kept) else sparse.csc_matrix((0, 0), dtype=self._steps)
        if len(live) < built.shape[1] or built.shape[1] > len(terms):
            built = built[:, live[live < built.shape[1]]]
        ids, sizes, cols, counts = self._fresh_arrays()
        index_type = np.int32 if built.nnz < 2**31 else np.int64
        return {"format": np.asarray([2]), "rows": self._rows[kept], "lengths": self._lengths[kept].astype(np.int64),
                "norms": self._norms[kept], "indptr": built.indptr.astype(index_type, copy=False),
                "indices": built.indices.astype(index_type, copy=False),
                "steps": built.data.astype(self._steps, copy=False),
                "fresh_ids": ids, "fresh_sizes": sizes, "fresh_cols": renumber[cols] if len(cols) else cols,
                "fresh_counts": counts,
                "terms": np.frombuffer("\n".join(terms[i] for i in live).encode(), dtype=np.uint8),
                "params": np.asarray([self.k1, self.b, self.levels])}

    def to_bytes(self) -> bytes:
        """`arrays` as one .npz blob."""
        buffer = io.BytesIO()
        np.savez(buffer, **self.arrays())  # type: ignore[arg-type]
        return buffer.getvalue()

    def with_levels(self, levels: int) -> BM25Index:
        """This index with its weights in `levels` steps (itself when they already are)."""
        if levels == self.levels:
            return self
        self._settle()
        other = BM25Index(self.k1, self.b, levels)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("levels", "_steps", "_tf")})
        tf = self._tf.copy()
        tf.data = np.maximum(np.rint(tf.data.astype(np.float64) * levels / self.levels), 1).astype(other._steps)
        other._tf, other._fresh_built = tf.astype(other._steps), None
        return other

    @classmethod
    def from_bytes(cls, data: bytes) -> BM25Index:
        """An index saved by `to_bytes` (or as every lesson's counts, the first format)."""
        with np.load(io.BytesIO(data)) as saved:
            if "format" not in saved.files:
                params = saved["params"].tolist()
                index = cls(params[0], params[1])
                terms = saved["terms"].tobytes().decode()
                index._columns = {t: i for i, t in enumerate(terms.split("\n"))} if terms else {}
                return index._from_counts(saved["ids"], saved["sizes"], saved["cols"], saved["counts"],
                                          saved["lengths"])
            return cls.from_arrays({name: saved[name] for name in saved.files})

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> BM25Index:
        """The saved matrix taken as it is (no per-lesson work, no weighting), with the fresh lessons. Its
        weights and index arrays are used where they lie, so a memory-mapped file is read only where
        questions look (the columns of their terms); the small per-lesson arrays are copied."""
        params = np.asarray(arrays["params"]).tolist()  # k1, b and, since 8-bit steps, the levels
        index = cls(params[0], params[1], int(params[2]) if len(params) > 2 else LEVELS)
        terms = np.asarray(arrays["terms"]).tobytes().decode()
        index._columns = {t: i for i, t in enumerate(terms.split("\n"))} if terms else {}
        width = len(index._columns)
        index._rows = np.array(arrays["rows"], dtype=np.int64)
        index._norms = np.array(arrays["norms"], dtype=np.float32)
        lengths = np.asarray(arrays["lengths"])
        index._lengths = lengths.astype(np.float32)
        indptr, indices = arrays["indptr"], arrays["indices"]
        if indptr.dtype != indices.dtype:  # written before the two shared a type
            indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
        index._tf = sparse.csc_matrix((arrays["steps"], indices, indptr),
                                      shape=(len(index._rows), len(indptr) - 1), copy=False)
        index._alive = np.ones(len(index._rows), dtype=bool)
        index._df = np.zeros(max(1024, width), dtype=np.int32)
        index._df[:len(indptr) - 1] = np.diff(indptr)
        index._count, index._total_len = len(index._rows), int(lengths.sum())
        fresh_ids, fresh_sizes = np.asarray(arrays["fresh_ids"]), np.asarray(arrays["fresh_sizes"])
        bounds = np.cumsum(fresh_sizes)[:-1]
        fresh = zip(fresh_ids.tolist(), np.split(np.asarray(arrays["fresh_cols"]), bounds),
                    np.split(np.asarray(arrays["fresh_counts"]), bounds), strict=True) if len(fresh_ids) else ()
        for doc, cols, counts in fresh:
            index._fresh[int(doc)] = (cols.astype(np.int32), counts.astype(np.uint16))
            index._df[cols] += 1
            index._count += 1
            index._total_len += int(counts.sum())
        return index

    def _from_counts(self, ids: np.ndarray, sizes: np.ndarray, cols: np.ndarray, counts: np.ndarray,
                     lengths: np.ndarray) -> BM25Index:
        """An index saved as every lesson's counts, weighted in one step."""
        width = len(self._columns)
        self._count, self._total_len = len(ids), int(lengths.sum())
        self._df = np.bincount(cols, minlength=max(1024, width)).astype(np.int32)
        rows = sparse.csr_matrix((np.minimum(counts, MAX_COUNT).astype(np.uint16), cols.astype(np.int32),
                                  np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)), shape=(len(ids), width))
        order = np.argsort(ids, kind="stable")
        if len(order) and np.any(order != np.arange(len(order))):
            rows = rows[order]
        self._rows, self._lengths = ids.astype(np.int64)[order], lengths.astype(np.float32)[order]
        self._norms = self._norm(self._lengths)
        self._tf = self._weighted(rows, self._norms).tocsc()
        self._alive = np.ones(len(ids), dtype=bool)
        return self
