"""Sweep the "no good match" threshold over mixed query sets and print precision, recall, F1 and the share of
answerable questions that still get an answer. This is how `MatchRule.threshold` was chosen.

    python benchmarks/make_no_match_queries.py ../shared/eval/kamervragen-dev.jsonl \
        ../shared/eval/rijksoverheid-vac-dev.jsonl /tmp/kv-mixed.jsonl
    python benchmarks/make_no_match_queries.py ../shared/eval/rijksoverheid-vac-dev.jsonl \
        ../shared/eval/kamervragen-dev.jsonl /tmp/rv-mixed.jsonl
    python benchmarks/no_match_sweep.py --cache .eval-cache \
        ../shared/eval/kamervragen-corpus.jsonl /tmp/kv-mixed.jsonl \
        ../shared/eval/rijksoverheid-vac-corpus.jsonl /tmp/rv-mixed.jsonl
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bot.bootstrap import bootstrap, make_embedder
from bot.config import Settings
from bot.evaluation import CachingEmbedder
from bot.importer import read_records, record_to_draft
from bot.search.embedder import Embedder

THRESHOLDS = [8.0, 8.5, 9.0, 9.5, 10.0, 10.5, 11.0, 12.0]


def best_rule_scores(embedder: Embedder, corpus: Path, queries: Path) -> list[tuple[bool, float]]:
    """(answerable, highest rule score among the top 10) for every query."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(LEERKRING_DATA_DIR=Path(tmp) / "data", LEERKRING_INDEX_DIR=Path(tmp) / "index",
                            DATABASE_URL="", _env_file=None)  # type: ignore[call-arg]
        app = bootstrap(settings, embedder=embedder, start_index=False)
        for _, record in read_records(corpus):
            app.repo.save_lesson(record_to_draft(record, platform="eval"))
        app.engine.sync()
        rows = [q for _, q in read_records(queries)]
        vectors = embedder.embed_queries([str(q["query"]) for q in rows])
        scores = []
        for query, vector in zip(rows, vectors, strict=True):
            result = app.engine.search(str(query["query"]), k=10, query_vector=vector)
            scores.append((bool(query.get("positive_ids")), max((s.rule_score for s in result.ranked), default=-99.0)))
        app.close()
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("pairs", nargs="+", type=Path, help="corpus and mixed query file, repeated")
    args = parser.parse_args()
    embedder: Embedder = make_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    if args.cache:
        embedder = CachingEmbedder(embedder, args.cache)
    sets = {corpus.stem: best_rule_scores(embedder, corpus, queries)
            for corpus, queries in zip(args.pairs[::2], args.pairs[1::2], strict=True)}
    print("threshold | " + " | ".join(f"{name}: P / R / F1 / answerable kept" for name in sets))
    for threshold in THRESHOLDS:
        cells = []
        for rows in sets.values():
            tp = sum(1 for answerable, s in rows if not answerable and s < threshold)
            fp = sum(1 for answerable, s in rows if answerable and s < threshold)
            fn = sum(1 for answerable, s in rows if not answerable and s >= threshold)
            p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            kept = 1 - fp / max(sum(1 for answerable, _ in rows if answerable), 1)
            cells.append(f"{p:.3f} / {r:.3f} / {f1:.3f} / {kept:.3f}")
        print(f"{threshold:9.1f} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
