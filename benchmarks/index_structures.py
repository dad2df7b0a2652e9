"""Which FAISS structure past the threshold: exact, IVF (float or 8-bit) or HNSW, on the same vectors.

    python benchmarks/corpus.py --size 1000000 --out /tmp/leerkring-bench/corpus-e5-1000000 --cache .eval-cache
    python benchmarks/index_structures.py --corpus /tmp/leerkring-bench/corpus-e5-1000000 \
        --json docs/benchmarks/structures-1m.json

For each structure: build time, bytes per lesson, recall@10 against exact search (the share of the exact
top 10 that it finds, over the corpus's e5 questions), latency per question (one thread, as in the bot),
and, with a selective filter (1% of lessons allowed), latency and how many of the 10 places are filled.
The IVF-SQ8 rows go through Leerkring's own DenseIndex, filter fallback included.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from common import machine, overlap, pct, table, write_json
from corpus import load

from bot.search.dense import FLAT_SQ8, IVF_SQ8, DenseIndex, Layout, choose_layout

K = 10


def timed(fn: Callable[[np.ndarray], list[int]], queries: np.ndarray) -> tuple[list[list[int]], list[float]]:
    found, seconds = [], []
    for q in queries:
        started = time.perf_counter()
        found.append(fn(q))
        seconds.append(time.perf_counter() - started)
    return found, seconds


def run(corpus: Path, structures: list[str], nprobes: list[int], nlists: list[int] | None = None) -> dict[str, Any]:
    size, vectors, _, questions = load(corpus)
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.arange(size, dtype=np.int64)
    allowed = set(np.random.default_rng(5).choice(size, max(K, size // 100), replace=False).tolist())
    rows: list[dict[str, Any]] = []

    def measure(name: str, build_s: float, nbytes: int, search: Callable[[np.ndarray], list[int]],
                filtered: Callable[[np.ndarray], list[int]] | None, truth: list[list[int]] | None) -> list[list[int]]:
        found, seconds = timed(search, questions)
        row = {"structure": name, "build s": round(build_s, 1), "bytes/lesson": round(nbytes / size),
               "recall@10": overlap(found, truth, K) if truth else 1.0, "p50 ms": pct(seconds, 50),
               "p99 ms": pct(seconds, 99)}
        if filtered is not None:
            hits, fseconds = timed(filtered, questions)
            row.update({"filtered p50 ms": pct(fseconds, 50), "filtered p99 ms": pct(fseconds, 99),
                        "filtered filled": round(float(np.mean([len(h) for h in hits])) / K, 3)})
        rows.append(row)
        print(table([row], list(row)), flush=True)
        return found

    started = time.perf_counter()
    exact = DenseIndex.build(data.shape[1], ids, data, Layout())
    truth = measure("flat-ip (exact)", time.perf_counter() - started, exact.nbytes(),
                    lambda q: [i for i, _ in exact.search(q, K)],
                    lambda q: [i for i, _ in exact.search(q, K, allowed)], None)
    layout = choose_layout(size, approximate_from=0)
    if "flat-sq8" in structures:  # every vector scanned, 8 bits per dimension
        started = time.perf_counter()
        coded = DenseIndex.build(data.shape[1], ids, data, Layout(FLAT_SQ8))
        measure("flat-sq8", time.perf_counter() - started, coded.nbytes(),
                lambda q: [i for i, _ in coded.search(q, K)],
                lambda q: [i for i, _ in coded.search(q, K, allowed)], truth)
    for nlist in (nlists or [layout.nlist]) if "ivf-sq8" in structures else []:
        started = time.perf_counter()
        ivf = DenseIndex.build(data.shape[1], ids, data, Layout(IVF_SQ8, nlist, layout.nprobe))
        build = time.perf_counter() - started
        for nprobe in (n for n in nprobes if n <= nlist):
            ivf.layout = Layout(IVF_SQ8, nlist, nprobe)
            measure(f"ivf-sq8 nlist={nlist} nprobe={nprobe}", build, ivf.nbytes(),
                    lambda q, ivf=ivf: [i for i, _ in ivf.search(q, K)],
                    lambda q, ivf=ivf: [i for i, _ in ivf.search(q, K, allowed)], truth)
    if "ivf-flat" in structures:
        started = time.perf_counter()
        faiss.omp_set_num_threads(2)
        flat_ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(data.shape[1]), data.shape[1], layout.nlist,
                                      faiss.METRIC_INNER_PRODUCT)
        flat_ivf.train(data[np.random.default_rng(0).choice(size, min(size, 100_000), replace=False)])
        flat_ivf.add_with_ids(data, ids)
        faiss.omp_set_num_threads(1)
        build = time.perf_counter() - started
        flat_ivf.nprobe = layout.nprobe
        measure(f"ivf-flat nlist={layout.nlist} nprobe={layout.nprobe}", build,
                faiss.serialize_index(flat_ivf).nbytes,
                lambda q: flat_ivf.search(q.reshape(1, -1), K)[1][0].tolist(), None, truth)
    for name, factory in (("hnsw32-sq8", "HNSW32,SQ8"), ("hnsw32-flat", "HNSW32,Flat")):
        if name not in structures:
            continue
        started = time.perf_counter()
        faiss.omp_set_num_threads(2)
        hnsw = faiss.index_factory(data.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
        hnsw.train(data[np.random.default_rng(0).choice(size, min(size, 100_000), replace=False)])
        hnsw.add(data)
        faiss.omp_set_num_threads(1)
        build = time.perf_counter() - started
        for ef in (64, 128):
            faiss.ParameterSpace().set_index_parameter(hnsw, "efSearch", ef)
            measure(f"{name} efSearch={ef}", build, faiss.serialize_index(hnsw).nbytes,
                    lambda q, h=hnsw: h.search(q.reshape(1, -1), K)[1][0].tolist(), None, truth)
    return {"size": size, "machine": machine(), "allowed_share": len(allowed) / size, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--structures", default="flat-sq8,ivf-sq8,ivf-flat,hnsw32-sq8")
    parser.add_argument("--nprobe", default="16,32,48,64,96")
    parser.add_argument("--nlist", default="", help="cell counts to try (default: the bot's own for the size)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    report = run(args.corpus, args.structures.split(","), [int(n) for n in args.nprobe.split(",")],
                 [int(n) for n in args.nlist.split(",") if n])
    print(table(report["rows"], list(dict.fromkeys(k for r in report["rows"] for k in r))))
    write_json(args.json, report)


if __name__ == "__main__":
    main()
