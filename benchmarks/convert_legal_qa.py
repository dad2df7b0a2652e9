"""Turn the Dutch legal attributed-QA set into Leerkring's evaluation format (a third, independent corpus).

    python benchmarks/convert_legal_qa.py /path/to/Legal-Dutch-Attributed-Question-Answering .eval-data/

The set (Redelaar, Verberne, de Boer, van Drie, NLLP 2024: "Attributed question answering for the Dutch
law") has 102 Dutch legal questions written and checked by people, each attributed to the law articles
that answer it, over a corpus of 4,653 articles from 17 Dutch laws (among them the Jeugdwet,
Participatiewet, Wet openbaarheid van bestuur and Wet kinderopvang). See docs/benchmarks.md for where to
get it and its terms; Leerkring's repository does not include the data.

Writes `legal-corpus.jsonl` and two question files with a fixed split: `legal-dev.jsonl` (odd question
ids: used to fit and choose) and `legal-heldout.jsonl` (even ids: only ever scored).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

CORPUS = "datasets/knowledge_corpus/small_corpus/knowledge_corpus_small.csv"
QUESTIONS = "datasets/QA_set/QA_set_102_smallcorpus.csv"


def _read(source: Path, path: str) -> list[dict[str, str]]:
    """A CSV from a checkout, or from a bare git directory (its HEAD)."""
    file = source / path
    if file.exists():
        text = file.read_text(encoding="utf-8")
    else:
        text = subprocess.run(["git", "--git-dir", str(source), "show", f"HEAD:{path}"], check=True,
                              capture_output=True, text=True, encoding="utf-8").stdout
    return list(csv.DictReader(text.splitlines(keepends=True)))


def convert(source: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    articles = _read(source, CORPUS)
    with (out / "legal-corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for row in articles:
            heading = " ".join(part for part in (row["law_name"], row["artikel"], row["titel_titel"]) if part)
            corpus.write(json.dumps({"id": row["DOC_ID"], "text": f"{heading}\n{row['text']}", "lang": "nl",
                                     "lowercased": True}, ensure_ascii=False) + "\n")
    known = {row["DOC_ID"] for row in articles}
    counts = {"corpus": len(articles), "dev": 0, "heldout": 0}
    with (out / "legal-dev.jsonl").open("w", encoding="utf-8") as dev, \
            (out / "legal-heldout.jsonl").open("w", encoding="utf-8") as heldout:
        for row in _read(source, QUESTIONS):
            positives = [p.strip() for p in row["human_attribution"].split(",") if p.strip() in known]
            if not positives:
                continue
            split = "dev" if int(row["question_id"]) % 2 else "heldout"
            line = {"qid": f"legal-{row['question_id']}", "query": row["question"].strip(),
                    "positive_ids": positives, "lang": "nl", "source": "legal-aqa-nllp2024"}
            (dev if split == "dev" else heldout).write(json.dumps(line, ensure_ascii=False) + "\n")
            counts[split] += 1
    return counts


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(convert(Path(sys.argv[1]), Path(sys.argv[2])))
