"""The console adapter: the same bot in a terminal, with a `you> ` prompt and no chat server.

When standard input is not a terminal it reads one message per line and prints each reply,
so `printf 'vraag\\n' | leerkring console --demo` works in scripts.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import TextIO

from bot.bootstrap import App
from bot.commands import CommandContext, Reply, answered_notice
from bot.messages import t
from bot.model import Asker, Lesson, OpenQuestion, PersonRef, Source, Visibility

log = logging.getLogger(__name__)
PLATFORM = "console"
PROMPT = "you> "


@dataclass
class ConsoleIdentity:
    user: str = "gast"
    channel: str = "algemeen"
    private: bool = False
    locale: str = ""

    @property
    def user_id(self) -> str:
        return self.user.lower()


class ConsoleAdapter:
    def __init__(self, app: App, identity: ConsoleIdentity, *, stdin: TextIO, stdout: TextIO) -> None:
        self.app = app
        self.identity = identity
        self.stdin = stdin
        self.stdout = stdout
        visibility = Visibility.PRIVATE if identity.private else Visibility.PUBLIC
        self.person = PersonRef(PLATFORM, identity.user_id, identity.user)
        self.ctx = CommandContext(
            asker=Asker(PLATFORM, identity.user_id, identity.user, identity.channel, visibility, identity.locale),
            person=self.person, prefix="/", source=self._source, locale=identity.locale)
        app.service.notifiers[PLATFORM] = self._notify

    def _notify(self, question: OpenQuestion, lesson: Lesson) -> None:
        """Everyone at this terminal is a console user: an answered question is shown right here."""
        contact = lesson.contact.name if lesson.contact and lesson.contact.name else "?"
        self._write(f"({question.asker_name or question.user_id}) " + answered_notice(question, lesson, contact))

    def _source(self) -> Source:
        visibility = Visibility.PRIVATE if self.identity.private else Visibility.PUBLIC
        return Source(PLATFORM, "local", self.identity.channel, self.identity.channel, visibility,
                      message_id=uuid.uuid4().hex)

    def handle(self, line: str) -> Reply | None:
        """One line in, one reply out (None for an empty line)."""
        if not line.strip():
            return None
        try:
            return self.app.router.handle(line, self.ctx)
        except Exception:  # one bad line must not end the session
            log.exception("console: handling a line failed")
            return Reply(t("error.generic", self.app.settings.default_language))

    def run(self, interactive: bool) -> None:
        lang = self.identity.locale or self.app.settings.default_language
        if interactive:
            _enable_history()
            self._write(t("console.welcome", lang, lessons=self.app.repo.count_lessons(),
                          user=self.identity.user, channel=self.identity.channel))
            while True:
                try:
                    line = input(PROMPT)
                except EOFError:
                    self._write("\n" + t("console.bye", lang))
                    return
                except KeyboardInterrupt:
                    self._write("")
                    continue
                self._reply(line)
        else:
            for line in self.stdin:
                self._reply(line.rstrip("\n"))

    def _reply(self, line: str) -> None:
        try:  # answers to console questions that lessons saved by the chat bots gave meanwhile
            self.app.service.deliver_pending(PLATFORM)
        except Exception:
            log.exception("console: delivering pending answers failed")
        reply = self.handle(line)
        if reply is not None:
            self._write(reply.text)
            if reply.private_hits:
                lang = reply.answer.lang if reply.answer else self.app.settings.default_language
                self._write(t("console.only_you", lang, ids=", ".join(h.lesson.short_id for h in reply.private_hits)))
            self._write("")

    def _write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()


def _enable_history() -> None:
    with contextlib.suppress(ImportError):  # line editing and history for input(), where available
        import readline  # noqa: F401
