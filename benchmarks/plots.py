"""Draw the figures in docs/benchmarks/ from the benchmarks' JSON.

    python benchmarks/plots.py docs/benchmarks
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLOURS = {"leerkring": "#1b7f5f", "leerkring-dense": "#57b894", "chromadb": "#d9822b", "txtai": "#4a6fa5",
           "txtai-hybrid": "#8aa6d1", "bm25": "#999999", "dense": "#c4c4c4"}


def speed_points(directory: Path) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Each system's figures per corpus size. A size measured again after a change ("-after") replaces the
    earlier figure; "-before" files are kept for the before/after tables, not drawn."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    paths = sorted(directory.glob("speed*.json"), key=lambda path: (path.stem.endswith("-after"), path.name))
    for path in paths:
        if path.stem.endswith("-before"):
            continue
        for entry in json.loads(path.read_text())["sizes"]:
            for system, result in entry["systems"].items():
                if "error" not in result:
                    found[(system, entry["size"])] = result
    points: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for (system, size), result in found.items():
        points.setdefault(system, []).append((size, result))
    return {s: sorted(p, key=lambda item: item[0]) for s, p in points.items()}


def latency_plot(directory: Path) -> None:
    points = speed_points(directory)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    panels = ((axes[0], "search", "Search and ranking (question embedding excluded)"),
              (axes[1], "total", "Whole answer, e5 question embedding included"))
    for ax, phase, title in panels:
        for system, rows in points.items():
            sizes = [n for n, _ in rows]
            ax.plot(sizes, [r["ask_1"][phase]["p99"] for _, r in rows], marker="o", color=COLOURS.get(system),
                    label=f"{system} p99")
            ax.plot(sizes, [r["ask_1"][phase]["p50"] for _, r in rows], marker=".", linestyle="--",
                    color=COLOURS.get(system), label=f"{system} p50")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("lessons")
        ax.set_ylabel("ms per question, one client")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(directory / "latency.png", dpi=120)
    plt.close(fig)


def memory_plot(directory: Path) -> None:
    points = speed_points(directory)
    fig, ax = plt.subplots(figsize=(6, 4))
    for system, rows in points.items():
        ax.plot([n for n, _ in rows], [r["rss_mb_loaded"] for _, r in rows], marker="o",
                color=COLOURS.get(system), label=system)
    ax.set_xscale("log")
    ax.set_xlabel("lessons")
    ax.set_ylabel("resident memory after loading (MB)")
    ax.set_title("Memory, e5 model included")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(directory / "memory.png", dpi=120)
    plt.close(fig)


def quality_plot(directory: Path) -> None:
    sets = [(p.stem.removeprefix("quality-"), json.loads(p.read_text())["systems"])
            for p in sorted(directory.glob("quality-*.json"))]
    if not sets:
        return
    fig, axes = plt.subplots(1, len(sets), figsize=(5.5 * len(sets), 4), squeeze=False)
    for ax, (name, systems) in zip(axes[0], sets, strict=True):
        names = [s for s in systems if "best threshold" not in s]
        mrr = [systems[s]["mrr@10"] for s in names]
        recall = [systems[s]["recall@10"] for s in names]
        x = range(len(names))
        ax.bar([i - 0.2 for i in x], mrr, width=0.4, label="MRR@10",
               color=[COLOURS.get(s, "#777") for s in names])
        ax.bar([i + 0.2 for i in x], recall, width=0.4, label="recall@10", color="#dddddd", edgecolor="#777")
        ax.set_xticks(list(x), names, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(f"{name}: same e5 vectors for all")
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(directory / "quality.png", dpi=120)
    plt.close(fig)


WHOLE_BOT = [("100,000\nbefore", "search-stages-100k-budget-before.json"),
             ("100,000\nbudget", "search-stages-100k-budget-after.json"),
             ("100,000\nIVF", "search-stages-100k-ivf-1.json"),
             ("1,000,000\nbefore", "search-stages-1m-before.json"),
             ("1,000,000\nafter", "search-stages-1m.json")]


def whole_bot_plot(directory: Path) -> None:
    """The whole bot restarted on a saved base (search_stages.py --work): search + ranking p50 / p99 and the
    resident memory after loading, the process's own and mapped file pages apart."""
    runs = [(label, json.loads((directory / name).read_text())) for label, name in WHOLE_BOT
            if (directory / name).exists()]
    if not runs:
        return
    fig, (speed, memory) = plt.subplots(1, 2, figsize=(10, 4))
    x = range(len(runs))
    totals = [{row["stage"]: row for row in run["stages"]}["search + ranking"] for _, run in runs]
    speed.bar([i - 0.2 for i in x], [t["p50_ms"] for t in totals], width=0.4, label="p50", color=COLOURS["leerkring"])
    speed.bar([i + 0.2 for i in x], [t["p99_ms"] for t in totals], width=0.4, label="p99", color="#dddddd",
              edgecolor="#777")
    speed.axhline(8, color="#d9822b", linestyle="--", linewidth=1, label="target p50 at 100k")
    speed.axhline(40, color="#4a6fa5", linestyle=":", linewidth=1, label="target p99 at 1M")
    speed.set_xticks(list(x), [label for label, _ in runs])
    speed.set_yscale("log")
    speed.set_ylabel("ms per long question (log scale)")
    speed.set_title("Search + ranking, whole bot restarted")
    speed.legend(fontsize=8)
    own = [run.get("rss_parts_loaded", {}).get("anon", run.get("rss_mb_loaded", 0)) for _, run in runs]
    mapped = [run.get("rss_parts_loaded", {}).get("file", 0) for _, run in runs]
    memory.bar(list(x), own, color=COLOURS["leerkring"], label="own memory")
    memory.bar(list(x), mapped, bottom=own, color=COLOURS["leerkring-dense"], label="mapped file pages")
    memory.axhline(1536, color="#d9822b", linestyle="--", linewidth=1, label="target at 1M (1.5 GB)")
    memory.set_xticks(list(x), [label for label, _ in runs])
    memory.set_ylabel("resident memory after loading (MB)")
    memory.set_title("Memory, e5 model included")
    memory.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(directory / "whole-bot.png", dpi=120)
    plt.close(fig)


def main() -> None:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/benchmarks")
    latency_plot(directory)
    memory_plot(directory)
    quality_plot(directory)
    whole_bot_plot(directory)
    print(f"figures written to {directory}")


if __name__ == "__main__":
    main()
