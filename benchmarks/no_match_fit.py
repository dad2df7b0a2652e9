"""Fit the "no good match" rule and check that it transfers from one corpus to the other.

    python benchmarks/no_match_fit.py --cache .eval-cache --features /tmp/no-match-features.json

For both evaluation corpora it asks the corpus's own questions (answerable) and the other set's questions
(no answer here), and keeps, for each of the top 10 lessons, the signals the rule weighs: the cosine, its
z against the background, the question's idf-weighted word coverage, and whether dense and word search
both put the lesson in their top 10. A logistic regression over those signals is fitted on one corpus,
its threshold chosen there, and scored on the other corpus (and the other way round), next to the rule
in use and a plain threshold on the top cosine. The features are saved, so refitting needs no model.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, table

from bot.bootstrap import bootstrap, make_embedder
from bot.config import Settings
from bot.evaluation import CachingEmbedder
from bot.importer import read_records, record_to_draft
from bot.search.fusion import MatchRule

EVAL = ROOT.parent / "shared" / "eval"
SETS = {"kamervragen": ("kamervragen-corpus.jsonl", "kamervragen-dev.jsonl", "rijksoverheid-vac-dev.jsonl"),
        "rijksoverheid": ("rijksoverheid-vac-corpus.jsonl", "rijksoverheid-vac-dev.jsonl", "kamervragen-dev.jsonl")}


def features(cache: Path | None) -> dict[str, list[dict[str, Any]]]:
    embedder = make_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    if cache is not None:
        embedder = CachingEmbedder(embedder, cache)
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (corpus, own, foreign) in SETS.items():
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(LEERKRING_DATA_DIR=Path(tmp) / "d", LEERKRING_INDEX_DIR=Path(tmp) / "i",
                                DATABASE_URL="", _env_file=None)  # type: ignore[call-arg]
            app = bootstrap(settings, embedder=embedder, start_index=False)
            app.repo.save_lessons([record_to_draft(r, platform="eval") for _, r in read_records(EVAL / corpus)])
            app.engine.sync()
            queries = [(q, True) for _, q in read_records(EVAL / own)] + \
                      [(q, False) for _, q in read_records(EVAL / foreign)]
            vectors = embedder.embed_queries([str(q["query"]) for q, _ in queries])
            rows = []
            for (query, answerable), vector in zip(queries, vectors, strict=True):
                ranked = app.engine.search(str(query["query"]), k=10, query_vector=vector).ranked
                rows.append({"answerable": answerable, "docs": [
                    [s.cosine, s.background_z, s.coverage,
                     float(s.dense_rank is not None and s.dense_rank < 10
                           and s.lexical_rank is not None and s.lexical_rank < 10)] for s in ranked]})
            app.close()
        out[name] = rows
    return out


def query_scores(rows: list[dict[str, Any]], weights: np.ndarray) -> np.ndarray:
    """Per question: the best linear score over its top lessons (a question is answered if any passes)."""
    return np.asarray([max((float(np.dot(weights, d)) for d in r["docs"]), default=-1e9) for r in rows])


def f1_at(scores: np.ndarray, answerable: np.ndarray, threshold: float) -> float:
    refused = scores < threshold
    tp = int((refused & ~answerable).sum())
    fp = int((refused & answerable).sum())
    fn = int((~refused & ~answerable).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def best_threshold(scores: np.ndarray, answerable: np.ndarray) -> float:
    candidates = np.unique(scores)
    return float(max(candidates, key=lambda t: f1_at(scores, answerable, t)))


def fit(rows: list[dict[str, Any]]) -> np.ndarray:
    """Logistic regression on the features of each question's top lesson by cosine (no intercept needed:
    the threshold plays that part)."""
    x = np.asarray([max(r["docs"], key=lambda d: d[0]) if r["docs"] else [0, 0, 0, 0] for r in rows])
    y = np.asarray([r["answerable"] for r in rows], dtype=float)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    balance = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(z @ w)))
        w -= 0.5 * (z.T @ ((p - y) * balance)) / len(y)
    return w[:-1] / std  # weights on the raw features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--features", type=Path, required=True, help="read if it exists, else computed and saved")
    args = parser.parse_args()
    if args.features.exists():
        data = json.loads(args.features.read_text())
    else:
        data = features(args.cache)
        args.features.write_text(json.dumps(data))
    rule = MatchRule()
    current = np.asarray([0.0, rule.w_z, rule.w_coverage, rule.w_agree])
    answerable = {name: np.asarray([r["answerable"] for r in rows]) for name, rows in data.items()}
    results = []
    for train, test in (("kamervragen", "rijksoverheid"), ("rijksoverheid", "kamervragen")):
        for label, weights in (("rule in use", current), ("top cosine", np.asarray([1.0, 0, 0, 0])),
                               ("refitted on " + train, fit(data[train]))):
            own = query_scores(data[train], weights)
            threshold = rule.threshold if label == "rule in use" else best_threshold(own, answerable[train])
            other = query_scores(data[test], weights)
            results.append({"rule": label, "weights (cos, z, cov, agree)": np.round(weights, 3).tolist(),
                            "threshold from": train if label != "rule in use" else "fixed",
                            "threshold": round(threshold, 4), f"F1 {train}": round(f1_at(own, answerable[train],
                                                                                          threshold), 3),
                            f"F1 {test} (transfer)": round(f1_at(other, answerable[test], threshold), 3)})
    print(table(results, list(dict.fromkeys(k for r in results for k in r))))


if __name__ == "__main__":
    main()
