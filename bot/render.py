"""Plain-text rendering of answers and notices: the console's format and every adapter's fallback text."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.capture import snippet
from bot.messages import t
from bot.model import Answer, AnswerKind, Hit, Lesson, Outcome, Source

OUTCOME_ICON = {Outcome.WORKED: "✅", Outcome.FAILED: "❌", Outcome.MIXED: "⚖️", Outcome.UNKNOWN: "❔"}
_OUTCOME_ORDER = [Outcome.WORKED, Outcome.FAILED, Outcome.MIXED, Outcome.UNKNOWN]


def outcome_label(outcome: Outcome, lang: str) -> str:
    return t(f"outcome.{outcome.value}", lang)


def format_date(moment: datetime, lang: str) -> str:
    months = {
        "nl": ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
        "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    }[lang if lang == "en" else "nl"]
    return f"{moment.day} {months[moment.month - 1]} {moment.year}"


def age_text(moment: datetime, lang: str, now: datetime | None = None) -> str:
    """How old a lesson is, in words: "deze maand", "5 maanden geleden", "3 jaar geleden"."""
    from datetime import UTC

    now = now or datetime.now(UTC)
    months = (now.year - moment.year) * 12 + now.month - moment.month - (now.day < moment.day)
    if months < 1:
        return t("age.new", lang)
    if months < 12:
        return t("age.months", lang, n=months)
    return t("age.years", lang, n=months // 12)


def session_text(lesson: Lesson, lang: str) -> str:
    """"From the session “…” of 15 Jan 2027", for a lesson captured in a session's discussion."""
    if lesson.session is None:
        return ""
    title, when = lesson.session
    return t("answer.session", lang, title=title, date=format_date(when, lang))


def tending_lines(lesson: Lesson, lang: str) -> list[str]:
    """What a coordinator added: the lesson is outdated; the same story was also told elsewhere."""
    lines = [t("answer.outdated", lang)] if lesson.outdated else []
    if lesson.also_sources:
        lines.append(t("answer.also_sources", lang, sources=", ".join(map(source_link, lesson.also_sources))))
    return lines


def timeline_text(lesson: Lesson, lang: str) -> str:
    """The latest check-back: "bijgewerkt 3 dec 2026: gelukt (loopt nog op 1 jun 2026)"."""
    if not lesson.timeline:
        return ""
    steps = [f"{format_date(when, lang)}: " + " – ".join(part for part in (
        t(f"checkback.{outcome}", lang) if outcome else "", f"“{note}”" if note else "") if part)
        for when, outcome, note in lesson.timeline]
    return t("answer.timeline", lang, steps="; ".join(steps))


def when_text(lesson: Lesson, lang: str) -> str:
    """The lesson's date and its age: "12 okt 2023 (3 jaar geleden)"."""
    moment = lesson.occurred_at or lesson.created_at
    return f"{format_date(moment, lang)} ({age_text(moment, lang)})"


def summary_line(hits: list[Hit], lang: str) -> str:
    """'3 gemeenten: 2 gelukt, 1 mislukt' — only when more than one lesson matches; when they disagree, a
    second line says what differed between those that worked and those that did not."""
    if len(hits) < 2:
        return ""
    counts = Counter(h.lesson.outcome for h in hits)
    parts = ", ".join(f"{counts[o]} {outcome_label(o, lang)}" for o in _OUTCOME_ORDER if counts[o])
    places = {h.lesson.municipality_code or h.lesson.municipality.lower() for h in hits if h.lesson.municipality}
    if len(places) == len(hits):
        line = t("answer.summary", lang, count=len(places), parts=parts)
    else:
        line = t("answer.summary_lessons", lang, count=len(hits), parts=parts)
    differs = differences(hits, lang)
    return f"{line}\n{differs}" if differs else line


def differences(hits: list[Hit], lang: str) -> str:
    """When lessons on one topic end differently: per outcome, the sizes of the municipalities it happened
    in ("gelukt: klein, middelgroot; mislukt: groot"), and a pointer to the conditions when lessons name them."""
    from bot.municipalities import SIZE_CLASSES, registry

    known = [o for o in _OUTCOME_ORDER if o is not Outcome.UNKNOWN and any(h.lesson.outcome is o for h in hits)]
    if len(known) < 2:
        return ""
    sizes = [label for label, _, _ in SIZE_CLASSES]
    groups: list[tuple[Outcome, list[str]]] = []
    for outcome in known:
        found = {registry().by_code(h.lesson.municipality_code) for h in hits
                 if h.lesson.outcome is outcome and h.lesson.municipality_code}
        classes = sorted({m.size_class for m in found if m is not None}, key=sizes.index)
        if classes:
            groups.append((outcome, classes))
    contrast = len(groups) >= 2 and len({tuple(classes) for _, classes in groups}) > 1  # sizes tell them apart
    parts = "; ".join(f"{outcome_label(o, lang)}: {', '.join(t(f'size.{c}', lang) for c in classes)}"
                      for o, classes in groups) if contrast else ""
    if any(h.lesson.conditions for h in hits):
        parts = f"{parts}; {t('answer.differs_conditions', lang)}" if parts else t("answer.differs_conditions", lang)
    return t("answer.differs", lang, parts=parts) if parts else ""


def lesson_heading(lesson: Lesson, lang: str) -> str:
    place = lesson.municipality or t("answer.unknown_municipality", lang)
    return f"{OUTCOME_ICON[lesson.outcome]} {place} — {outcome_label(lesson.outcome, lang)} — {when_text(lesson, lang)}"


def contact_text(lesson: Lesson, lang: str) -> str:
    if lesson.contact and lesson.contact.name:
        return lesson.contact.name + inactive_note(lesson, lang)
    return t("answer.no_contact", lang)


def inactive_note(lesson: Lesson, lang: str) -> str:
    return "" if lesson.contact_active else " " + t("answer.contact_gone", lang)


def source_text(lesson: Lesson) -> str:
    return source_link(lesson.source)


def source_link(src: Source) -> str:
    if src.permalink:
        return src.permalink
    where = f"#{src.channel_name}" if src.channel_name else src.channel_id
    return " ".join(part for part in (src.platform, where) if part)


def answer_heading(answer: Answer, hits: list[Hit] | None = None) -> str:
    """The line that labels what is shown (`hits`, default the answer's own): matches, related lessons, a
    listing, or none yet."""
    lang, question = answer.lang, answer.question
    kind = answer.shown_kind(hits)
    if kind is AnswerKind.LIST:
        shown = answer.hits if hits is None else hits
        return t("answer.list" if shown else "answer.list_none", lang, question=question)
    if kind is AnswerKind.NONE:
        return t("answer.none", lang, question=question)
    return t("answer.related" if kind is AnswerKind.RELATED else "answer.intro", lang, question=question)


def answer_footer(answer: Answer, hits: list[Hit] | None = None) -> list[str]:
    """What follows the lessons: the private matches held back, and that a question without a match stays
    open (for "none yet", the heading already invites a lesson)."""
    lines = []
    if answer.withheld and hits is None:
        lines.append(t("answer.withheld", answer.lang, count=answer.withheld))
    if answer.kept_open and answer.shown_kind(hits) is AnswerKind.RELATED:
        lines.append(t("question.kept_open", answer.lang))
    return lines


def render_answer(answer: Answer, hits: list[Hit] | None = None, *, snippet_chars: int = 280) -> str:
    """The answer as plain text: with `hits`, those lessons (e.g. the ones only the asker may see)."""
    lang = answer.lang
    shown = answer.hits if hits is None else hits
    lines = [answer_heading(answer, hits)]
    if not shown:
        return "\n".join(lines + answer_footer(answer, hits))
    summary = summary_line(shown, lang) if answer.kind is AnswerKind.MATCH else ""
    if summary:
        lines.append(summary)
    for n, hit in enumerate(shown, 1):
        lesson = hit.lesson
        lines.append("")
        lines.append(f"{n}. [{lesson.short_id}] {lesson.title}")
        lines.append(f"   {lesson_heading(lesson, lang)}")
        lines.append(f"   {snippet(lesson.text, snippet_chars)}")
        for key, value in (("why", lesson.why), ("conditions", lesson.conditions), ("learned", lesson.learned)):
            if value:
                lines.append(f"   {t(f'answer.{key}', lang)}: {snippet(value, 200)}")
        if lesson.timeline:
            lines.append(f"   {timeline_text(lesson, lang)}")
        if lesson.session:
            lines.append(f"   {session_text(lesson, lang)}")
        lines.extend(f"   {line}" for line in tending_lines(lesson, lang))
        if lesson.themes:
            lines.append("   " + " ".join(f"#{theme}" for theme in lesson.themes))
        lines.append(f"   {t('answer.contact', lang)}: {contact_text(lesson, lang)} · "
                     f"{t('answer.source', lang)}: {source_text(lesson)}")
    footer = answer_footer(answer, hits)
    if footer:
        lines.append("")
        lines.extend(footer)
    return "\n".join(lines)
