"""The dense index: FAISS keyed by lesson id, saved atomically with a manifest.

Three structures, chosen by size (see `choose_layout` and docs/benchmarks.md):

- ``flat-ip``: exact inner product over float32 vectors (IndexIDMap2 + IndexFlatIP), below 20,000 lessons.
- ``flat-sq8``: every vector scanned, each kept in 8 bits per dimension (IndexIDMap2 +
  IndexScalarQuantizer): a quarter of the memory and 2.4x faster at 100,000 lessons, recall@10 0.97 of
  float32 search; from 20,000 lessons up to the approximate threshold.
- ``ivf-sq8``: an inverted file over k-means cells with 8-bit scalar-quantised vectors
  (IndexIVFScalarQuantizer). About a quarter of the memory, and a search only visits ``nprobe`` cells.
  It supports removal and lookup by id (a hash-table direct map), so edits and deletes stay cheap.

Filters on the approximate structure never give empty pages: when the cells visited hold fewer allowed
lessons than asked for, the search is repeated over every cell (the filter then decides which vectors
are scored, so that pass is exact over the quantised vectors).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)

FLAT = "flat-ip"
FLAT_SQ8 = "flat-sq8"
IVF_SQ8 = "ivf-sq8"
EXACT_8BIT_FROM = 20_000  # lessons; from here the full scan reads 8-bit codes (docs/benchmarks.md)
APPROXIMATE_FROM = 100_000  # lessons; from here a full scan reads more codes than a question can wait for
# The share of cells a question visits: a quarter at 100,000 lessons (recall@10 0.957 of exact search), a
# tenth at 1M (0.957); the smaller the base, the larger the share the same recall needs (docs/benchmarks.md).
PROBE_SHARE_AT = ((100_000, 0.25), (1_000_000, 0.10))
TRAIN_SAMPLE = 100_000      # vectors the k-means cells are trained on

# One question is one small search: FAISS's OpenMP threads cost more to wake (milliseconds, worse when
# the other core is busy) than they save, and the bot answers questions on several threads anyway.
# Building an index uses every core (see DenseIndex.build).
faiss.omp_set_num_threads(1)


@dataclass(frozen=True)
class Layout:
    """Which structure, with its parameters."""

    structure: str = FLAT
    nlist: int = 0
    nprobe: int = 0

    def describe(self) -> str:
        if self.structure != IVF_SQ8:
            return self.structure
        return f"{self.structure} nlist={self.nlist} nprobe={self.nprobe}"


def choose_layout(count: int, current: Layout | None = None, approximate_from: int = APPROXIMATE_FROM,
                  eight_bit_from: int = EXACT_8BIT_FROM) -> Layout:
    """The layout for `count` lessons. Hysteresis keeps a corpus near a boundary from flapping:
    an approximate index goes back to a full scan only below half the threshold, and is retrained only
    when the corpus has grown or shrunk fourfold since its cells were made; 8-bit codes go back to float32
    only below half of `eight_bit_from`."""
    if current is not None and current.structure == IVF_SQ8 and count >= approximate_from // 2:
        trained_for = (current.nlist / 4) ** 2
        if trained_for / 4 <= count <= trained_for * 4:  # the same cells; the share visited follows the size
            return Layout(IVF_SQ8, current.nlist, probes(count, current.nlist))
    elif count < approximate_from:
        coded = current is not None and current.structure in (FLAT_SQ8, IVF_SQ8)
        if eight_bit_from < approximate_from and count >= (eight_bit_from // 2 if coded else eight_bit_from):
            return Layout(FLAT_SQ8)
        return Layout()
    nlist = max(64, min(65_536, 2 ** round(math.log2(4 * math.sqrt(max(count, 1))))))
    return Layout(IVF_SQ8, nlist, probes(count, nlist))


def probes(count: int, nlist: int) -> int:
    """How many of `nlist` cells a question visits when the index holds `count` lessons: the measured shares
    at 100,000 and 1M lessons, on the power law through them in between, held at the ends."""
    (low, most), (high, least) = PROBE_SHARE_AT
    position = min(max(math.log(max(count, 1) / low) / math.log(high / low), 0.0), 1.0)
    share = most * (least / most) ** position
    return max(16, min(nlist, math.ceil(nlist * share)))


@dataclass
class Manifest:
    """What a saved index holds: which embedder made it, up to which lesson revision, in which structure."""

    embedder: str
    dim: int
    revision: int
    count: int
    structure: str
    sha256: str = ""
    params: dict[str, int] = field(default_factory=dict)


class DenseIndex:
    """Inner product over L2-normalised vectors (cosine); ids are lesson ids."""

    def __init__(self, dim: int, layout: Layout | None = None) -> None:
        self.dim = dim
        self.layout = layout or Layout()
        self._flat: faiss.IndexIDMap2 | None = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._ivf: faiss.IndexIVF | None = None
        self._index: faiss.Index = self._flat

    @property
    def structure(self) -> str:
        return self.layout.structure

    @classmethod
    def build(cls, dim: int, ids: np.ndarray, vectors: np.ndarray, layout: Layout,
              *, seed: int = 0) -> DenseIndex:
        """A new index in `layout` holding these vectors (an IVF layout is trained on a sample first)."""
        index = cls(dim, layout)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        try:
            index._fill(ids, vectors, seed)
        finally:
            faiss.omp_set_num_threads(1)
        return index

    def _fill(self, ids: np.ndarray, vectors: np.ndarray, seed: int) -> None:
        index, layout, dim = self, self.layout, self.dim
        if layout.structure == IVF_SQ8:
            ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, layout.nlist,
                                                faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            wanted = max(TRAIN_SAMPLE, 40 * layout.nlist)  # k-means wants ~40 points per cell
            sample = vectors
            if len(vectors) > wanted:
                sample = vectors[np.random.default_rng(seed).choice(len(vectors), wanted, replace=False)]
            ivf.train(sample)
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
            index._index = index._ivf = ivf
            index._flat = None
        elif layout.structure == FLAT_SQ8:
            coded = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            sample = vectors
            if len(vectors) > TRAIN_SAMPLE:  # each dimension's range, from a sample
                sample = vectors[np.random.default_rng(seed).choice(len(vectors), TRAIN_SAMPLE, replace=False)]
            if len(sample):
                coded.train(sample)
            index._index = index._flat = faiss.IndexIDMap2(coded)
        elif layout.structure != FLAT:
            raise ValueError(f"unknown index structure {layout.structure!r}")
        if len(ids):
            index._index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def upsert(self, ids: list[int], vectors: np.ndarray) -> None:
        if not ids:
            return
        self.remove(ids)
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                 np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Collection[int]) -> None:
        if ids and len(self):
            self._index.remove_ids(np.asarray(list(ids), dtype=np.int64))  # type: ignore[arg-type]

    def search(self, vector: np.ndarray, k: int, allowed: Collection[int] | None = None
               ) -> list[tuple[int, float]]:
        """The `k` nearest lessons, best first; only `allowed` ids when given."""
        if not len(self) or k <= 0:
            return []
        if allowed is not None and not allowed:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        k = min(k, len(self))
        selector = None if allowed is None else faiss.IDSelectorBatch(np.asarray(list(allowed), dtype=np.int64))
        if self._ivf is None:
            params = None if selector is None else faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            scores, ids = self._index.search(query, k, params=params)
        else:
            wanted = k if allowed is None else min(k, len(allowed))
            scores, ids = self._ivf_search(query, k, selector, self.layout.nprobe)
            if int((ids[0] >= 0).sum()) < wanted:  # too few in the cells visited: look in all of them
                scores, ids = self._ivf_search(query, k, selector, self.layout.nlist)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _ivf_search(self, query: np.ndarray, k: int, selector: faiss.IDSelector | None,
                    nprobe: int) -> tuple[np.ndarray, np.ndarray]:
        params = faiss.SearchParametersIVF(nprobe=nprobe)  # type: ignore[call-arg]
        if selector is not None:
            params.sel = selector
        return self._index.search(query, k, params=params)

    def vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors (decoded from 8 bits on the coded structures)."""
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]) if ids else np.zeros((0, self.dim))

    def ids(self) -> np.ndarray:
        if self._flat is not None:
            return faiss.vector_to_array(self._flat.id_map).astype(np.int64)
        assert self._ivf is not None and self._ivf.invlists is not None
        lists = self._ivf.invlists
        parts = [faiss.rev_swig_ptr(lists.get_ids(c), lists.list_size(c)).copy()
                 for c in range(lists.nlist) if lists.list_size(c)]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every id with its vector, for building the index again in another structure."""
        if self._flat is not None:
            flat = faiss.downcast_index(self._flat.index)
            return self.ids(), flat.reconstruct_n(0, len(self)) if len(self) else np.zeros((0, self.dim), np.float32)
        ids = self.ids()
        vectors = np.empty((len(ids), self.dim), dtype=np.float32)
        for row, lesson_id in enumerate(ids):
            vectors[row] = self._index.reconstruct(int(lesson_id))
        return ids, vectors

    def nbytes(self) -> int:
        """Size of the index as saved (and, within a few percent, in memory)."""
        return int(faiss.serialize_index(self._index).nbytes)

    # -- persistence -----------------------------------------------------------------------------
    @staticmethod
    def paths(directory: Path, embedder_id: str) -> tuple[Path, Path]:
        slug = file_slug(embedder_id)
        return directory / f"dense-{slug}.faiss", directory / f"dense-{slug}.json"

    def save(self, directory: Path, embedder_id: str, revision: int) -> Manifest:
        """Write the index, then its manifest, each to a temp file that is fsynced and renamed.

        The manifest carries the index file's checksum, so a crash between the two renames is
        detected on load and the index is rebuilt from the database.
        """
        directory.mkdir(parents=True, exist_ok=True)
        index_path, manifest_path = self.paths(directory, embedder_id)
        data = faiss.serialize_index(self._index).tobytes()
        _atomic_write(index_path, data)
        params = {} if self._ivf is None else {"nlist": self.layout.nlist, "nprobe": self.layout.nprobe}
        manifest = Manifest(embedder=embedder_id, dim=self.dim, revision=revision, count=len(self),
                            structure=self.structure, sha256=hashlib.sha256(data).hexdigest(), params=params)
        _atomic_write(manifest_path, json.dumps(asdict(manifest), indent=2).encode())
        return manifest

    @classmethod
    def load(cls, directory: Path, embedder_id: str, dim: int) -> tuple[DenseIndex, Manifest] | None:
        """The saved index for this embedder, or None when it is missing, stale or damaged."""
        index_path, manifest_path = cls.paths(directory, embedder_id)
        if not (index_path.exists() and manifest_path.exists()):
            return None
        try:
            manifest = Manifest(**json.loads(manifest_path.read_text()))
            data = index_path.read_bytes()
            if manifest.embedder != embedder_id or manifest.dim != dim:
                log.info("saved index was made by %s/%d: rebuilding", manifest.embedder, manifest.dim)
                return None
            if hashlib.sha256(data).hexdigest() != manifest.sha256:
                log.warning("saved index %s does not match its manifest: rebuilding", index_path)
                return None
            raw = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            log.warning("saved index %s could not be read (%s): rebuilding", index_path, exc)
            return None
        layout = Layout(manifest.structure, manifest.params.get("nlist", 0), manifest.params.get("nprobe", 0))
        index = cls(dim, layout)
        if layout.structure == IVF_SQ8:
            if not isinstance(raw, faiss.IndexIVF):
                log.warning("saved index %s is not the %s its manifest says: rebuilding", index_path, layout.structure)
                return None
            raw.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
            index._index = index._ivf = raw
            index._flat = None
        else:
            index._index = index._flat = raw  # type: ignore[assignment]
        return index, manifest


def file_slug(embedder_id: str) -> str:
    """The embedder id as it appears in the names of saved index files."""
    return re.sub(r"[^\w.\-]+", "_", embedder_id)


def _atomic_write(path: Path, data: bytes | Iterable[bytes | memoryview]) -> None:
    """Write `data` (bytes, or pieces written one after another) to `path` so that a reader finds either the
    old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in ((data,) if isinstance(data, bytes) else data):
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
