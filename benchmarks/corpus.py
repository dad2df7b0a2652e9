"""A seeded corpus of N lessons for the speed benchmarks, built from the real passages in ../shared/eval.

    python benchmarks/corpus.py --size 100000 --out /tmp/leerkring-bench/100k --cache .eval-cache

How it is made (the same seed gives the same corpus):
- Text: each lesson joins the first half of one real passage (Kamervragen answers and Rijksoverheid
  answers, 3,992 passages) to the second half of another, so word statistics are those of real text.
- Vectors: encoding 100,000 or 1,000,000 texts with e5 on two cores would take hours to days, so the
  vectors are SYNTHESISED in the same space: the e5 vectors of the two parent passages, weighted by the
  share of text each contributed, plus Gaussian noise (sigma 0.01 per dimension), normalised. Lessons
  that share a parent are neighbours, as stories on one subject are.
- Questions: the real Kamervragen development questions, encoded with e5 as queries.
- Municipality, theme and outcome: drawn at random (municipalities from the CBS list).

Files: lessons.jsonl, vectors.npy (float32, row i = lesson i), questions.jsonl, question_vectors.npy,
corpus.json (how it was made). With --embedder fake the hashing embedder replaces e5 (CI smoke test).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, write_json

from bot.evaluation import CachingEmbedder
from bot.importer import read_records
from bot.municipalities import registry
from bot.search.embedder import E5Embedder, Embedder, HashingEmbedder

EVAL = ROOT.parent / "shared" / "eval"
THEMES = ["participatie", "wonen", "energie", "jeugd", "zorg", "armoede", "omgevingswet", "mobiliteit",
          "veiligheid", "duurzaamheid", "onderwijs", "werk", "digitalisering", "cultuur"]
NOISE = 0.01


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def make(size: int, out: Path, embedder: Embedder, seed: int = 11, questions: int = 300) -> dict[str, object]:
    started = time.perf_counter()
    base = [str(r["text"]) for name in ("kamervragen-corpus.jsonl", "rijksoverheid-vac-corpus.jsonl")
            for _, r in read_records(EVAL / name) if "__error__" not in r and r.get("text")]
    base_vectors = embedder.embed_passages(base)
    halves = [(s[: max(1, len(s) // 2)], s[max(1, len(s) // 2):] or s) for s in (sentences(t) for t in base)]
    rng = np.random.default_rng(seed)
    places = [m.name for m in registry().all]
    out.mkdir(parents=True, exist_ok=True)
    vectors = np.lib.format.open_memmap(out / "vectors.npy", mode="w+", dtype=np.float32,
                                        shape=(size, embedder.dim))
    with (out / "lessons.jsonl").open("w", encoding="utf-8") as handle:
        for start in range(0, size, 10_000):
            n = min(10_000, size - start)
            first, second = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
            chunk = np.empty((n, embedder.dim), dtype=np.float32)
            for row in range(n):
                a, b = int(first[row]), int(second[row])
                head, tail = " ".join(halves[a][0]), " ".join(halves[b][1])
                text = (head + " " + tail)[:1500]
                share = len(head) / max(1, len(head) + len(tail))
                chunk[row] = share * base_vectors[a] + (1 - share) * base_vectors[b]
                lesson = {"id": f"bench-{start + row}", "text": text,
                          "municipality": places[int(rng.integers(len(places)))],
                          "themes": [THEMES[int(rng.integers(len(THEMES)))]],
                          "outcome": ["gelukt", "mislukt", "gemengd"][int(rng.integers(3))]}
                handle.write(json.dumps(lesson, ensure_ascii=False) + "\n")
            chunk += rng.normal(0, NOISE, chunk.shape).astype(np.float32)
            vectors[start:start + n] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    vectors.flush()
    asked = [str(q["query"]) for _, q in read_records(EVAL / "kamervragen-dev.jsonl") if "__error__" not in q]
    asked = [asked[i] for i in np.random.default_rng(seed + 1).permutation(len(asked))[:questions]]
    with (out / "questions.jsonl").open("w", encoding="utf-8") as handle:
        for question in asked:
            handle.write(json.dumps({"query": question}, ensure_ascii=False) + "\n")
    np.save(out / "question_vectors.npy", embedder.embed_queries(asked))
    info: dict[str, object] = {"size": size, "seed": seed, "embedder": embedder.id, "base_passages": len(base),
                               "noise_sigma": NOISE, "questions": len(asked),
                               "seconds": round(time.perf_counter() - started, 1)}
    write_json(out / "corpus.json", info)
    return info


def lessons(directory: Path) -> Iterator[dict[str, Any]]:
    """The corpus's lessons, read one at a time (the harness must not hold them all in memory)."""
    with (directory / "lessons.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def load(directory: Path) -> tuple[int, np.ndarray, list[str], np.ndarray]:
    """Size, lesson vectors (memory-mapped), questions and their vectors."""
    questions = [str(json.loads(line)["query"]) for line in (directory / "questions.jsonl").open(encoding="utf-8")]
    info = json.loads((directory / "corpus.json").read_text())
    return (int(info["size"]), np.load(directory / "vectors.npy", mmap_mode="r"), questions,
            np.load(directory / "question_vectors.npy"))


def embedder_for(name: str, cache: Path | None) -> Embedder:
    embedder: Embedder = HashingEmbedder() if name == "fake" else E5Embedder()
    return CachingEmbedder(embedder, cache) if cache is not None else embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--embedder", choices=["e5", "fake"], default="e5")
    parser.add_argument("--cache", type=Path, default=None, help="passage vector cache (as leerkring eval)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(make(args.size, args.out, embedder_for(args.embedder, args.cache), args.seed))


if __name__ == "__main__":
    main()
