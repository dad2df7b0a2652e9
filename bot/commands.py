"""Text commands, the same on every platform: console `/les …`, Slack and Mattermost `/leerkring les …`.

`CommandRouter.handle` turns one line of user text into a neutral `Reply`.
"""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.capture import parse_outcome
from bot.errors import InputError, LeerkringError
from bot.lang import language_for
from bot.messages import t
from bot.model import Answer, Asker, Filters, Hit, Lesson, PersonRef, Source
from bot.municipalities import parse_size_class, registry
from bot.render import outcome_label
from bot.service import CaptureRequest, LeerkringService

COMMANDS = {
    "vraag": "ask", "ask": "ask", "zoek": "ask", "search": "ask",
    "les": "capture", "lesson": "capture", "bewaar": "capture", "save": "capture",
    "gemeente": "municipality", "municipality": "municipality",
    "mijn": "mine", "mine": "mine", "mijnlessen": "mine",
    "verwijder": "delete", "delete": "delete", "wis": "delete",
    "vergeet": "forget", "forget": "forget", "vergeetmij": "forget",
    "help": "help", "hulp": "help", "?": "help",
}
ENGLISH_COMMANDS = {"ask", "search", "lesson", "save", "municipality", "mine", "delete", "forget"}

_FILTER_KEYS = {
    "gemeente": "municipality", "municipality": "municipality",
    "provincie": "province", "province": "province",
    "grootte": "size_class", "size": "size_class",
    "thema": "theme", "theme": "theme",
    "uitkomst": "outcome", "outcome": "outcome",
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


def parse_filters(text: str) -> tuple[str, Filters]:
    """Take `gemeente=…`, `provincie=…`, `grootte=…`, `thema=…`, `uitkomst=…` out of a question."""
    values: dict[str, object] = {}
    for match in _FILTER.finditer(text):
        key = _FILTER_KEYS[match.group(1).lower()]
        raw = match.group(2).strip("\"'")
        if key == "municipality":
            found = registry().lookup(raw)
            values[key] = found.name if found else raw
        elif key == "province":
            province = registry().province(raw)
            if province is None:
                raise InputError("filter.bad", detail=f"provincie “{raw}”")
            values[key] = province
        elif key == "size_class":
            size = parse_size_class(raw)
            if size is None:
                raise InputError("filter.bad", detail=f"grootte “{raw}” (klein, middelgroot, groot, zeer groot)")
            values[key] = size
        elif key == "outcome":
            outcome = parse_outcome(raw)
            if outcome is None:
                raise InputError("filter.bad", detail=f"uitkomst “{raw}”")
            values[key] = outcome
        else:
            values[key] = raw.lstrip("#").lower()
    return _FILTER.sub(" ", text).strip(), Filters(**values)  # type: ignore[arg-type]


@dataclass
class CommandContext:
    asker: Asker
    person: PersonRef
    prefix: str = "/"
    # Builds the Source for a lesson captured by a command; the console makes a fresh message id.
    source: Callable[[], Source] | None = None
    locale: str = ""


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
        if not question:
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
        return Reply(capture_confirmation(result.lesson, result.created, result.lang, result.notices),
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

    def _forget(self, rest: str, ctx: CommandContext, lang: str) -> Reply:
        words = {w.lower() for w in shlex.split(rest)} if rest else set()
        if words & {"bevestig", "confirm", "ja", "yes"}:
            counts = self.service.forget(ctx.person)
            return Reply(t("forget.done", lang, **counts), ephemeral=True)
        data = self.service.export_person(ctx.person)
        lessons, questions, feedback = (len(data[key]) for key in ("lessons", "questions", "feedback"))  # type: ignore[arg-type]
        profile = t("forget.profile", lang) if data["person"] else ""
        return Reply(t("forget.preview", lang, lessons=lessons, questions=questions, feedback=feedback,
                       profile=profile), ephemeral=True)


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
