"""Text commands, the same on every platform: console `/les …`, Slack and Mattermost `/leerkring les …`.

`CommandRouter.handle` turns one line of user text into a neutral `Reply`.
"""

from __future__ import annotations

import json
import re
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from bot.capture import parse_outcome
from bot.errors import InputError, LeerkringError
from bot.lang import language_for
from bot.messages import t
from bot.model import Answer, Asker, Filters, Hit, Lesson, OpenQuestion, PersonRef, Source
from bot.municipalities import parse_size_class, registry
from bot.render import format_date, outcome_label
from bot.service import CaptureRequest, LeerkringService

COMMANDS = {
    "vraag": "ask", "ask": "ask", "zoek": "ask", "search": "ask",
    "les": "capture", "lesson": "capture", "bewaar": "capture", "save": "capture",
    "gemeente": "municipality", "municipality": "municipality",
    "mijn": "mine", "mine": "mine", "mijnlessen": "mine",
    "verwijder": "delete", "delete": "delete", "wis": "delete",
    "vergeet": "forget", "forget": "forget", "vergeetmij": "forget",
    "help": "help", "hulp": "help", "?": "help",
    "open": "open", "vragen": "open", "questions": "open",
    "introducties": "introductions", "introductions": "introductions", "voorstellen": "introductions",
    "contact": "contact",
    "meldingen": "notifications", "notifications": "notifications",
    "terugvragen": "checkbacks", "checkbacks": "checkbacks", "nagevraagd": "checkbacks",
    "afloop": "note", "update": "note",
    "stats": "stats", "statistieken": "stats", "statistics": "stats",
}
ENGLISH_COMMANDS = {"ask", "search", "lesson", "save", "municipality", "mine", "delete", "forget", "questions",
                    "introductions", "checkbacks", "notifications", "update"}
# `kanaal <setting> <value>`: (setting, the value as stored) for every word a member may type
_CHANNEL_SETTINGS = {"bewaren": "capture", "vastleggen": "capture", "capture": "capture",
                     "antwoorden": "threads", "answers": "threads", "taal": "language", "language": "language"}
_CHANNEL_VALUES: dict[str, dict[str, object]] = {
    "capture": {"aan": True, "on": True, "uit": False, "off": False},
    "threads": {"draad": True, "thread": True, "kanaal": False, "channel": False, "bovenaan": False, "top": False},
    "language": {"nl": "nl", "en": "en", "auto": ""},
}

_FILTER_KEYS = {
    "gemeente": "municipality", "municipality": "municipality",
    "provincie": "province", "province": "province",
    "grootte": "size_class", "size": "size_class",
    "thema": "theme", "theme": "theme",
    "uitkomst": "outcome", "outcome": "outcome",
    "sinds": "since", "since": "since", "vanaf": "since",
}
_FILTER = re.compile(r"(?<!\S)(" + "|".join(_FILTER_KEYS) + r")=(\"[^\"]*\"|'[^']*'|\S+)", re.IGNORECASE)


@dataclass
class Reply:
    """What the bot answers: text always (the fallback), an answer when it searched."""

    text: str
    answer: Answer | None = None
    private_hits: list[Hit] = field(default_factory=list)
    ephemeral: bool = False
    lesson_id: int | None = None
    chart: dict[str, Any] | None = None  # statistics an adapter may draw and upload as a picture


def parse_filters(text: str) -> tuple[str, Filters]:
    """Take `gemeente=…`, `provincie=…`, `grootte=…`, `thema=…`, `uitkomst=…`, `sinds=…` out of a question."""
    values: dict[str, object] = {}
    for match in _FILTER.finditer(text):
        typed, key = match.group(1), _FILTER_KEYS[match.group(1).lower()]
        raw = match.group(2).strip("\"'")
        shown = f"{typed}=“{raw}”"  # as the user typed it, in whichever language
        if key == "municipality":
            found = registry().lookup(raw)
            values[key] = found.name if found else raw
        elif key == "province":
            province = registry().province(raw)
            if province is None:
                raise InputError("filter.bad", detail=shown)
            values[key] = province
        elif key == "size_class":
            size = parse_size_class(raw)
            if size is None:
                raise InputError("filter.bad_size", detail=shown)
            values[key] = size
        elif key == "outcome":
            outcome = parse_outcome(raw)
            if outcome is None:
                raise InputError("filter.bad_outcome", detail=shown)
            values[key] = outcome
        elif key == "since":
            values[key] = parse_since(raw, typed)
        else:
            values[key] = raw.lstrip("#").lower()
    return _FILTER.sub(" ", text).strip(), Filters(**values)  # type: ignore[arg-type]


def parse_since(raw: str, typed: str = "sinds") -> datetime:
    """`sinds=2023-01-01` (also 2023-01 or 2023): the start of that day, month or year, in UTC."""
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%Y-%m", "%Y"):
        try:
            return datetime.strptime(raw, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise InputError("filter.bad_date", detail=f"{typed}=“{raw}”", example=f"{typed}=2023-01-01")


@dataclass
class CommandContext:
    asker: Asker
    person: PersonRef
    prefix: str = "/"
    # Builds the Source for a lesson captured by a command; the console makes a fresh message id.
    source: Callable[[], Source] | None = None
    locale: str = ""
    # Turns a typed person ("<@U123>", "@anna", "Anna") into a PersonRef on this platform.
    resolve_person: Callable[[str], PersonRef | None] | None = None


class CommandRouter:
    def __init__(self, service: LeerkringService) -> None:
        self.service = service

    def handle(self, text: str, ctx: CommandContext) -> Reply:
        """Run one line: a command (`/les …`, `/vraag …`, `/help`) or, without one, a question."""
        stripped = text.strip()
        if ctx.prefix and stripped.startswith(ctx.prefix):
            return self.handle_command(stripped[len(ctx.prefix):], ctx)
        lang = language_for(stripped, ctx.locale, self.service.settings.default_language)
        return self._run("ask", stripped, ctx, lang)

    def handle_command(self, text: str, ctx: CommandContext) -> Reply:
        """Run a command line whose first word is the command (`les …`); an empty line shows help.

        This is what a slash command's text is: `/leerkring les …` hands over `les …`.
        """
        word, _, rest = text.strip().partition(" ")
        lang = language_for(rest or word, ctx.locale, self.service.settings.default_language)
        if not word:
            return self._run("help", "", ctx, lang)
        action = COMMANDS.get(word.lower())
        if word.lower() in ENGLISH_COMMANDS:
            lang = "en"
        if action is None:
            return Reply(t("command.unknown", lang, command=word, p=ctx.prefix), ephemeral=True)
        return self._run(action, rest.strip(), ctx, lang)

    def _run(self, action: str, rest: str, ctx: CommandContext, lang: str) -> Reply:
        try:
            reply: Reply = getattr(self, f"_{action}")(rest, ctx, lang)
            return reply
        except LeerkringError as exc:
            return Reply(t(exc.key, lang, **exc.params), ephemeral=True)

    # -- actions ---------------------------------------------------------------------------------
    def _help(self, _rest: str, ctx: CommandContext, lang: str) -> Reply:
        return Reply(t("help", lang, p=ctx.prefix), ephemeral=True)

    def _ask(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        from bot.render import render_answer

        question, filters = parse_filters(rest)
        if not question and filters.is_empty():
            return Reply(t("question.empty", lang), ephemeral=True)
        asker = replace(ctx.asker, locale=ctx.locale) if ctx.locale else ctx.asker
        result = self.service.ask(question, asker, filters=filters)
        return Reply(render_answer(result.answer), answer=result.answer, private_hits=result.private_hits)

    def _capture(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        source = ctx.source() if ctx.source else Source(ctx.asker.platform, "", ctx.asker.channel_id,
                                                        message_id=uuid.uuid4().hex,
                                                        visibility=ctx.asker.channel_visibility)
        result = self.service.capture(CaptureRequest(text=rest, source=source, author=ctx.person,
                                                     captured_by=ctx.person))
        notices = list(result.notices)
        if result.answered:
            notices.append(("capture.answered", {"count": len(result.answered)}))
        return Reply(capture_confirmation(result.lesson, result.created, result.lang, notices),
                     ephemeral=True, lesson_id=result.lesson.id)

    def _municipality(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        if not rest:
            person = self.service.person(ctx.person)
            if person.municipality:
                return Reply(t("municipality.show", lang, name=person.municipality), ephemeral=True)
            return Reply(t("municipality.none", lang), ephemeral=True)
        person = self.service.set_municipality(ctx.person, rest)
        found = registry().by_code(person.municipality_code)
        return Reply(t("municipality.set", lang, name=person.municipality,
                       province=found.province if found else ""), ephemeral=True)

    def _mine(self, _rest: str, ctx: CommandContext, lang: str) -> Reply:
        lessons = self.service.my_lessons(ctx.person)
        if not lessons:
            return Reply(t("mine.none", lang), ephemeral=True)
        lines = [t("mine.list", lang)]
        lines += [f"{lesson.short_id} {lesson.title} ({lesson.municipality or '-'}, "
                  f"{outcome_label(lesson.outcome, lang)})" for lesson in lessons]
        return Reply("\n".join(lines), ephemeral=True)

    def _delete(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        number = rest.lstrip("#").strip()
        if not number.isdigit():
            return Reply(t("delete.usage", lang), ephemeral=True)
        lesson = self.service.delete_lesson(ctx.person, int(number))
        return Reply(t("delete.done", lang, short_id=lesson.short_id), ephemeral=True)

    def _open(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        words = rest.split()
        if len(words) == 2 and words[0].lower() in {"sluit", "close", "dicht"} and words[1].lstrip("#").isdigit():
            number = int(words[1].lstrip("#"))
            closed = self.service.close_question(ctx.person, number)
            return Reply(t("open.closed" if closed else "open.not_yours", lang, id=number), ephemeral=True)
        questions = [q for q in self.service.open_questions() if q.visible_to(ctx.asker)]
        if not questions:
            return Reply(t("open.none", lang), ephemeral=True)
        mine = [q for q in questions if (q.platform, q.user_id) == (ctx.person.platform, ctx.person.user_id)]
        others = [q for q in questions if q not in mine]
        lines: list[str] = []
        if mine:
            lines.append(t("open.mine", lang))
            lines += [f"  [{q.id}] {q.text} ({format_date(q.asked_at, lang)})" for q in mine]
        if others:
            lines.append(t("open.network", lang))
            lines += [f"  [{q.id}] {q.text} — {q.asker_name or '?'} ({format_date(q.asked_at, lang)})"
                      for q in others[:20]]
        return Reply("\n".join(lines), ephemeral=True)

    def _introductions(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        value = rest.strip().lower()
        if value not in {"aan", "uit", "on", "off", "ja", "nee", "yes", "no"}:
            person = self.service.person(ctx.person)
            return Reply(t("intro.on" if person.accepts_introductions else "intro.off", lang), ephemeral=True)
        accept = value in {"aan", "on", "ja", "yes"}
        self.service.set_introductions(ctx.person, accept)
        return Reply(t("intro.on" if accept else "intro.off", lang), ephemeral=True)

    def _notifications(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        """`meldingen uit|direct|dagelijks|wekelijks`: how one hears of new lessons for one's questions."""
        value = rest.strip().lower()
        mode = {"uit": "off", "off": "off", "direct": "now", "now": "now", "meteen": "now", "dagelijks": "daily",
                "daily": "daily", "wekelijks": "weekly", "weekly": "weekly"}.get(value)
        if mode is None:
            current = self.service.repo.notification_mode(ctx.person.platform, ctx.person.user_id)
            return Reply(t(f"notices.{current}", lang) + "\n" + t("notices.usage", lang, p=ctx.prefix),
                         ephemeral=True)
        self.service.set_notifications(ctx.person, mode)
        return Reply(t(f"notices.{mode}", lang), ephemeral=True)

    def _checkbacks(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        """`terugvragen aan|uit`: whether the bot asks, months later, how one's lessons without an outcome ended."""
        value = rest.strip().lower()
        if value not in {"aan", "uit", "on", "off", "ja", "nee", "yes", "no"}:
            on = self.service.repo.checkbacks_on(ctx.person.platform, ctx.person.user_id)
            return Reply(t("checkback.on" if on else "checkback.off", lang), ephemeral=True)
        on = value in {"aan", "on", "ja", "yes"}
        self.service.set_checkbacks(ctx.person, on)
        return Reply(t("checkback.on" if on else "checkback.off", lang), ephemeral=True)

    def _note(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        """`afloop <les> <tekst>`: what one tells, besides the button, of how a lesson one was asked about ended."""
        number, _, note = rest.strip().partition(" ")
        number = number.lstrip("#")
        if not number.isdigit() or not note.strip():
            return Reply(t("checkback.note_usage", lang, p=ctx.prefix), ephemeral=True)
        known = self.service.repo.checkback_note(int(number), ctx.person.platform, ctx.person.user_id, note.strip())
        return Reply(t("checkback.noted" if known else "checkback.not_asked", lang, short_id=f"#{number}"),
                     ephemeral=True)

    def _contact(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        words = rest.split()
        if words and words[0].lower() in {"overdragen", "transfer", "overzetten"}:
            if len(words) != 3:
                return Reply(t("contact.usage", lang), ephemeral=True)
            resolve = ctx.resolve_person or person_from_name(ctx.person.platform)
            old, new = resolve(words[1]), resolve(words[2])
            for typed, found in ((words[1], old), (words[2], new)):
                if found is None:
                    return Reply(t("contact.unknown", lang, name=typed), ephemeral=True)
            assert old is not None and new is not None
            moved = self.service.move_contacts(ctx.person, old, new)
            return Reply(t("contact.moved", lang, count=len(moved), name=new.name), ephemeral=True)
        number = rest.strip().lstrip("#")
        if not number.isdigit():
            return Reply(t("contact.usage", lang), ephemeral=True)
        lesson = self.service.introduction(ctx.asker, int(number), same_platform=False)
        contact = lesson.contact
        assert contact is not None
        place = f" ({lesson.municipality})" if lesson.municipality else ""
        return Reply(t("intro.console", lang, contact=contact.name or contact.user_id, short_id=lesson.short_id,
                       title=lesson.title, place=place), ephemeral=True)

    def _stats(self, _rest: str, ctx: CommandContext, lang: str) -> Reply:
        from bot.stats import compute, render_table

        data = compute(self.service.repo)
        return Reply(render_table(data, lang), ephemeral=True, chart=data)

    def _forget(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        words = {w.lower() for w in shlex.split(rest)} if rest else set()
        if words & {"bevestig", "confirm", "ja", "yes"}:
            counts = self.service.forget(ctx.person)
            return Reply(t("forget.done", lang, **counts), ephemeral=True)
        data = self.service.export_person(ctx.person)
        if words & {"export", "exporteer", "inzage"}:  # the right of access: the data itself, not counts
            return Reply(json.dumps(data, ensure_ascii=False, indent=1, default=str), ephemeral=True)
        lessons, questions, feedback = (len(data[key]) for key in ("lessons", "questions", "feedback"))  # type: ignore[arg-type]
        profile = t("forget.profile", lang) if data["person"] else ""
        return Reply(t("forget.preview", lang, lessons=lessons, questions=questions, feedback=feedback,
                       profile=profile), ephemeral=True)


def channel_command(repo: Any, rest: str, asker: Asker, name: str, prefix: str, lang: str) -> tuple[str, bool]:
    """`kanaal` shows a channel's settings; `kanaal bewaren aan|uit`, `kanaal antwoorden draad|kanaal`,
    `kanaal taal nl|en|auto` change them for everyone there. (The text, whether something changed.)"""
    words = rest.lower().split()
    if words:
        setting = _CHANNEL_SETTINGS.get(words[0])
        value = _CHANNEL_VALUES[setting].get(words[1]) if setting and len(words) == 2 else None
        if setting is None or value is None:
            return t("channel.usage", lang, p=prefix), False
        repo.set_channel_settings(asker.platform, asker.channel_id, asker.user_id, **{setting: value})
    chosen = repo.channel_settings(asker.platform, asker.channel_id)
    text = t("channel.settings", lang, capture=t(f"channel.capture.{chosen.capture}", lang),
             threads=t(f"channel.threads.{chosen.threads}", lang),
             language=t(f"channel.language.{chosen.language or 'auto'}", lang), p=prefix)
    return (t("channel.changed", lang, name=name) + "\n" + text, True) if words else (text, False)


def person_from_name(platform: str) -> Callable[[str], PersonRef | None]:
    def resolve(text: str) -> PersonRef | None:
        name = text.strip().lstrip("@")
        return PersonRef(platform, name.lower(), name) if name else None

    return resolve


def capture_confirmation(lesson: Lesson, created: bool, lang: str,
                         notices: list[tuple[str, dict[str, object]]]) -> str:
    """The confirmation the tagger sees: short id, title, municipality, outcome, contact, notices."""
    key = "capture.saved" if created else "capture.updated"
    contact = lesson.contact.name if lesson.contact and lesson.contact.name else t("answer.no_contact", lang)
    lines = [t(key, lang, short_id=lesson.short_id, title=lesson.title,
               municipality=lesson.municipality or t("answer.unknown_municipality", lang),
               outcome=outcome_label(lesson.outcome, lang), contact=contact)]
    lines += [t(notice, lang, **params) for notice, params in notices]
    return "\n".join(lines)


def answered_notice(question: OpenQuestion, lesson: Lesson, contact: str) -> str:
    """What an asker is told when their open question gets an answer."""
    lang = question.lang if question.lang in ("nl", "en") else "nl"
    return t("open.answered", lang, date=format_date(question.asked_at, lang), question=question.text,
             short_id=lesson.short_id, title=lesson.title,
             municipality=lesson.municipality or t("answer.unknown_municipality", lang),
             outcome=outcome_label(lesson.outcome, lang), contact=contact)
