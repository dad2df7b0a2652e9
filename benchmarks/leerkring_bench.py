"""The Leerkring side of benchmarks/speed.py: the whole bot, or its dense index alone."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from common import dir_bytes, rss_mb
from corpus import embedder_for, lessons, load
from speed import CAPTURES, CLIENTS, Timer, capture_share, latencies

from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.importer import import_file, record_to_draft
from bot.model import Asker
from bot.render import render_answer
from bot.search.dense import DenseIndex, choose_layout
from bot.storage.repository import content_hash


def settings_for(work: Path, embedder_name: str) -> Settings:
    return Settings(LEERKRING_DATA_DIR=work / "data", LEERKRING_INDEX_DIR=work / "index", DATABASE_URL="",
                    LEERKRING_EMBEDDER=embedder_name, _env_file=None)  # type: ignore[call-arg]


class LeerkringBench:
    def __init__(self, corpus: Path, work: Path, embedder_name: str, cache: Path | None, dense_only: bool) -> None:
        self.corpus, self.work, self.embedder_name, self.dense_only = corpus, work, embedder_name, dense_only
        self.embedder = embedder_for(embedder_name, None)  # questions and captures are really encoded
        self.timer = Timer()

    def run(self) -> dict[str, Any]:
        return self.run_dense() if self.dense_only else self.run_bot()

    def _capture_texts(self) -> list[str]:
        return [f"Nieuw verhaal {n}: {r['text']}" for n, r in enumerate(islice(lessons(self.corpus), CAPTURES))]

    def result(self, index: DenseIndex, size: int, load_seconds: float, capture: dict[str, Any],
               ask: Callable[[str, np.ndarray], None], qvectors: np.ndarray, questions: list[str],
               rss_growth_mb: float) -> dict[str, Any]:
        return {"structure": index.layout.describe(), "lessons": len(index), "load_seconds": round(load_seconds, 1),
                "load_per_s": round(size / load_seconds), "capture": capture,
                "ask_1": latencies(ask, self.timer, questions, qvectors, 1),
                "ask_8": latencies(ask, self.timer, questions, qvectors, CLIENTS),
                "rss_mb_loaded": round(rss_mb()), "rss_bytes_per_lesson": round(rss_growth_mb * 2**20 / size),
                "dense_bytes_per_lesson": round(index.nbytes() / len(index))}

    # -- the whole bot -----------------------------------------------------------------------------
    def run_bot(self) -> dict[str, Any]:
        size, vectors, questions, qvectors = load(self.corpus)
        before = rss_mb()
        started = time.perf_counter()
        app = bootstrap(settings_for(self.work, self.embedder_name), embedder=self.embedder, start_index=False)
        import_file(app.repo, self.corpus / "lessons.jsonl", platform="bench")
        batch: list[tuple[int, str, bytes]] = []
        for lesson in app.repo.iter_lessons(batch=5000):  # the synthesised vectors go into the vector cache
            row = int(lesson.source.message_id.rsplit("-", 1)[1])
            batch.append((lesson.id, content_hash(lesson.search_text()), np.asarray(vectors[row]).tobytes()))
            if len(batch) >= 5000:
                app.repo.store_vectors(self.embedder.id, batch)
                batch = []
        app.repo.store_vectors(self.embedder.id, batch)
        del vectors, batch
        app.engine.sync()
        app.engine.wait_for_restructure()
        app.engine.search("wijkbudget", k=5)  # the lexical matrices are built on the first search
        load_seconds = time.perf_counter() - started
        loaded_rss = rss_mb()

        counter = iter(range(10**9))

        def capture_one(text: str) -> None:
            app.repo.save_lesson(record_to_draft({"id": f"new-{next(counter)}", "text": text,
                                                  "municipality": "Zwolle"}, platform="bench"))
            app.engine.sync()

        capture = capture_share(self.embedder.embed_passages, capture_one, self._capture_texts())
        app.engine.embedder.embed_queries = self.timer.wrap("embed", app.engine.embedder.embed_queries)  # type: ignore[method-assign]
        app.engine.search = self.timer.wrap("search_all", app.engine.search)  # type: ignore[method-assign]
        asker = Asker("bench", "u1", "Bench", "c1")

        def ask(question: str, _vector: np.ndarray) -> None:
            render_answer(app.service.ask(question, asker).answer)

        result = self.result(app.engine.dense, size, load_seconds, capture, ask, qvectors, questions,
                             loaded_rss - before)
        app.engine.save()
        app.close()
        result["index_bytes_per_lesson"] = round(dir_bytes(self.work) / size)
        return result

    # -- the dense index alone ----------------------------------------------------------------------
    def run_dense(self) -> dict[str, Any]:
        size, vectors, questions, qvectors = load(self.corpus)
        before = rss_mb()
        started = time.perf_counter()
        self.work.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.work / "lessons.sqlite3", check_same_thread=False)
        db.execute("CREATE TABLE lessons (id INTEGER PRIMARY KEY, text TEXT, municipality TEXT, outcome TEXT)")
        db.executemany("INSERT INTO lessons VALUES (?, ?, ?, ?)",
                       ((n, r["text"], r["municipality"], r["outcome"]) for n, r in enumerate(lessons(self.corpus))))
        db.commit()
        ids = np.arange(size, dtype=np.int64)
        index = DenseIndex.build(self.embedder.dim, ids, np.asarray(vectors), choose_layout(size))
        index.save(self.work / "index", self.embedder.id, revision=size)
        del vectors
        load_seconds = time.perf_counter() - started
        loaded_rss = rss_mb()
        lock = threading.Lock()
        embed = self.timer.wrap("embed", self.embedder.embed_queries)
        search = self.timer.wrap("search", index.search)

        def ask(question: str, _vector: np.ndarray) -> None:
            hits = search(embed([question])[0], 10)
            marks = ",".join(str(i) for i, _ in hits) or "-1"
            with lock:
                rows = db.execute(f"SELECT id, text, municipality, outcome FROM lessons WHERE id IN ({marks})"
                                  ).fetchall()
            "\n".join(f"{m} ({o}): {t[:200]}" for _, t, m, o in rows)  # the reply

        next_id = iter(range(size, 10**9))

        def capture_one(text: str) -> None:
            lesson_id = next(next_id)
            with lock:
                db.execute("INSERT INTO lessons VALUES (?, ?, 'Zwolle', 'gelukt')", (lesson_id, text))
                db.commit()
            index.upsert([lesson_id], self.embedder.embed_passages([text]))

        capture = capture_share(self.embedder.embed_passages, capture_one, self._capture_texts())
        result = self.result(index, size, load_seconds, capture, ask, qvectors, questions, loaded_rss - before)
        index.save(self.work / "index", self.embedder.id, revision=len(index))
        db.close()
        result["index_bytes_per_lesson"] = round(dir_bytes(self.work) / size)
        return result
