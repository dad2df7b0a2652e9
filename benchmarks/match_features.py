"""Collect the signals the match decision weighs, on every evaluation corpus and at every base size.

    python benchmarks/match_features.py --cache .eval-cache --out /tmp/match-features.json

For each corpus (`--corpus NAME=CORPUS.jsonl:QUESTIONS.jsonl`, default: the two sets in ../shared/eval) it
asks, of the whole corpus, the corpus's own questions (answerable) and every other corpus's questions (no
answer here). Then it builds small bases, as a new network has them: `--sizes` lessons (default 1, 3, 10,
50), each holding the answer to one of the corpus's questions plus lessons drawn at random. Each small base
is asked that question (answerable), a question of the same corpus whose answer is not in the base
(unanswerable, same domain) and a question of another corpus (unanswerable, other domain).

For each question it keeps, for each of the top 10 lessons: whether it is a right answer, and the signals
of `bot.search.decision`. `match_fit.py` fits and checks the decision from this file, without the model.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT
from tqdm import tqdm

from bot.bootstrap import bootstrap, make_embedder
from bot.config import Settings
from bot.evaluation import CachingEmbedder
from bot.importer import read_records, record_to_draft
from bot.search.embedder import Embedder

EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_CORPORA = {
    "kamervragen": (EVAL / "kamervragen-corpus.jsonl", EVAL / "kamervragen-dev.jsonl"),
    "rijksoverheid": (EVAL / "rijksoverheid-vac-corpus.jsonl", EVAL / "rijksoverheid-vac-dev.jsonl"),
}


def _records(path: Path) -> list[dict[str, Any]]:
    return [r for _, r in read_records(path) if "__error__" not in r]


def _ask_all(records: list[dict[str, Any]], questions: list[tuple[dict[str, Any], np.ndarray, set[str]]],
             embedder: Embedder, label: str) -> list[dict[str, Any]]:
    """Load `records` into a throwaway base and ask each question; rows of signals per question."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(LEERKRING_DATA_DIR=Path(tmp) / "d", LEERKRING_INDEX_DIR=Path(tmp) / "i",
                            DATABASE_URL="", _env_file=None)  # type: ignore[call-arg]
        app = bootstrap(settings, embedder=embedder, start_index=False)
        try:
            saved = app.repo.save_lessons([record_to_draft(r, platform="eval") for r in records])
            id_of = {lesson.id: str(r["id"]) for (lesson, _), r in zip(saved, records, strict=True)}
            app.engine.sync()
            rows = []
            for query, vector, positives in questions:
                ranked = app.engine.search(str(query["query"]), k=10, query_vector=vector).ranked
                rows.append({"base": label, "size": len(records), "qid": str(query.get("qid")),
                             "answerable": bool(positives),
                             "docs": [{"relevant": id_of[s.lesson_id] in positives, **s.signals.as_dict()}
                                      for s in ranked]})
            return rows
        finally:
            app.close()


def collect(corpora: dict[str, tuple[Path, Path]], embedder: Embedder, sizes: list[int], bases: int,
            seed: int, limit: int | None = None) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    loaded = {name: (_records(corpus), _records(queries)[:limit]) for name, (corpus, queries) in corpora.items()}
    vectors = {name: embedder.embed_queries([str(q["query"]) for q in queries])
               for name, (_, queries) in tqdm(loaded.items(), desc="questions")}
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (records, queries) in loaded.items():
        own = [(q, vectors[name][i], {str(p) for p in q.get("positive_ids") or []}) for i, q in enumerate(queries)]
        foreign = [(q, vectors[other][i], set()) for other, (_, qs) in loaded.items() if other != name
                   for i, q in enumerate(qs)]
        rows = _ask_all(records, own + foreign, embedder, "full")
        by_id = {str(r["id"]): r for r in records}
        for size in sizes:
            for _ in tqdm(range(bases), desc=f"{name} bases of {size}"):
                query, vector, positives = rng.choice(own)
                answer = by_id.get(sorted(positives)[0])
                if answer is None:
                    continue
                others = [r for r in rng.sample(records, min(len(records), size + 5))
                          if str(r["id"]) not in positives][:size - 1]
                base = [answer, *others]
                in_base = {str(r["id"]) for r in base}
                asked = [(query, vector, positives & in_base), rng.choice(foreign)]
                unanswered = next((q for q in (rng.choice(own) for _ in range(100)) if not (q[2] & in_base)), None)
                if unanswered is not None:  # a base can hold every answer of a small corpus
                    asked.append((unanswered[0], unanswered[1], set()))
                rows += _ask_all(base, asked, embedder, f"small-{size}")
        out[name] = rows
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=CORPUS:QUESTIONS",
                        help="a corpus and its questions (repeatable); default: the two sets in ../shared/eval")
    parser.add_argument("--cache", type=Path, default=None, help="passage vectors kept between runs")
    parser.add_argument("--sizes", default="1,3,10,50")
    parser.add_argument("--bases", type=int, default=60, help="small bases per size and corpus")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--embedder", default="e5", help="e5, or fake for a quick check")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions of each corpus")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    corpora = dict(DEFAULT_CORPORA)
    if args.corpus:
        corpora = {}
        for spec in args.corpus:
            name, _, paths = spec.partition("=")
            corpus, _, queries = paths.partition(":")
            corpora[name] = (Path(corpus), Path(queries))
    embedder = make_embedder(Settings(LEERKRING_EMBEDDER=args.embedder, _env_file=None))  # type: ignore[call-arg]
    if args.cache is not None:
        embedder = CachingEmbedder(embedder, args.cache)
    data = collect(corpora, embedder, [int(s) for s in args.sizes.split(",") if s], args.bases, args.seed, args.limit)
    args.out.write_text(json.dumps(data))
    print(f"{sum(len(rows) for rows in data.values())} questions written to {args.out}")


if __name__ == "__main__":
    main()
