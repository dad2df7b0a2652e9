"""The chromadb and txtai side of benchmarks/speed.py: the same operations, on their own stores."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from common import dir_bytes, rss_mb
from corpus import embedder_for, lessons, load
from speed import CAPTURES, CLIENTS, Timer, capture_share, latencies

BATCH = 5000
SELECT = "select id, text, municipality, outcome, score from txtai where similar(:q)"


def open_store(system: str, work: Path, embedder: Any, lookup: dict[int, np.ndarray] | None = None) -> Any:
    """A chromadb collection or txtai index under `work`. txtai gets vectors through a transform that
    looks texts up by hash (corpus vectors) and falls back to the e5 embedder (new texts, questions)."""
    if system == "chromadb":
        import chromadb
        from chromadb.config import Settings

        client = chromadb.PersistentClient(path=str(work / "chroma"), settings=Settings(anonymized_telemetry=False))
        return client, client.get_or_create_collection(
            "lessons", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)  # type: ignore[arg-type]
    from txtai import Embeddings

    known = lookup if lookup is not None else {}

    def transform(inputs: list[Any]) -> np.ndarray:
        texts = [item if isinstance(item, str) else item[1] for item in inputs]
        out = [known.get(hash(t)) for t in texts]
        missing = [i for i, v in enumerate(out) if v is None]
        if missing:
            fresh = embedder.embed_queries([texts[i] for i in missing])
            for j, i in enumerate(missing):
                out[i] = fresh[j]
        return np.vstack(out)  # type: ignore[arg-type]

    embeddings = Embeddings(method="external", transform=transform, content=True, backend="faiss")
    if (work / "txtai").exists():
        embeddings.load(str(work / "txtai"), config={"transform": transform})
    return known, embeddings


class StoreBench:
    def __init__(self, system: str, corpus: Path, work: Path, embedder_name: str, cache: Path | None) -> None:
        self.system, self.corpus, self.work = system, corpus, work
        self.embedder = embedder_for(embedder_name, None)
        self.timer = Timer()
        self.known: dict[int, np.ndarray] = {}  # txtai: vectors by text hash, read by its transform
        work.mkdir(parents=True, exist_ok=True)

    def batches(self, vectors: np.ndarray) -> Iterator[tuple[int, list[dict[str, Any]], np.ndarray]]:
        stream = lessons(self.corpus)
        start = 0
        while chunk := list(islice(stream, BATCH)):
            yield start, chunk, np.asarray(vectors[start:start + len(chunk)])
            start += len(chunk)

    def run(self) -> dict[str, Any]:
        size, vectors, questions, qvectors = load(self.corpus)
        before = rss_mb()
        started = time.perf_counter()
        if self.system == "chromadb":
            client, collection = open_store("chromadb", self.work, self.embedder)
            for start, chunk, block in self.batches(vectors):
                collection.add(ids=[str(start + n) for n in range(len(chunk))], embeddings=block,
                               documents=[r["text"] for r in chunk],
                               metadatas=[{"municipality": r["municipality"], "outcome": r["outcome"]} for r in chunk])
            structure = "hnsw (chromadb default)"
        else:
            known, embeddings = open_store("txtai", self.work, self.embedder, self.known)

            def rows(source: np.ndarray) -> Iterator[tuple[int, dict[str, Any]]]:
                for start, chunk, block in self.batches(source):
                    for n, r in enumerate(chunk):
                        known[hash(r["text"])] = block[n]
                        yield start + n, {"text": r["text"], "municipality": r["municipality"], "outcome": r["outcome"]}
                    if len(known) > 4 * BATCH:  # txtai encodes in batches as it goes; old vectors can go
                        for key in list(known)[: len(known) - 2 * BATCH]:
                            del known[key]

            embeddings.index(rows(vectors))
            known.clear()
            embeddings.save(str(self.work / "txtai"))
            structure = str(embeddings.config.get("build", {}).get("settings", {}).get("components", "?"))
        del vectors
        load_seconds = time.perf_counter() - started
        loaded_rss = rss_mb()
        capture, ask = self.operations(size, client if self.system == "chromadb" else None,
                                       collection if self.system == "chromadb" else embeddings)
        result = {"structure": structure, "lessons": size, "load_seconds": round(load_seconds, 1),
                  "load_per_s": round(size / load_seconds), "capture": capture,
                  "ask_1": latencies(ask, self.timer, questions, qvectors, 1),
                  "ask_8": latencies(ask, self.timer, questions, qvectors, CLIENTS),
                  "rss_mb_loaded": round(loaded_rss),
                  "rss_bytes_per_lesson": round((loaded_rss - before) * 2**20 / size)}
        if self.system == "txtai":
            embeddings.save(str(self.work / "txtai"))
        result["index_bytes_per_lesson"] = round(dir_bytes(self.work) / size)
        return result

    def operations(self, size: int, client: Any, store: Any
                   ) -> tuple[dict[str, Any], Callable[[str, np.ndarray], None]]:
        """Capture of new lessons (measured here) and the ask function for the latency runs."""
        texts = [f"Nieuw verhaal {n}: {r['text']}" for n, r in enumerate(islice(lessons(self.corpus), CAPTURES))]
        next_id = iter(range(size, 10**9))
        embed = self.timer.wrap("embed", self.embedder.embed_queries)
        if self.system == "chromadb":
            def capture_one(text: str) -> None:
                store.add(ids=[str(next(next_id))], embeddings=self.embedder.embed_passages([text]),
                          documents=[text], metadatas=[{"municipality": "Zwolle", "outcome": "gelukt"}])

            search = self.timer.wrap("search", lambda v: store.query(query_embeddings=v.reshape(1, -1), n_results=10,
                                                                     include=["distances"]))

            def ask(question: str, _vector: np.ndarray) -> None:
                found = search(embed([question])[0])
                got = store.get(ids=found["ids"][0], include=["documents", "metadatas"])
                "\n".join(f"{m['municipality']} ({m['outcome']}): {d[:200]}"
                          for d, m in zip(got["documents"], got["metadatas"], strict=True))  # the reply
        else:
            known = self.known
            lock = threading.Lock()  # one txtai index shared by the client threads; see docs/benchmarks.md

            def capture_one(text: str) -> None:
                known[hash(text)] = self.embedder.embed_passages([text])[0]
                with lock:
                    store.upsert([(next(next_id), {"text": text, "municipality": "Zwolle", "outcome": "gelukt"})])

            def txtai_search(question: str) -> list[dict[str, Any]]:
                with lock:
                    return store.search(SELECT, 10, parameters={"q": question})  # type: ignore[no-any-return]

            search = self.timer.wrap("search", txtai_search)

            def ask(question: str, _vector: np.ndarray) -> None:
                known[hash(question)] = embed([question])[0]  # handed to txtai by its transform
                found = search(question)  # content=True: the texts come back with the ids
                "\n".join(f"{r['municipality']} ({r['outcome']}): {r['text'][:200]}" for r in found)  # the reply

        return capture_share(self.embedder.embed_passages, capture_one, texts), ask
