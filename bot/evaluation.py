"""Retrieval evaluation: recall@k, MRR@10, nDCG@10 and the "no good match" decision."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.importer import read_records, record_to_draft
from bot.search.embedder import Embedder, Progress


class CachingEmbedder(Embedder):
    """Wraps an embedder; passage vectors are kept in an SQLite file keyed by model and content hash."""

    def __init__(self, inner: Embedder, directory: Path) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(directory / "vectors.sqlite3")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vector BLOB, "
                         "PRIMARY KEY (model, hash))")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        hashes = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for h, blob in self._db.execute(f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})",
                                            [self.id, *chunk]):
                found[h] = np.frombuffer(blob, dtype=np.float32)
        todo = [i for i, h in enumerate(hashes) if h not in found]
        if progress and len(todo) < len(texts):
            progress(len(texts) - len(todo))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(todo), 64):
            batch = todo[start:start + 64]
            vectors = self.inner.embed_passages([texts[i] for i in batch], progress=progress)
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                 [(self.id, hashes[i], vectors[j].astype(np.float32).tobytes())
                                  for j, i in enumerate(batch)])
            self._db.commit()
            for j, i in enumerate(batch):
                found[hashes[i]] = vectors[j]
        for i, h in enumerate(hashes):
            out[i] = found[h]
        return out

    def _encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:  # pragma: no cover - not used
        return self.inner._encode(texts, is_query=is_query)


@dataclass
class QueryResult:
    qid: str
    positives: set[str]
    ranked: list[str]
    kind: str = "match"  # the answer's kind: match, related or none (bot.model.AnswerKind)

    @property
    def no_match(self) -> bool:
        """No lesson was offered as an answer (related lessons or none)."""
        return self.kind != "match"


def score(results: list[QueryResult]) -> dict[str, object]:
    """The metrics `leerkring eval --json` prints."""
    answerable = [r for r in results if r.positives]
    unanswerable = [r for r in results if not r.positives]

    def recall(r: QueryResult, k: int) -> float:
        return len(r.positives & set(r.ranked[:k])) / len(r.positives)

    def mrr(r: QueryResult) -> float:
        return next((1.0 / (i + 1) for i, doc in enumerate(r.ranked[:10]) if doc in r.positives), 0.0)

    def ndcg(r: QueryResult) -> float:
        dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(r.ranked[:10]) if doc in r.positives)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(r.positives), 10)))
        return dcg / ideal if ideal else 0.0

    def mean(f: Callable[[QueryResult], float]) -> float:
        return round(sum(f(r) for r in answerable) / len(answerable), 4) if answerable else 0.0

    def decision_f1(said: Callable[[QueryResult], bool]) -> dict[str, float | int]:
        tp = sum(1 for r in unanswerable if said(r))
        fp = sum(1 for r in answerable if said(r))
        fn = sum(1 for r in unanswerable if not said(r))
        precision = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * rec / (precision + rec) if precision + rec else 0.0
        return {"precision": round(precision, 4), "recall": round(rec, 4), "f1": round(f1, 4),
                "answered_as_no_match": fp}

    def kinds(rows: list[QueryResult]) -> dict[str, int]:
        return {kind: sum(1 for r in rows if r.kind == kind) for kind in ("match", "related", "none")}

    none_answerable = sum(1 for r in answerable if r.kind == "none")
    return {
        "queries": len(results), "answerable": len(answerable),
        "recall@1": mean(lambda r: recall(r, 1)), "recall@3": mean(lambda r: recall(r, 3)),
        "recall@10": mean(lambda r: recall(r, 10)), "mrr@10": mean(mrr), "ndcg@10": mean(ndcg),
        # "no match": no lesson offered as the answer (the answer is "related" or "none")
        "no_match": decision_f1(lambda r: r.no_match),
        # "none": the honest "nog geen les", nothing close either
        "none": decision_f1(lambda r: r.kind == "none"),
        "kinds": {"answerable": kinds(answerable), "unanswerable": kinds(unanswerable)},
        "answerable_answered_none": round(none_answerable / len(answerable), 4) if answerable else 0.0,
        "answerable_not_matched": round(sum(1 for r in answerable if r.no_match) / len(answerable), 4)
        if answerable else 0.0,
    }


def run_eval(queries_path: Path, corpus_path: Path, embedder: Embedder, *,
             cache: Path | None = None, limit: int | None = None,
             progress: Callable[[str, int], Callable[[int], None]] | None = None) -> dict[str, object]:
    """Load the corpus into a throwaway store, ask every query, and score the answers."""
    from bot.bootstrap import bootstrap

    started = time.perf_counter()
    if cache is not None:
        embedder = CachingEmbedder(embedder, cache)
    with tempfile.TemporaryDirectory(prefix="leerkring-eval-") as tmp:
        settings = Settings(LEERKRING_DATA_DIR=Path(tmp) / "data", LEERKRING_INDEX_DIR=Path(tmp) / "index",
                            DATABASE_URL="")
        app = bootstrap(settings, embedder=embedder, start_index=False)
        try:
            records = [record for _, record in read_records(corpus_path) if "__error__" not in record]
            tick = progress("corpus", len(records)) if progress else None
            id_of: dict[int, str] = {}
            for record in records:
                lesson, _ = app.repo.save_lesson(record_to_draft(record, platform="eval"))
                id_of[lesson.id] = str(record.get("id"))
                if tick:
                    tick(1)
            app.engine.sync(progress=progress("embedding", app.engine.pending()) if progress else None)
            queries = [q for _, q in read_records(queries_path) if "__error__" not in q][:limit]
            ask_tick = progress("queries", len(queries)) if progress else None
            vectors = embedder.embed_queries([str(q["query"]) for q in queries])
            results: list[QueryResult] = []
            for query, vector in zip(queries, vectors, strict=True):
                found = app.engine.search(str(query["query"]), k=10, query_vector=vector)
                positives = {str(p) for p in query.get("positive_ids") or []}  # type: ignore[attr-defined]
                results.append(QueryResult(str(query.get("qid")), positives,
                                           [id_of[s.lesson_id] for s in found.ranked], found.kind.value))
                if ask_tick:
                    ask_tick(1)
        finally:
            app.close()
    report = score(results)
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def dumps(report: dict[str, object]) -> str:
    return json.dumps(report, ensure_ascii=False)
