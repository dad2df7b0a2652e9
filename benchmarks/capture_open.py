"""Capture time while questions are open: a capture checks every open question it might answer.

    python benchmarks/capture_open.py --open 0,100,400 --json docs/benchmarks/capture-open.json

A base of `--lessons` Rijksoverheid passages with the bundled e5 model. One process asks `--open`
Kamervragen questions (those without a match stay open, their vectors saved with them); a second process on
the same database then saves `--captures` new lessons one by one through the service, as a chat handler
saves them. It prints the first capture and the median and p95 of the rest, with how many full searches
the open-question check ran per capture.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine, table, write_json

from bot.bootstrap import bootstrap, make_embedder
from bot.config import Settings
from bot.importer import read_records, record_to_draft
from bot.model import Asker, PersonRef, Source, Visibility
from bot.service import CaptureRequest

EVAL = ROOT.parent / "shared" / "eval"


def run(open_counts: list[int], lessons: int, captures: int) -> list[dict[str, Any]]:
    corpus = [r for _, r in read_records(EVAL / "rijksoverheid-vac-corpus.jsonl") if "__error__" not in r]
    questions = [str(q["query"]) for _, q in read_records(EVAL / "kamervragen-dev.jsonl") if "__error__" not in q]
    embedder = make_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    rows = []
    for count in open_counts:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(LEERKRING_DATA_DIR=Path(tmp) / "d", LEERKRING_INDEX_DIR=Path(tmp) / "i",
                                DATABASE_URL="", _env_file=None)  # type: ignore[call-arg]
            asking = bootstrap(settings, embedder=embedder)  # the process the questions are asked in
            asking.repo.save_lessons([record_to_draft(r, platform="bench") for r in corpus[:lessons]])
            asking.engine.sync()
            for n, text in enumerate(questions[:count]):
                asking.service.ask(text, Asker("slack", f"U{n}", f"U{n}", "C1", Visibility.PUBLIC))
            still_open = len(asking.service.open_questions())
            asking.close()
            app = bootstrap(settings.model_copy(update={"index_dir": Path(tmp) / "i2"}), embedder=embedder)
            calls: list[int] = []
            search = app.engine.search

            def counted(*args: Any, _search: Any = search, _calls: list[int] = calls, **kwargs: Any) -> Any:
                _calls.append(1)
                return _search(*args, **kwargs)

            app.engine.search = counted  # type: ignore[method-assign]
            person = PersonRef("console", "bench", "Bench")
            seconds = []
            for i, record in enumerate(corpus[lessons:lessons + captures]):
                started = time.perf_counter()
                app.service.capture(CaptureRequest(
                    text=str(record["text"]), author=person, captured_by=person,
                    source=Source("console", "local", "bench", "bench", Visibility.PUBLIC, f"m{i}")))
                seconds.append(time.perf_counter() - started)
            app.close()
        rest = sorted(seconds[1:])
        rows.append({"questions asked": count, "open": still_open, "first capture ms": round(seconds[0] * 1000, 1),
                     "p50 ms": round(statistics.median(rest) * 1000, 1),
                     "p95 ms": round(rest[int(0.95 * (len(rest) - 1))] * 1000, 1),
                     "full searches per capture": round(len(calls) / len(seconds), 2)})
        print(table(rows[-1:], list(rows[-1])), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", default="0,100,400", help="numbers of open questions, comma separated")
    parser.add_argument("--lessons", type=int, default=300)
    parser.add_argument("--captures", type=int, default=21)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = run([int(x) for x in args.open.split(",")], args.lessons, args.captures)
    print(table(rows, list(rows[0])))
    write_json(args.json, {"machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
