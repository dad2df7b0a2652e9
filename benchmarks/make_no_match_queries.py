"""Write a query file for measuring the "no good match" decision with `leerkring eval`.

It takes the answerable queries of one evaluation set and adds the queries of one or more other sets with
their positives removed: those questions have no answer in the first set's corpus. The mix is seeded.

    python benchmarks/make_no_match_queries.py ../shared/eval/kamervragen-dev.jsonl \
        ../shared/eval/rijksoverheid-vac-dev.jsonl .eval-data/legal-heldout.jsonl /tmp/kv-mixed.jsonl
    leerkring eval --queries /tmp/kv-mixed.jsonl --corpus ../shared/eval/kamervragen-corpus.jsonl --json
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path


def main(answerable: Path, foreign: list[Path], out: Path, seed: int = 7) -> None:
    rows = [json.loads(line) for line in answerable.open(encoding="utf-8") if line.strip()]
    others = [json.loads(line) for path in foreign for line in path.open(encoding="utf-8") if line.strip()]
    for row in others:
        row["qid"] = "none-" + str(row["qid"])
        row["positive_ids"] = []
    mixed = rows + others
    random.Random(seed).shuffle(mixed)
    with out.open("w", encoding="utf-8") as handle:
        for row in mixed:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} answerable + {len(others)} without an answer -> {out}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:-1]], Path(sys.argv[-1]))
