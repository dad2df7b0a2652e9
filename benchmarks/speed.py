"""Speed at 10k, 100k and 1M lessons: Leerkring against chromadb and txtai, one run per size.

    python benchmarks/speed.py --sizes 10000,100000 --cache .eval-cache --json docs/benchmarks/speed.json
    python benchmarks/speed.py --sizes 1000000 --systems leerkring-dense,chromadb,txtai \
        --cache .eval-cache --json docs/benchmarks/speed-1m.json

Corpora come from benchmarks/corpus.py (seeded; vectors synthesised, see there). Every system runs in
its own process, so peak memory is its own, and gets the same lesson vectors and the same e5 question
vectors. Per system and size it measures:
- bulk load: lessons with their vectors, stored and searchable (lessons/s);
- ask latency p50/p95/p99 for one client and for 8 concurrent clients, split into question embedding
  (e5), search+rank and answer composition (fetching the lessons and writing the reply);
- capture -> stored -> searchable for new lessons with the real encoder, as a share of the encoder's
  own throughput on the same texts (batches of 16);
- cold start: a new process, from start to the first answer printed, with the saved index;
- peak RSS, RSS per lesson and index bytes per lesson.
LEERKRING_BENCH_CAPTURES sets how many lessons are captured one at a time (default 32).
"leerkring" is the whole bot (SQLite, dense + BM25 + 4-gram lists, ranking, reply). "leerkring-dense"
is its dense index alone, in the structure the engine picks for that size (for 1M, see docs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from common import machine, pct, peak_rss_mb, table, write_json
from corpus import embedder_for, load, make

SYSTEMS = ("leerkring", "chromadb", "txtai")
CAPTURES = int(os.environ.get("LEERKRING_BENCH_CAPTURES", "32"))  # new lessons captured one at a time
CLIENTS = 8


class Timer:
    """Seconds spent per phase by the current thread, for the latency split."""

    def __init__(self) -> None:
        self.local = threading.local()

    def reset(self) -> None:
        self.local.phases = {}

    def add(self, phase: str, seconds: float) -> None:
        phases = self.local.__dict__.setdefault("phases", {})
        phases[phase] = phases.get(phase, 0.0) + seconds

    def phases(self) -> dict[str, float]:
        return dict(self.local.__dict__.get("phases", {}))

    def wrap(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(phase, time.perf_counter() - started)
        return timed


def latencies(ask: Callable[[str, np.ndarray], None], timer: Timer, questions: list[str],
              vectors: np.ndarray, clients: int) -> dict[str, Any]:
    """Ask every question (with `clients` threads at once); p50/p95/p99 of the total and each phase."""
    rows: list[dict[str, float]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        timer.reset()
        started = time.perf_counter()
        ask(questions[i], vectors[i])
        total = time.perf_counter() - started
        phases = timer.phases()
        embed = phases.get("embed", 0.0)
        # "search_all" is timed around a search that embeds the question itself (Leerkring's engine)
        search = phases["search"] if "search" in phases else phases.get("search_all", 0.0) - embed
        with lock:
            rows.append({"total": total, "embed": embed, "search": search, "compose": total - embed - search})

    started = time.perf_counter()
    if clients == 1:
        for i in range(len(questions)):
            one(i)
    else:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(one, range(len(questions))))
    wall = time.perf_counter() - started
    out: dict[str, Any] = {"questions": len(rows), "per_second": round(len(rows) / wall, 1)}
    for phase in ("total", "embed", "search", "compose"):
        values = [r[phase] for r in rows]
        out[phase] = {"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99)}
    return out


def capture_share(encode: Callable[[list[str]], Any], capture_one: Callable[[str], None],
                  texts: list[str]) -> dict[str, Any]:
    """Capture -> stored -> searchable, one lesson at a time, against the raw encoder on the same texts."""
    started = time.perf_counter()
    encode(texts)
    raw = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    for text in texts:
        capture_one(text)
    e2e = len(texts) / (time.perf_counter() - started)
    return {"encoder_per_s": round(raw, 2), "captured_per_s": round(e2e, 2), "share": round(e2e / raw, 3)}


# -- the systems --------------------------------------------------------------------------------
def run_leerkring(corpus: Path, work: Path, embedder_name: str, cache: Path | None, dense_only: bool) -> dict[str, Any]:
    from leerkring_bench import LeerkringBench

    return LeerkringBench(corpus, work, embedder_name, cache, dense_only).run()


def run_store(system: str, corpus: Path, work: Path, embedder_name: str, cache: Path | None) -> dict[str, Any]:
    from store_bench import StoreBench

    return StoreBench(system, corpus, work, embedder_name, cache).run()


def worker(args: argparse.Namespace) -> None:
    if args.system.startswith("leerkring"):
        result = run_leerkring(args.corpus, args.work, args.embedder, args.cache, args.system == "leerkring-dense")
    else:
        result = run_store(args.system, args.corpus, args.work, args.embedder, args.cache)
    result["peak_rss_mb"] = round(peak_rss_mb())
    print("RESULT " + json.dumps(result))


def cold_start(args: argparse.Namespace) -> None:
    """Start to first answer, in this fresh process: load the saved store, embed the question, answer."""
    from coldstart import first_answer

    print(first_answer(args.system, args.work, args.embedder, args.question))  # ends with the process's RSS


def run_size(size: int, systems: list[str], root: Path, embedder: str, cache: Path | None,
             questions: int = 300, cold_starts: int = 3) -> dict[str, Any]:
    corpus = root / f"corpus-{embedder}-{size}"
    if not (corpus / "corpus.json").exists():
        print(f"making corpus of {size:,} lessons in {corpus}", flush=True)
        make(size, corpus, embedder_for(embedder, cache), questions=questions)
    out: dict[str, Any] = {"size": size, "corpus": json.loads((corpus / "corpus.json").read_text()), "systems": {}}
    question = load(corpus)[2][0]
    for system in systems:
        work = root / f"work-{embedder}-{size}-{system}"
        subprocess.run(["rm", "-rf", str(work)], check=True)
        print(f"{size:,} lessons: {system}", flush=True)
        common = ["--corpus", str(corpus), "--work", str(work), "--embedder", embedder]
        done = subprocess.run([sys.executable, __file__, "worker", "--system", system, *common,
                               *(["--cache", str(cache)] if cache else [])],
                              capture_output=True, text=True, check=False)
        line = next((row for row in done.stdout.splitlines() if row.startswith("RESULT ")), None)
        if line is None:
            print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
            out["systems"][system] = {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
            continue
        result = json.loads(line[7:])
        starts, resident = [], []
        for _ in range(cold_starts):
            started = time.perf_counter()
            cold = subprocess.run([sys.executable, __file__, "coldstart", "--system", system, *common,
                                   "--question", question], capture_output=True, text=True, check=True)
            starts.append(time.perf_counter() - started)
            resident += [float(row[4:]) for row in cold.stdout.splitlines() if row.startswith("RSS ")]
        result["cold_start_s"] = round(min(starts), 2)
        result["restarted_rss_mb"] = round(min(resident)) if resident else None
        out["systems"][system] = result
        subprocess.run(["rm", "-rf", str(work)], check=True)
    return out


def summary(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for entry in sizes:
        for system, r in entry["systems"].items():
            if "error" in r:
                rows.append({"lessons": entry["size"], "system": system, "error": r["error"][:60]})
                continue
            one, many = r["ask_1"], r["ask_8"]
            rows.append({"lessons": entry["size"], "system": system, "structure": r.get("structure"),
                         "load/s": r["load_per_s"], "p50 ms": one["total"]["p50"], "p99 ms": one["total"]["p99"],
                         "embed p50": one["embed"]["p50"], "search p50": one["search"]["p50"],
                         "compose p50": one["compose"]["p50"], "8 clients p99": many["total"]["p99"],
                         "q/s (8)": many["per_second"], "capture share": r.get("capture", {}).get("share"),
                         "cold s": r.get("cold_start_s"), "restarted RSS MB": r.get("restarted_rss_mb"),
                         "peak RSS MB": r["peak_rss_mb"],
                         "index B/lesson": r["index_bytes_per_lesson"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "worker", "coldstart"])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--embedder", choices=["e5", "fake"], default="e5")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--root", type=Path, default=Path("/tmp/leerkring-bench"), help="corpora and stores")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--system", default="leerkring")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--question", default="")
    parser.add_argument("--questions", type=int, default=300, help="questions in a new corpus")
    parser.add_argument("--cold-starts", type=int, default=3, help="cold starts per system (the fastest counts)")
    args = parser.parse_args()
    if args.mode == "worker":
        return worker(args)
    if args.mode == "coldstart":
        return cold_start(args)
    systems = [s for s in args.systems.split(",") if s]
    sizes = [run_size(int(n), systems, args.root, args.embedder, args.cache, args.questions, args.cold_starts)
             for n in args.sizes.split(",")]
    rows = summary(sizes)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print(table(rows, columns))
    write_json(args.json, {"machine": machine(), "embedder": args.embedder, "sizes": sizes, "table": rows})


if __name__ == "__main__":
    main()
