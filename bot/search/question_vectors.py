"""Question vectors kept in memory: a question asked again (in several channels, a retry, the check of a new
lesson against open questions) is not embedded again, and vectors saved in the database can be handed in."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from bot.search.embedder import Embedder

KEPT = 4096  # question vectors kept, most recently used last


class QuestionVectors:
    """An LRU of query vectors by question text, safe across threads."""

    def __init__(self, embedder: Embedder, kept: int = KEPT) -> None:
        self.embedder = embedder
        self.kept = kept
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, texts: list[str]) -> np.ndarray:
        """The query vectors of `texts`, in order, embedding in one batch only those not kept."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self.embedder.embed_queries(missing)
            self._keep(dict(zip(missing, fresh, strict=True)), replace=True)
        with self._lock:
            found = [self._vectors.get(t) for t in texts]
            for text in texts:
                if text in self._vectors:
                    self._vectors.move_to_end(text)
        # a text pushed out by a burst of others in the meantime is embedded again
        return np.vstack([v if v is not None else self.embedder.embed_queries([t])[0]
                          for t, v in zip(texts, found, strict=True)]
                         ) if texts else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def remember(self, saved: dict[str, bytes]) -> None:
        """Vectors saved elsewhere (in the database, by the process the question was asked in)."""
        self._keep({text: np.frombuffer(raw, dtype=np.float32) for text, raw in saved.items()}, replace=False)

    def _keep(self, vectors: dict[str, np.ndarray], *, replace: bool) -> None:
        with self._lock:
            for text, vector in vectors.items():
                if replace or text not in self._vectors:
                    self._vectors[text] = vector
            while len(self._vectors) > self.kept:
                self._vectors.popitem(last=False)
