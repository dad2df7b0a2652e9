"""The dense index: FAISS keyed by lesson id, saved atomically with a manifest."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)


@dataclass
class Manifest:
    """What a saved index holds: which embedder made it, and up to which lesson revision."""

    embedder: str
    dim: int
    revision: int
    count: int
    structure: str
    sha256: str = ""


class DenseIndex:
    """Inner product over L2-normalised vectors (cosine), ids = lesson ids (IndexIDMap2)."""

    structure = "flat-ip"

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

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
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            if not allowed:
                return []
            selector = faiss.IDSelectorBatch(np.asarray(list(allowed), dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, ids = self._index.search(query, min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def vectors(self, ids: list[int]) -> np.ndarray:
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]) if ids else np.zeros((0, self.dim))

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    # -- persistence -----------------------------------------------------------------------------
    @staticmethod
    def paths(directory: Path, embedder_id: str) -> tuple[Path, Path]:
        slug = re.sub(r"[^\w.\-]+", "_", embedder_id)
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
        manifest = Manifest(embedder=embedder_id, dim=self.dim, revision=revision, count=len(self),
                            structure=self.structure, sha256=hashlib.sha256(data).hexdigest())
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
        index = cls(dim)
        index._index = raw  # type: ignore[assignment]
        return index, manifest


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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
