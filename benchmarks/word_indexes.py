"""The two word indexes (BM25 over words, BM25 over character 4-grams) at scale: memory once loaded from
their saved file, load time, and search time for real questions, without the model or the database.

    python benchmarks/word_indexes.py --lessons 100000 --json ../docs/benchmarks/word-indexes.json

Lessons are made as in corpus.py: the first half of one evaluation passage joined to the second half of
another (seed 11). Questions are the Kamervragen development questions. Each size is saved once, then a
fresh process loads it and answers a first question, and is measured (VmRSS before loading and once ready to
answer), so nothing of the building stays.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine, pct, rss_mb, table, write_json

EVAL = ROOT.parent / "shared" / "eval"


def lessons(count: int) -> list[list[str]]:
    from bot.search.text import tokenize

    texts = [json.loads(line)["text"] for name in ("kamervragen-corpus.jsonl", "rijksoverheid-vac-corpus.jsonl")
             for line in (EVAL / name).read_text().splitlines() if line.strip()]
    terms = [tokenize(text) for text in texts]
    rng = random.Random(11)
    out = []
    for _ in range(count):
        first, second = terms[rng.randrange(len(terms))], terms[rng.randrange(len(terms))]
        out.append(first[: len(first) // 2] + second[len(second) // 2:])
    return out


def build(count: int, directory: Path) -> dict[str, Any]:
    from bot.search.lexical import COARSE, BM25Index
    from bot.search.text import char_ngrams

    words, grams = BM25Index(), BM25Index(levels=COARSE)
    started = time.perf_counter()
    postings = 0
    for doc, terms in enumerate(lessons(count), 1):
        ngrams = char_ngrams(terms)
        words.add(doc, terms)
        grams.add(doc, ngrams)
        postings += len(set(terms)) + len(set(ngrams))
    added = time.perf_counter() - started
    started = time.perf_counter()
    (directory / "words.bin").write_bytes(words.to_bytes())
    (directory / "grams.bin").write_bytes(grams.to_bytes())
    return {"add_s": round(added, 1), "save_s": round(time.perf_counter() - started, 2),
            "postings_per_lesson": round(postings / count, 1),
            "file_bytes_per_lesson": round(sum(f.stat().st_size for f in directory.glob("*.bin")) / count)}


def measure(directory: Path, questions: int) -> dict[str, Any]:
    """In a fresh process: load both indexes, then search with real questions."""
    from bot.search.lexical import BM25Index
    from bot.search.text import char_ngrams, tokenize

    asked = [tokenize(json.loads(line)["query"])
             for line in (EVAL / "kamervragen-dev.jsonl").read_text().splitlines()[:questions]]
    before = rss_mb()
    started = time.perf_counter()
    words = BM25Index.from_bytes((directory / "words.bin").read_bytes())
    grams = BM25Index.from_bytes((directory / "grams.bin").read_bytes())
    words.search(asked[0], 200)  # ready to answer: whatever the first search builds is built
    grams.search(char_ngrams(asked[0]), 200)
    loaded = time.perf_counter() - started
    held = rss_mb() - before
    times = []
    for terms in asked:
        started = time.perf_counter()
        found = words.search(terms, 200)
        grams.search(char_ngrams(terms), 200)
        words.coverages(terms, [doc for doc, _ in found[:10]])
        times.append(time.perf_counter() - started)
    return {"lessons": len(words), "load_s": round(loaded, 2), "rss_mb": round(held, 1),
            "bytes_per_lesson": round(held * 1024 * 1024 / max(len(words), 1)),
            "search_p50_ms": pct(times, 50), "search_p99_ms": pct(times, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", default="100000", help="comma-separated sizes")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the fresh process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.questions)))
        return
    rows = []
    for count in (int(x) for x in args.lessons.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            built = build(count, Path(tmp))
            done = subprocess.run([sys.executable, __file__, "--measure", tmp, "--questions", str(args.questions)],
                                  capture_output=True, text=True, check=True)
            rows.append({**json.loads(done.stdout.strip().splitlines()[-1]), **built})
    print(table(rows, ["lessons", "postings_per_lesson", "rss_mb", "bytes_per_lesson", "file_bytes_per_lesson",
                       "load_s", "search_p50_ms", "search_p99_ms", "add_s", "save_s"]))
    if args.json:
        write_json(args.json, {"machine": machine(), "sizes": rows})


if __name__ == "__main__":
    main()
