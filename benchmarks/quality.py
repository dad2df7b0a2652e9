"""Retrieval quality: Leerkring's hybrid search against BM25 alone, dense alone, chromadb and txtai,
all on the SAME passage and query vectors, so the comparison is about search and ranking, not the model.

    python benchmarks/quality.py --queries ../shared/eval/kamervragen-dev.jsonl \
        --corpus ../shared/eval/kamervragen-corpus.jsonl \
        --foreign ../shared/eval/rijksoverheid-vac-dev.jsonl --cache .eval-cache \
        --json docs/benchmarks/quality-kamervragen.json

`--foreign` adds another set's questions with no answer in this corpus, for the "no good match" F1.
Leerkring decides with its own three-way decision (match, related, none). The others have no such decision, so they
get the best threshold on their top score, chosen afterwards on these very questions (an upper bound
for them). Metrics are over the answerable questions; see bot/evaluation.py.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import ChromaStore, TxtaiStore, machine, table, write_json

from bot.bootstrap import bootstrap, make_embedder
from bot.config import Settings
from bot.evaluation import CachingEmbedder, QueryResult, score
from bot.importer import read_records, record_to_draft
from bot.lang import detect_language
from bot.search.embedder import HashingEmbedder
from bot.search.glossary import dutch_terms
from bot.search.text import tokenize

SYSTEMS = ("leerkring", "bm25", "dense", "chromadb", "txtai", "txtai-hybrid")


def best_threshold(top: list[float], answerable: list[bool]) -> float:
    """The top-score threshold (answer when top >= threshold) with the best no-match F1."""
    best, best_f1 = float("inf"), -1.0
    for threshold in [*sorted(set(top)), float("inf")]:
        tp = sum(1 for t, a in zip(top, answerable, strict=True) if t < threshold and not a)
        fp = sum(1 for t, a in zip(top, answerable, strict=True) if t < threshold and a)
        fn = sum(1 for t, a in zip(top, answerable, strict=True) if t >= threshold and not a)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return best


def run(queries_path: Path, corpus_path: Path, foreign: Path | None, embedder_name: str, cache: Path | None,
        limit: int | None, systems: tuple[str, ...]) -> dict[str, Any]:
    embedder = HashingEmbedder() if embedder_name == "fake" else make_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    if cache is not None:
        embedder = CachingEmbedder(embedder, cache)
    records = [r for _, r in read_records(corpus_path) if "__error__" not in r]
    queries = [q for _, q in read_records(queries_path) if "__error__" not in q][:limit]
    if foreign is not None:
        others = [q for _, q in read_records(foreign) if "__error__" not in q][:limit]
        queries += [{**q, "qid": f"none-{q['qid']}", "positive_ids": []} for q in others]
    texts = [str(q["query"]) for q in queries]
    qvectors = embedder.embed_queries(texts)
    report: dict[str, Any] = {"queries": str(queries_path), "corpus": str(corpus_path), "embedder": embedder.id,
                              "foreign": str(foreign) if foreign else None, "machine": machine(), "systems": {}}
    with tempfile.TemporaryDirectory(prefix="leerkring-quality-") as tmp:
        settings = Settings(LEERKRING_DATA_DIR=Path(tmp) / "data", LEERKRING_INDEX_DIR=Path(tmp) / "index",
                            DATABASE_URL="", _env_file=None)  # type: ignore[call-arg]
        app = bootstrap(settings, embedder=embedder, start_index=False)
        try:
            id_of: dict[int, str] = {}
            for record in records:
                lesson, _ = app.repo.save_lesson(record_to_draft(record, platform="eval"))
                id_of[lesson.id] = str(record.get("id"))
            app.engine.sync()
            lesson_ids, vectors = app.engine.dense.all_vectors()
            stored = app.repo.get_lessons([int(i) for i in lesson_ids])
            passages = [stored[int(i)].search_text() for i in lesson_ids]
            engine = app.engine

            def lexical_terms(q: str) -> list[str]:
                return tokenize(q) + (tokenize(dutch_terms(q)) if detect_language(q) == "en" else [])

            searchers: dict[str, Callable[[str, np.ndarray], list[tuple[int, float]]]] = {
                "bm25": lambda q, v: engine.lexical.search(lexical_terms(q), 10),
                "dense": lambda q, v: engine.dense.search(v, 10),
            }
            if "chromadb" in systems:
                chroma = ChromaStore()
                chroma.add([int(i) for i in lesson_ids], vectors, passages)
                searchers["chromadb"] = lambda q, v: chroma.search(v, 10)
            for name, hybrid in (("txtai", False), ("txtai-hybrid", True)):
                if name in systems:
                    store = TxtaiStore(hybrid=hybrid)
                    store.add([int(i) for i in lesson_ids], vectors, passages)
                    searchers[name] = (lambda s: lambda q, v: s.search(v, 10, q))(store)
            for name in systems:
                results, tops, seconds = [], [], []
                for query, text, vector in zip(queries, texts, qvectors, strict=True):
                    positives = {str(p) for p in query.get("positive_ids") or []}
                    started = time.perf_counter()
                    if name == "leerkring":
                        found = engine.search(text, k=10, query_vector=vector)
                        ranked, kind = [s.lesson_id for s in found.ranked], found.kind.value
                        top = max((s.decision_score for s in found.ranked), default=-1e9)
                    else:
                        hits = searchers[name](text, vector)
                        ranked, kind, top = [i for i, _ in hits], "match", (hits[0][1] if hits else -1e9)
                    seconds.append(time.perf_counter() - started)
                    results.append(QueryResult(str(query.get("qid")), positives, [id_of[i] for i in ranked], kind))
                    tops.append(top)
                rule = "its decision (match / related / none)"
                extra: dict[str, Any] = {}
                if name == "leerkring" and foreign is not None:  # its own rule score, on the others' terms
                    threshold = best_threshold(tops, [bool(r.positives) for r in results])
                    extra = {**score([QueryResult(r.qid, r.positives, r.ranked, "none" if t < threshold else "match")
                                      for r, t in zip(results, tops, strict=True)]),
                             "no_match_rule": f"best threshold {threshold:.4g}",
                             "search_ms_mean": round(1000 * float(np.mean(seconds)), 2)}
                elif foreign is not None:
                    threshold = best_threshold(tops, [bool(r.positives) for r in results])
                    for r, top in zip(results, tops, strict=True):
                        r.kind = "none" if top < threshold else "match"
                    rule = f"best threshold {threshold:.4g}"
                metrics = score(results)
                metrics["no_match_rule"] = rule if foreign is not None else None
                metrics["search_ms_mean"] = round(1000 * float(np.mean(seconds)), 2)
                report["systems"][name] = metrics
                if extra:
                    report["systems"][f"{name} (best threshold)"] = extra
        finally:
            app.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--foreign", type=Path, default=None, help="questions with no answer in this corpus")
    parser.add_argument("--embedder", choices=["e5", "fake"], default="e5")
    parser.add_argument("--cache", type=Path, default=None, help="passage vector cache (as leerkring eval)")
    parser.add_argument("--limit", type=int, default=None, help="first N queries of each file")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    report = run(args.queries, args.corpus, args.foreign, args.embedder, args.cache, args.limit,
                 tuple(s for s in args.systems.split(",") if s))
    rows = [{"system": name, "recall@1": m["recall@1"], "recall@10": m["recall@10"], "MRR@10": m["mrr@10"],
             "nDCG@10": m["ndcg@10"], "no-match F1": m["no_match"]["f1"] if args.foreign else None,
             "answerable: match / related / none": "{match} / {related} / {none}".format(**m["kinds"]["answerable"]),
             "foreign: match / related / none": "{match} / {related} / {none}".format(**m["kinds"]["unanswerable"])
             if args.foreign else None,
             "no-match decided by": m["no_match_rule"], "search ms": m["search_ms_mean"]}
            for name, m in report["systems"].items()]
    print(f"{args.queries.name} over {args.corpus.name}, embedder {report['embedder']}")
    print(table(rows, list(rows[0])))
    write_json(args.json, report)


if __name__ == "__main__":
    main()
