"""Where search and ranking spend their time: the whole bot's engine on a speed-benchmark corpus, each
question's search split into its stages (dense, words, 4-grams, fusion, word coverage, the rest).

    python benchmarks/search_stages.py --corpus /tmp/leerkring-bench/corpus-e5-100000 \
        --json docs/benchmarks/search-stages-100k.json

The corpus is one benchmarks/speed.py made (lessons, synthesised vectors, e5 question vectors). Questions
are given their vectors, so no embedding is timed; each stage is timed by wrapping the engine's own parts.
The search is the one an answer makes: 20 lessons ranked, with the asker's visibility rule applied.

With `--ask FILE` it measures whole answers instead, for that file's questions (for chat-length questions,
../shared/eval/rijksoverheid-vac-dev.jsonl): each question embedded by the corpus's model when it is asked
(e5 for an e5 corpus), searched, and its answer composed (lessons fetched, reply rendered), as
`service.ask` does; stages embed, search + ranking and compose.

With `--work DIR` the built bot is kept in DIR, and a later run loads it from there the way a restarted
process does (its load time and RSS after loading are reported), so a million lessons are built once:

    python benchmarks/search_stages.py --corpus /tmp/leerkring-bench/corpus-e5-1000000 --work /tmp/bot-1m

    python benchmarks/search_stages.py --corpus /tmp/leerkring-bench/corpus-e5-100000 \
        --ask ../shared/eval/rijksoverheid-vac-dev.jsonl --words 8-25 --json docs/benchmarks/ask-chat-100k.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import machine, overlap, pct, rss_mb, rss_parts_mb, table, write_json
from corpus import load

from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.importer import import_file
from bot.model import Asker
from bot.search import engine as engine_module
from bot.search.embedder import Embedder, HashingEmbedder
from bot.storage.repository import content_hash

STAGES = ("dense", "words", "4-grams", "retrieval", "fusion", "coverage")
# Dense, words and 4-grams are timed in the thread each runs in; from engine.PARALLEL_FROM lessons the word
# lists run beside the dense scan, so "retrieval" (the three lists, wall clock) is what the answer waits for.
SERIAL = ("retrieval", "fusion", "coverage")


def encoder_for(model: str) -> Embedder:
    """The corpus's question encoder: e5 for an e5 corpus (loaded and run once), else the hashing one."""
    from bot.search.embedder import E5Embedder

    encoder = HashingEmbedder(dim=int(model.rsplit("-", 1)[1])) if model.startswith("hashing") else E5Embedder()
    encoder.embed_queries(["warm"])
    return encoder


def build(corpus: Path, work: Path, model: str) -> tuple[Any, dict[str, Any], Embedder]:
    """The whole bot on the corpus in `work`: built there (lessons imported, vectors stored, indexes made and
    saved), or, when `work` already holds it, loaded the way a restarted process loads it, with the corpus's
    question encoder (the e5 model for an e5 corpus) in memory as the bot has it."""
    _, vectors, _, _ = load(corpus)
    settings = Settings(LEERKRING_DATA_DIR=work / "data", LEERKRING_INDEX_DIR=work / "index", DATABASE_URL="",
                        LEERKRING_EMBEDDER="fake", _env_file=None)  # type: ignore[call-arg]
    embedder = HashingEmbedder(dim=vectors.shape[1])
    if (work / "index").is_dir() and any((work / "index").iterdir()):
        before, started = rss_mb(), time.perf_counter()
        app = bootstrap(settings, embedder=embedder)
        app.engine.search("wijkbudget", k=5, query_vector=np.asarray(vectors[0]))
        loaded = time.perf_counter() - started
        app.engine.wait_for_restructure()  # a base saved in another structure than its size now calls for
        encoder = encoder_for(model)
        return app, {"restarted": True, "load_seconds": round(loaded, 2), "model": model,
                     "rss_mb_before": round(before), "rss_mb_loaded": round(rss_mb()),
                     "rss_parts_loaded": rss_parts_mb()}, encoder
    started = time.perf_counter()
    app = bootstrap(settings, embedder=embedder, start_index=False)
    import_file(app.repo, corpus / "lessons.jsonl", platform="bench")
    batch: list[tuple[int, str, bytes]] = []
    for lesson in app.repo.iter_lessons(batch=5000):
        row = int(lesson.source.message_id.rsplit("-", 1)[1])
        batch.append((lesson.id, content_hash(lesson.search_text()), np.asarray(vectors[row]).tobytes()))
        if len(batch) >= 5000:
            app.repo.store_vectors(embedder.id, batch)
            batch = []
    app.repo.store_vectors(embedder.id, batch)
    app.engine.sync()
    app.engine.wait_for_restructure()
    app.engine.search("wijkbudget", k=5, query_vector=np.asarray(vectors[0]))
    app.engine.save()
    loaded = time.perf_counter() - started
    encoder = encoder_for(model)
    return app, {"restarted": False, "load_seconds": round(loaded, 2), "model": model,
                 "rss_mb_loaded": round(rss_mb()), "rss_parts_loaded": rss_parts_mb()}, encoder


def timed(spent: dict[str, float], stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - started
    return wrapper


def measure(app: Any, questions: list[str], qvectors: np.ndarray) -> dict[str, Any]:
    engine = app.engine
    spent: dict[str, float] = defaultdict(float)
    engine._dense_search = timed(spent, "dense", engine._dense_search)
    engine.lexical.search = timed(spent, "words", engine.lexical.search)
    engine.ngrams.search = timed(spent, "4-grams", engine.ngrams.search)
    engine.lexical.coverages = timed(spent, "coverage", engine.lexical.coverages)
    if hasattr(engine, "_retrieve"):  # (an engine older than the parallel lists: "rest" holds them)
        engine._retrieve = timed(spent, "retrieval", engine._retrieve)
    original_fuse = engine_module.fuse
    engine_module.fuse = timed(spent, "fusion", original_fuse)  # type: ignore[assignment]
    per_stage: dict[str, list[float]] = defaultdict(list)
    totals, ranked = [], []
    exclude, _ = app.service._visibility(Asker("bench", "u1", "Bench", "c1"))
    try:
        for question, vector in zip(questions, qvectors, strict=True):
            spent.clear()
            started = time.perf_counter()
            found = engine.search(question, k=20, query_vector=vector, exclude=exclude)
            total = time.perf_counter() - started
            totals.append(total)
            ranked.append([hit.lesson_id for hit in found.ranked])
            for stage in STAGES:
                per_stage[stage].append(spent.get(stage, 0.0))
            per_stage["rest"].append(total - sum(spent.get(stage, 0.0) for stage in SERIAL))
    finally:
        engine_module.fuse = original_fuse  # type: ignore[assignment]
    rows = [{"stage": stage, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99),
             "share": round(sum(times) / sum(totals), 3)} for stage, times in per_stage.items()]
    rows.append({"stage": "search + ranking", "p50_ms": pct(totals, 50), "p99_ms": pct(totals, 99), "share": 1.0})
    return {"lessons": len(engine.meta), "questions": len(questions), "stages": rows, "ranked": ranked}


def agreement(ranked: list[list[int]], other: list[list[int]], k: int = 10) -> dict[str, float]:
    """How far two runs' rankings of the same questions agree: the share of one's top k in the other's, and
    how often the first lesson is the same."""
    first = [bool(a) and bool(b) and a[0] == b[0] for a, b in zip(ranked, other, strict=True)]
    return {f"top{k}_overlap": overlap(ranked, other, k), "first_same": round(float(np.mean(first)), 4)}


def measure_asks(app: Any, questions: list[str], embedder: Embedder) -> dict[str, Any]:
    """Whole answers: the question embedded when asked, searched, the answer composed and rendered."""
    from bot.render import render_answer
    from bot.search.question_vectors import QuestionVectors

    engine = app.engine
    embed_queries = embedder.embed_queries
    spent: dict[str, float] = defaultdict(float)
    embedder.embed_queries = timed(spent, "embed", embedder.embed_queries)  # type: ignore[method-assign]
    engine.questions = QuestionVectors(embedder)
    search = engine.search
    engine.search = timed(spent, "search + ranking", search)
    asker = Asker("bench", "u1", "Bench", "c1")
    per_stage: dict[str, list[float]] = defaultdict(list)
    words = []
    try:
        for question in questions:
            spent.clear()
            started = time.perf_counter()
            render_answer(app.service.ask(question, asker, record=False).answer)
            total = time.perf_counter() - started
            per_stage["embed"].append(spent["embed"])  # the search embeds the question itself
            per_stage["search + ranking"].append(spent["search + ranking"] - spent["embed"])
            per_stage["compose"].append(total - spent["search + ranking"])
            per_stage["ask"].append(total)
            words.append(len(question.split()))
    finally:
        engine.search = search
        embedder.embed_queries = embed_queries  # type: ignore[method-assign]
    rows = [{"stage": stage, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99),
             "share": round(sum(times) / sum(per_stage["ask"]), 3)} for stage, times in per_stage.items()]
    return {"lessons": len(engine.meta), "questions": len(questions), "words_median": int(np.median(words)),
            "stages": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=300, help="the corpus's first N questions")
    parser.add_argument("--ask", type=Path, help="measure whole answers to this file's questions")
    parser.add_argument("--words", default="", help="with --ask: only questions of MIN-MAX words (8-25: chat-length)")
    parser.add_argument("--serial", action="store_true",
                        help="also measure with every list searched in the calling thread, one after another")
    parser.add_argument("--work", type=Path, help="keep the built bot here; a later run loads it as a restart would")
    parser.add_argument("--ranked", type=Path, help="write each question's ranked lesson ids to this file")
    parser.add_argument("--agree", type=Path, help="compare the ranking with another run's --ranked file")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    _, _, questions, qvectors = load(args.corpus)
    questions, qvectors = questions[:args.questions], qvectors[:args.questions]
    model = json.loads((args.corpus / "corpus.json").read_text())["embedder"]
    with tempfile.TemporaryDirectory() as tmp:
        app, loading, encoder = build(args.corpus, args.work or Path(tmp), model)
        try:
            if args.ask:
                least, most = (int(x) for x in args.words.split("-")) if args.words else (0, 10**6)
                asked = [q for q in (str(json.loads(line)["query"]) for line in
                                     args.ask.read_text(encoding="utf-8").splitlines() if line.strip())
                         if least <= len(q.split()) <= most][:args.questions]
                measure_asks(app, asked[:10], encoder)  # warm
                result = measure_asks(app, asked[10:], encoder)
            else:
                measure(app, questions[:20], qvectors[:20])  # warm
                result = measure(app, questions, qvectors)
                ranked = result.pop("ranked")
                if args.ranked:
                    args.ranked.write_text(json.dumps(ranked))
                if args.agree:
                    result["agreement"] = agreement(ranked, json.loads(args.agree.read_text()))
                if args.serial:
                    parallel_from = engine_module.PARALLEL_FROM
                    engine_module.PARALLEL_FROM = 10**12
                    try:
                        result["serial"] = measure(app, questions, qvectors)["stages"]
                    finally:
                        engine_module.PARALLEL_FROM = parallel_from
            result.update(loading, rss_mb_after=round(rss_mb()), rss_parts_after=rss_parts_mb())
        finally:
            app.close()
    print(f"{result['lessons']:,} lessons, {result['questions']} questions; "
          f"{'loaded' if loading['restarted'] else 'built'} in {loading['load_seconds']} s, "
          f"RSS {loading['rss_mb_loaded']} MB after loading {loading['rss_parts_loaded']}, "
          f"{result['rss_mb_after']} MB after the questions {result['rss_parts_after']}")
    print(table(result["stages"], ["stage", "p50_ms", "p99_ms", "share"]))
    if "agreement" in result:
        print(f"against {args.agree}: {result['agreement']}")
    if "serial" in result:
        print("every list in the calling thread, one after another:")
        print(table(result["serial"], ["stage", "p50_ms", "p99_ms", "share"]))
    if args.json:
        write_json(args.json, {"machine": machine(), **result})


if __name__ == "__main__":
    main()
