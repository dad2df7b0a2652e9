"""The charts on the web page, from public lessons and questions only: lessons per month by outcome and by
theme, and the share of questions answered per month. Each is a table (shown beside the picture, and
downloadable as CSV) and a PNG drawn from that table."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bot.messages import t
from bot.model import Lesson, Outcome

CHARTS = ("outcomes", "themes", "answered")
TOP_THEMES = 6


@dataclass
class Table:
    title: str
    columns: list[str]  # the first is the month
    rows: list[list[object]]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def _month(moment: datetime) -> str:
    return f"{moment.year}-{moment.month:02d}"


def _months(keys: set[str]) -> list[str]:
    """Every month from the first to the last key, gaps included."""
    if not keys:
        return []
    first, last = min(keys), max(keys)
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year}-{month:02d}" <= last:
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def table(name: str, lessons: list[Lesson], questions: list[tuple[datetime, bool]], lang: str) -> Table:
    month = t("web.charts.month", lang)
    if name == "outcomes":
        counts = Counter((_month(lesson.occurred_at or lesson.created_at), lesson.outcome) for lesson in lessons)
        outcomes = list(Outcome)
        return Table(t("web.charts.outcomes", lang), [month, *(t(f"outcome.{o.value}", lang) for o in outcomes)],
                     [[m, *(counts[(m, o)] for o in outcomes)] for m in _months({m for m, _ in counts})])
    if name == "themes":
        top = [theme for theme, _ in Counter(th for lesson in lessons for th in lesson.themes).most_common(TOP_THEMES)]
        by_month = Counter((_month(lesson.occurred_at or lesson.created_at), theme)
                           for lesson in lessons for theme in lesson.themes if theme in top)
        return Table(t("web.charts.themes", lang), [month, *top],
                     [[m, *(by_month[(m, theme)] for theme in top)] for m in _months({m for m, _ in by_month})])
    if name == "answered":
        asked = Counter(_month(at) for at, _ in questions)
        answered = Counter(_month(at) for at, ok in questions if ok)
        return Table(t("web.charts.answered", lang),
                     [month, t("web.charts.asked", lang), t("web.charts.share", lang)],
                     [[m, asked[m], f"{answered[m] / asked[m]:.0%}" if asked[m] else "-"]
                      for m in _months(set(asked))])
    raise KeyError(name)


def png(name: str, data: Table) -> bytes:
    """The table drawn: stacked bars for outcomes, lines for themes and for the answered share."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    months = [str(row[0]) for row in data.rows]
    try:
        if not data.rows:
            ax.text(0.5, 0.5, "-", ha="center", va="center")
        elif name == "outcomes":
            bottom = [0] * len(months)
            colours = ["#2e7d32", "#c62828", "#ef6c00", "#757575"]
            for i, label in enumerate(data.columns[1:]):
                values = [int(row[i + 1]) for row in data.rows]  # type: ignore[call-overload]
                ax.bar(months, values, bottom=bottom, label=label, color=colours[i % len(colours)])
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
            ax.legend(fontsize=8)
        elif name == "themes":
            for i, label in enumerate(data.columns[1:]):
                ax.plot(months, [int(row[i + 1]) for row in data.rows], marker="o", label=label)  # type: ignore[call-overload]
            ax.legend(fontsize=8)
        else:
            shares = [int(str(row[2]).rstrip("%")) if row[2] != "-" else 0 for row in data.rows]
            ax.plot(months, shares, marker="o", color="#01689b")
            ax.set_ylim(0, 100)
            ax.set_ylabel("%")
        ax.set_title(data.title, fontsize=10)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)
