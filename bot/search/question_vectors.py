"""Question vectors kept in memory: a question asked again (in several channels, a retry, the check of a new
lesson against open questions), also with other capitals, spacing or closing punctuation, is not embedded
again, and vectors saved in the database can be handed in."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import numpy as np

from bot.search.embedder import Embedder

KEPT = 4096  # question vectors kept, most recently used last
_SPACE = re.compile(r"\s+")


def same_question(text: str) -> str:
    """The key two spellings of one question share: "Heeft iemand X?" and "heeft  iemand x" are one."""
    return _SPACE.sub(" ", text).strip().rstrip("?!.… ").casefold()


class QuestionVectors:
    """An LRU of query vectors by question text, safe across threads."""

    def __init__(self, embedder: Embedder, kept: int = KEPT) -> None:
        self.embedder = embedder
        self.kept = kept
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, texts: list[str]) -> np.ndarray:
        """The query vectors of `texts`, in order, embedding in one batch only those not kept."""
        keys = [same_question(t) for t in texts]
        with self._lock:
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if missing:  # one spelling of each question is embedded
            fresh = self.embedder.embed_queries(list(missing.values()))
            self._keep(dict(zip(missing, fresh, strict=True)), replace=True)
        with self._lock:
            found = [self._vectors.get(k) for k in keys]
            for key in keys:
                if key in self._vectors:
                    self._vectors.move_to_end(key)
        # a text pushed out by a burst of others in the meantime is embedded again
        return np.vstack([v if v is not None else self.embedder.embed_queries([t])[0]
                          for t, v in zip(texts, found, strict=True)]
                         ) if texts else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def remember(self, saved: dict[str, bytes]) -> None:
        """Vectors saved elsewhere (in the database, by the process the question was asked in)."""
        self._keep({same_question(text): np.frombuffer(raw, dtype=np.float32) for text, raw in saved.items()},
                   replace=False)

    def _keep(self, vectors: dict[str, np.ndarray], *, replace: bool) -> None:
        with self._lock:
            for text, vector in vectors.items():
                if replace or text not in self._vectors:
                    self._vectors[text] = vector
            while len(self._vectors) > self.kept:
                self._vectors.popitem(last=False)
