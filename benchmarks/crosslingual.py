"""Cross-lingual retrieval: English questions for Dutch lessons, Dutch questions for English lessons.

    python benchmarks/crosslingual.py --cache .eval-cache --json docs/benchmarks/crosslingual.json
    python benchmarks/crosslingual.py --gap

`--gap` measures what the search's CROSS_LANGUAGE_OFFSET corrects: how much lower e5's cosine is for a
question and a passage in different languages than in one, for each question with its own lesson and
with the other lessons.

`benchmarks/data/crosslingual.jsonl` holds 39 invented lessons of municipal practice, each written in
Dutch and in English, with a question in each language that asks for it in other words than the lesson
uses. Each direction is scored twice: over the 39 lessons alone, and with `--distractors` passages of the
Rijksoverheid corpus (Dutch government answers on every subject) mixed in, as a real base has them.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, machine, table, write_json

from bot.bootstrap import make_embedder
from bot.config import Settings
from bot.evaluation import run_eval
from bot.importer import read_records

DATA = ROOT / "benchmarks" / "data" / "crosslingual.jsonl"
DISTRACTORS = ROOT.parent / "shared" / "eval" / "rijksoverheid-vac-corpus.jsonl"
DIRECTIONS = {"en→nl": ("question_en", "nl"), "nl→en": ("question_nl", "en")}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def run(embedder_name: str, cache: Path | None, distractors: int, seed: int) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    extra: list[dict[str, Any]] = []
    if distractors and DISTRACTORS.exists():
        pool = [r for _, r in read_records(DISTRACTORS) if "__error__" not in r]
        extra = [{**r, "id": f"d-{r['id']}"} for r in random.Random(seed).sample(pool, min(distractors, len(pool)))]
    embedder = make_embedder(Settings(LEERKRING_EMBEDDER=embedder_name, _env_file=None))  # type: ignore[call-arg]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for direction, (question_field, lesson_field) in DIRECTIONS.items():
            lessons = [{"id": item["id"], "title": item["title"] if lesson_field == "nl" else "",
                        "text": item[lesson_field]} for item in items]
            questions = _write(Path(tmp) / f"{lesson_field}-q.jsonl",
                               [{"qid": item["id"], "query": item[question_field], "positive_ids": [item["id"]]}
                                for item in items])
            for label, corpus in (("alone", lessons), (f"+{len(extra)} distractors", lessons + extra)):
                if not corpus or (label != "alone" and not extra):
                    continue
                report = run_eval(questions, _write(Path(tmp) / f"{lesson_field}-c.jsonl", corpus), embedder,
                                  cache=cache)
                kinds = report["kinds"]["answerable"]  # type: ignore[index]
                rows.append({"direction": direction, "base": label, "lessons": len(corpus),
                             "questions": report["answerable"], "recall@1": report["recall@1"],
                             "recall@3": report["recall@3"], "mrr@10": report["mrr@10"],
                             "match": kinds["match"], "related": kinds["related"], "none": kinds["none"]})
    return rows


def gap(embedder_name: str) -> list[dict[str, Any]]:
    """Mean cosines of each question language with each lesson language: with its own lesson and with others."""
    items = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    embedder = make_embedder(Settings(LEERKRING_EMBEDDER=embedder_name, _env_file=None))  # type: ignore[call-arg]
    lessons = {lang: embedder.embed_passages([(item["title"] + "\n" if lang == "nl" else "") + item[lang]
                                              for item in items]) for lang in ("nl", "en")}
    questions = {lang: embedder.embed_queries([item[f"question_{lang}"] for item in items]) for lang in ("nl", "en")}
    others = ~np.eye(len(items), dtype=bool)
    rows = []
    for q_lang in ("nl", "en"):
        for l_lang in ("nl", "en"):
            cosines = questions[q_lang] @ lessons[l_lang].T
            rows.append({"question": q_lang, "lesson": l_lang, "own lesson": round(float(np.diag(cosines).mean()), 4),
                         "other lessons": round(float(cosines[others].mean()), 4)})
    return rows


def export(out: Path) -> None:
    """One corpus for benchmarks/match_features.py whose every question is in the other language than its
    lesson: odd items as a Dutch lesson asked in English, even items as an English lesson asked in Dutch."""
    items = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    out.mkdir(parents=True, exist_ok=True)
    odd = [n % 2 == 1 for n in range(1, len(items) + 1)]
    _write(out / "crosslingual-corpus.jsonl",
           [{"id": item["id"], "text": item["nl"] if o else item["en"]} for item, o in zip(items, odd, strict=True)])
    _write(out / "crosslingual-questions.jsonl",
           [{"qid": f"q-{item['id']}", "query": item["question_en"] if o else item["question_nl"],
             "positive_ids": [item["id"]]} for item, o in zip(items, odd, strict=True)])
    print(f"wrote {out / 'crosslingual-corpus.jsonl'} and {out / 'crosslingual-questions.jsonl'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", default="e5", help="e5, or fake for a quick check")
    parser.add_argument("--cache", type=Path, default=None, help="passage vectors kept between runs")
    parser.add_argument("--distractors", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--gap", action="store_true", help="only measure the cross-language cosine gap")
    parser.add_argument("--export", type=Path, default=None, metavar="DIR",
                        help="only write the mixed-language corpus and questions for match_features.py")
    args = parser.parse_args()
    if args.export is not None:
        export(args.export)
        return
    if args.gap:
        print(table(gap(args.embedder), ["question", "lesson", "own lesson", "other lessons"]))
        return
    rows = run(args.embedder, args.cache, args.distractors, args.seed)
    print(table(rows, ["direction", "base", "lessons", "questions", "recall@1", "recall@3", "mrr@10",
                       "match", "related", "none"]))
    write_json(args.json, {"machine": machine(), "embedder": args.embedder, "rows": rows})


if __name__ == "__main__":
    main()
