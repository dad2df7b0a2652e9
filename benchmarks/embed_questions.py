"""What embedding a question costs before any search starts: chat-length questions (8-25 words) and the
long parliamentary ones, one at a time as the bot embeds them, and a question asked again in another
spelling (kept, not embedded again).

    python benchmarks/embed_questions.py --json ../docs/benchmarks/embed-questions.json

Chat-length: the Rijksoverheid citizens' questions and the Kamervragen questions of 8 to 25 words; long: the
Kamervragen questions of more than 25 words (../shared/eval). Nothing is cached between questions.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine, pct, table, write_json
from corpus import embedder_for

EVAL = ROOT.parent / "shared" / "eval"


def questions(limit: int) -> dict[str, list[str]]:
    asked = [json.loads(line)["query"] for name in ("rijksoverheid-vac-dev.jsonl", "kamervragen-dev.jsonl")
             for line in (EVAL / name).read_text().splitlines() if line.strip()]
    chat = [q for q in asked if 8 <= len(q.split()) <= 25][:limit]
    long = [q for q in asked if len(q.split()) > 25][:limit]
    return {"chat (8-25 words)": chat, "long (over 25 words)": long}


def measure(embedder_name: str, limit: int) -> list[dict[str, Any]]:
    from bot.search.question_vectors import QuestionVectors

    embedder = embedder_for(embedder_name, None)
    embedder.embed_queries(["opwarmen"])  # the model's first call loads it; not a question's cost
    rows = []
    for kind, texts in questions(limit).items():
        times = []
        for text in texts:
            started = time.perf_counter()
            embedder.embed_queries([text])
            times.append(time.perf_counter() - started)
        kept = QuestionVectors(embedder)
        kept.get(texts[:50])
        started = time.perf_counter()
        kept.get([f"  {t.lower().rstrip('?')} " for t in texts[:50]])  # the same questions, spelled otherwise
        again = (time.perf_counter() - started) / max(len(texts[:50]), 1)
        rows.append({"questions": kind, "count": len(texts),
                     "words (median)": sorted(len(t.split()) for t in texts)[len(texts) // 2],
                     "p50 ms": pct(times, 50), "p99 ms": pct(times, 99), "asked again ms": round(again * 1000, 3)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", choices=["e5", "fake"], default="e5")
    parser.add_argument("--limit", type=int, default=300, help="questions of each kind")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = measure(args.embedder, args.limit)
    print(table(rows, ["questions", "count", "words (median)", "p50 ms", "p99 ms", "asked again ms"]))
    write_json(args.json, {"machine": machine(), "embedder": args.embedder, "rows": rows})


if __name__ == "__main__":
    main()
