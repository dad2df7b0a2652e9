"""Fit the three-way match decision and check that it transfers: leave one corpus out.

    python benchmarks/match_fit.py /tmp/match-features.json --heldout .eval-data/legal-heldout.jsonl \
        --json docs/benchmarks/match-fit.json

Reads the signals `match_features.py` collected. For every corpus C: a logistic model of "this lesson
answers the question" is fitted on the lessons ranked for the OTHER corpora's questions (whole corpora
and small bases), its two thresholds are chosen there too, and the result is scored on C, which took no
part in any choice:

- `related_at`, the bar below which the answer says "nog geen les": the highest score that keeps at most
  `--none-share` of the answerable training questions (per training corpus) above it;
- `match_at`, the bar for "this lesson answers it": the best mean no-match F1 over the training corpora,
  where "no match" (related or none) is right for another corpus's questions.

Questions listed in `--heldout` files are never used to fit or choose, in any fold or in the final fit;
they are scored on their own. The last line prints the decision fitted on all development data, as
`MatchDecision(...)`, for bot/search/decision.py.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import table, write_json

from bot.search.decision import FEATURES, Signals, features

Rows = list[dict[str, Any]]


def signals_of(doc: dict[str, float]) -> Signals:
    return Signals(cosine=doc["cosine"], background_z=doc["background_z"], background_gap=doc["background_gap"],
                   coverage=doc["coverage"], agree=bool(doc["agree"]), dense_rank=int(doc["dense_rank"]),
                   lexical_rank=int(doc["lexical_rank"]), base_size=int(doc["base_size"]))


class Featurised:
    """One corpus's questions with their top lessons as feature rows."""

    def __init__(self, rows: Rows, names: Sequence[str]) -> None:
        self.rows = rows
        self.x = [np.asarray([features(signals_of(d), names) for d in r["docs"]], dtype=np.float64)
                  .reshape(-1, len(names)) for r in rows]
        self.relevant = [np.asarray([d["relevant"] for d in r["docs"]], dtype=bool) for r in rows]
        self.answerable = np.asarray([r["answerable"] for r in rows], dtype=bool)
        self.full = np.asarray([r["base"] == "full" for r in rows], dtype=bool)

    def best(self, weights: np.ndarray, bias: float) -> np.ndarray:
        """Per question, the best lesson score (the answer's kind follows from it)."""
        return np.asarray([float((x @ weights).max()) + bias if len(x) else -1e9 for x in self.x])

    def subset(self, keep: np.ndarray) -> Featurised:
        out = Featurised.__new__(Featurised)
        out.rows = [r for r, k in zip(self.rows, keep, strict=True) if k]
        out.x = [x for x, k in zip(self.x, keep, strict=True) if k]
        out.relevant = [y for y, k in zip(self.relevant, keep, strict=True) if k]
        out.answerable, out.full = self.answerable[keep], self.full[keep]
        return out


def fit(sets: list[Featurised], steps: int = 4000, l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """Logistic regression of 'lesson is a right answer' over every ranked lesson of every question; each
    corpus weighs the same, and within it positives and negatives weigh the same."""
    xs, ys, ws = [], [], []
    for fs in sets:
        x = np.vstack([x for x in fs.x if len(x)])
        y = np.concatenate([y for y, x in zip(fs.relevant, fs.x, strict=True) if len(x)]).astype(float)
        pos = max(y.sum(), 1.0)
        neg = max(len(y) - y.sum(), 1.0)
        xs.append(x)
        ys.append(y)
        ws.append(np.where(y == 1, 0.5 / pos, 0.5 / neg) / len(sets))
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / std
    beta, bias = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ beta + bias)))
        g = (p - y) * w
        beta -= 2.0 * (z.T @ g + l2 * beta)
        bias -= 2.0 * g.sum()
    weights = beta / std
    return weights, float(bias - (beta * mean / std).sum())


def kinds(best: np.ndarray, match_at: float, related_at: float) -> np.ndarray:
    return np.where(best >= match_at, "match", np.where(best >= related_at, "related", "none"))


def f1(refused: np.ndarray, answerable: np.ndarray) -> float:
    tp = int((refused & ~answerable).sum())
    fp = int((refused & answerable).sum())
    fn = int((~refused & ~answerable).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose(sets: list[Featurised], weights: np.ndarray, bias: float, none_share: float) -> tuple[float, float]:
    bests = [fs.best(weights, bias) for fs in sets]
    related_at = min(float(np.quantile(b[fs.answerable], none_share)) for b, fs in zip(bests, sets, strict=True))
    candidates = np.unique(np.concatenate([b[b >= related_at] for b in bests]))
    candidates = candidates[:: max(1, len(candidates) // 2000)]

    def mean_f1(t: float) -> float:
        return float(np.mean([f1(b < t, fs.answerable) for b, fs in zip(bests, sets, strict=True)]))

    match_at = float(max(candidates, key=mean_f1)) if len(candidates) else related_at
    return match_at, related_at


def mrr(fs: Featurised, weights: np.ndarray, *, rerank: bool) -> float | None:
    """MRR@10 over the answerable questions: in the search's fused order, or with the same ten lessons
    re-ranked by the decision score (a second-stage re-ranker from the same signals)."""
    ranks = []
    for x, y, answerable in zip(fs.x, fs.relevant, fs.answerable, strict=True):
        if not answerable:
            continue
        order = np.argsort(-(x @ weights), kind="stable") if rerank and len(x) else np.arange(len(y))
        hit = next((i for i, j in enumerate(order) if y[j]), None)
        ranks.append(0.0 if hit is None else 1.0 / (hit + 1))
    return round(float(np.mean(ranks)), 4) if ranks else None


def scores(fs: Featurised, weights: np.ndarray, bias: float, match_at: float, related_at: float) -> dict[str, Any]:
    """What a user of this corpus would see: how answerable questions and foreign ones are answered."""
    out: dict[str, Any] = {}
    for label, keep in (("whole corpus", fs.full), ("small bases", ~fs.full)):
        part = fs.subset(keep)
        if not len(part.rows):
            continue
        k = kinds(part.best(weights, bias), match_at, related_at)
        ans, una = part.answerable, ~part.answerable
        right = np.asarray([bool(y[np.argmax(x @ weights)]) if len(x) else False
                            for x, y in zip(part.x, part.relevant, strict=True)])
        out[label] = {
            "answerable": int(ans.sum()), "unanswerable": int(una.sum()),
            "MRR@10": mrr(part, weights, rerank=False), "MRR@10 re-ranked by score": mrr(part, weights, rerank=True),
            "answerable none": round(float((k[ans] == "none").mean()), 4) if ans.any() else None,
            "answerable match": round(float((k[ans] == "match").mean()), 4) if ans.any() else None,
            "answerable match, right lesson first": round(float(((k == "match") & right)[ans].mean()), 4)
            if ans.any() else None,
            "unanswerable match": round(float((k[una] == "match").mean()), 4) if una.any() else None,
            "no-match F1": round(f1(k != "match", ans), 4) if una.any() else None,
            "none F1": round(f1(k == "none", ans), 4) if una.any() else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("features", type=Path)
    parser.add_argument("--heldout", type=Path, action="append", default=[], help="questions never fitted on")
    parser.add_argument("--none-share", type=float, default=0.002,
                        help="share of answerable training questions allowed below the related bar")
    parser.add_argument("--inputs", default=",".join(FEATURES), help="model inputs (bot.search.decision)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    names = [n for n in args.inputs.split(",") if n]
    held = {str(json.loads(line)["qid"]) for path in args.heldout for line in path.open(encoding="utf-8")
            if line.strip()}
    data = {name: Featurised(rows, names) for name, rows in json.loads(args.features.read_text()).items()}
    dev = {name: fs.subset(np.asarray([r["qid"] not in held for r in fs.rows], dtype=bool))
           for name, fs in data.items()}
    heldout = {name: fs.subset(np.asarray([r["qid"] in held for r in fs.rows], dtype=bool))
               for name, fs in data.items()}
    report: dict[str, Any] = {"inputs": names, "none_share": args.none_share, "folds": {}}
    rows = []
    for test in data:
        train = [fs for name, fs in dev.items() if name != test]
        weights, bias = fit(train)
        match_at, related_at = choose(train, weights, bias, args.none_share)
        result = scores(dev[test], weights, bias, match_at, related_at)
        if len(heldout[test].rows):
            result.update({f"held-out {k}": v for k, v in scores(heldout[test], weights, bias, match_at,
                                                                  related_at).items()})
        report["folds"][test] = {"weights": weights.round(4).tolist(), "bias": round(bias, 4),
                                 "match_at": round(match_at, 4), "related_at": round(related_at, 4),
                                 "scores": result}
        rows += [{"scored on (not fitted on)": f"{test}: {part}", **metrics} for part, metrics in result.items()]
    print(table(rows, list(dict.fromkeys(k for r in rows for k in r))))
    weights, bias = fit(list(dev.values()))
    match_at, related_at = choose(list(dev.values()), weights, bias, args.none_share)
    report["final"] = {"weights": weights.round(4).tolist(), "bias": round(bias, 4), "match_at": round(match_at, 4),
                       "related_at": round(related_at, 4),
                       "scores": {name: scores(fs, weights, bias, match_at, related_at) for name, fs in dev.items()}}
    write_json(args.json, report)
    print(f"MatchDecision(weights=({', '.join(f'{w:.4g}' for w in weights)}), bias={bias:.4g}, "
          f"match_at={match_at:.4g}, related_at={related_at:.4g}, inputs={tuple(names)})")


if __name__ == "__main__":
    main()
