"""Statistics for network coordinators: what is shared, what is asked, and where the gaps are."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from bot.messages import t
from bot.model import Visibility
from bot.municipalities import registry
from bot.search.text import tokenize
from bot.storage.repository import Repository


def question_themes(text: str, hit_themes: list[str], known: set[str]) -> set[str]:
    """A question's themes: those of the lessons that answered it, else the known themes it names."""
    if hit_themes:
        return set(hit_themes)
    terms = set(tokenize(text))
    return {theme for theme in known if set(tokenize(theme.replace("-", " "))) <= terms}


def compute(repo: Repository) -> dict[str, Any]:
    # Only what anyone may see: the figures are posted in channels, and a count can reveal a private lesson.
    unshared = repo.unshared_workspaces()  # and what a workspace keeps to itself stays out of network figures
    lessons = [lesson for lesson in repo.iter_lessons() if lesson.source.visibility is Visibility.PUBLIC
               and (lesson.source.platform, lesson.source.workspace) not in unshared]
    themes = Counter(theme for lesson in lessons for theme in lesson.themes)
    provinces: Counter[str] = Counter()
    for lesson in lessons:
        found = registry().by_code(lesson.municipality_code) if lesson.municipality_code else None
        provinces[found.province if found else "-"] += 1
    theme_of = {lesson.id: lesson.themes for lesson in lessons}
    titles = {lesson.id: lesson.title for lesson in lessons}
    asked: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    total = answered_total = 0
    for text, was_answered, hit_ids in repo.question_rows(unshared):
        total += 1
        answered_total += was_answered
        hit_themes = [theme for lid in hit_ids for theme in theme_of.get(lid, [])]
        for theme in question_themes(text, hit_themes, set(themes)) or {"-"}:
            asked[theme] += 1
            answered[theme] += was_answered
    gaps = sorted(((theme, asked[theme], answered[theme]) for theme in asked),
                  key=lambda row: (-(row[1] - row[2]), -row[1], row[0]))
    return {
        "lessons": len(lessons),
        "outcomes": dict(Counter(lesson.outcome.value for lesson in lessons).most_common()),
        "themes": dict(themes.most_common()),
        "municipalities": dict(Counter(lesson.municipality or "-" for lesson in lessons).most_common()),
        "provinces": dict(provinces.most_common()),
        "questions": {"asked": total, "answered": answered_total},
        "questions_by_theme": {theme: {"asked": asked[theme], "answered": answered[theme]} for theme in asked},
        "gaps": [{"theme": theme, "asked": a, "answered": b} for theme, a, b in gaps if a > b][:10],
        "unanswered": [text for text, _ in repo.unanswered_questions(hidden=unshared)],
        "introductions": repo.introduction_counts(),  # counts only: who asked whom stays private
        # lessons readers reported as outdated, for whoever tends the base (public lessons only)
        "outdated": [{"id": lid, "title": titles[lid], "reports": n} for lid, n in repo.reported("outdated")
                     if lid in titles][:10],
        # why failures shared anonymously in public channels went wrong, and the circles (counts only)
        "failure_patterns": dict(Counter(repo.failure_patterns()).most_common()),
        "circles": repo.circle_counts(),
        # the questions nobody could answer, grouped by topic as on the coordinators' page
        "open_questions": _open_questions(repo, themes),
    }


def _open_questions(repo: Repository, themes: Counter[str]) -> list[dict[str, object]]:
    from bot.gaps import gaps_data, group_questions

    return gaps_data(group_questions(repo.unanswered_public(), themes))


def render_table(data: dict[str, Any], lang: str = "nl") -> str:
    lines = [t("stats.lessons", lang, count=data["lessons"])]
    for key in ("outcomes", "themes", "provinces", "municipalities"):
        lines.append(f"\n{t(f'stats.{key}', lang)}:")
        lines += [f"  {count:5d}  {name}" for name, count in list(data[key].items())[:10]]
    q = data["questions"]
    lines.append("\n" + t("stats.questions", lang, asked=q["asked"], answered=q["answered"]))
    if data["gaps"]:
        lines.append(t("stats.gaps", lang))
        lines += [f"  {g['theme']}: {g['asked']} / {g['answered']}" for g in data["gaps"]]
    if data.get("open_questions"):
        lines.append("\n" + t("gaps.title", lang))
        for topic in data["open_questions"][:20]:
            lines.append(f"  {topic['topic'] or t('gaps.no_topic', lang)} ({topic['count']})")
            for group in topic["questions"]:
                places = ", ".join(f"{name} ({n})" if n > 1 else name for name, n in group["municipalities"].items())
                lines.append(f"    {group['count']}× {group['question']}" + (f" — {places}" if places else ""))
    if data.get("introductions", {}).get("asked"):
        lines.append("\n" + t("stats.introductions", lang, **data["introductions"]))
    if data.get("failure_patterns"):
        from bot.groups import pattern_label

        lines.append("\n" + t("stats.failure_patterns", lang) + ":")
        lines += [f"  {count:5d}  {pattern_label(key, lang)}" for key, count in data["failure_patterns"].items()]
    if data.get("circles", {}).get("circles"):
        lines.append("\n" + t("stats.circles", lang, **data["circles"]))
    if data.get("outdated"):
        lines.append("\n" + t("stats.outdated", lang))
        lines += [f"  #{o['id']} {o['title']} ({o['reports']}×)" for o in data["outdated"]]
    return "\n".join(lines)


def render_png(data: dict[str, Any], path: Path, lang: str = "nl") -> Path:
    """Two bar charts: lessons per theme, and questions asked versus answered per theme."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    themes = list(data["themes"].items())[:10]
    left.barh([name for name, _ in themes][::-1], [count for _, count in themes][::-1], color="#1d4e89")
    left.set_title(t("stats.chart_lessons", lang))
    by_theme = sorted(data["questions_by_theme"].items(), key=lambda kv: -kv[1]["asked"])[:10]
    names = [name for name, _ in by_theme][::-1]
    right.barh(names, [v["asked"] for _, v in by_theme][::-1], color="#c62828",
               label=t("stats.asked", lang))
    right.barh(names, [v["answered"] for _, v in by_theme][::-1], color="#2e7d32",
               label=t("stats.answered", lang))
    right.set_title(t("stats.chart_questions", lang))
    right.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
