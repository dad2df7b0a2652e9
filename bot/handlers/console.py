"""The console adapter: the same bot in a terminal, with a `you> ` prompt and no chat server.

When standard input is not a terminal it reads one message per line and prints each reply,
so `printf 'vraag\\n' | leerkring console --demo` works in scripts.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.bootstrap import App
from bot.chat import ChatMessage, Conversation, Place, fill
from bot.commands import person_from_name
from bot.followup import FollowUps
from bot.messages import t
from bot.model import Answer, Asker, Hit, Lesson, PersonRef, Source, Visibility
from bot.render import render_answer

log = logging.getLogger(__name__)
PLATFORM = "console"
WORKSPACE = "local"  # the one workspace a terminal has
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
    """The console on the chat contract: every line is a message to the bot, every reply is printed."""

    platform = PLATFORM

    def __init__(self, app: App, identity: ConsoleIdentity, *, stdin: TextIO, stdout: TextIO) -> None:
        self.app = app
        self.identity = identity
        self.stdin = stdin
        self.stdout = stdout
        self.chat = Conversation(app, self)
        self.asker = Asker(PLATFORM, identity.user_id, identity.user, identity.channel,
                           Visibility.PRIVATE if identity.private else Visibility.PUBLIC, identity.locale,
                           WORKSPACE)
        self._find = person_from_name(PLATFORM)
        app.service.notifiers[PLATFORM] = self.chat.notify_answered
        app.service.intro_checkers[PLATFORM] = self.chat.check_introduction
        app.service.checkback_askers[PLATFORM] = self.chat.check_back
        app.service.bundle_senders[PLATFORM] = self.chat.send_bundle
        app.service.scheduled[PLATFORM] = self.chat.scheduled
        app.service.posters[PLATFORM] = self.chat.post_to

    def _source(self) -> Source:
        visibility = Visibility.PRIVATE if self.identity.private else Visibility.PUBLIC
        return Source(PLATFORM, WORKSPACE, self.identity.channel, self.identity.channel, visibility,
                      message_id=uuid.uuid4().hex)

    # -- the port: a terminal has no history, one place and one person at the keyboard -----------
    def message(self, channel: str, message_id: str) -> ChatMessage | None:
        return None

    def thread(self, channel: str, root_id: str) -> list[ChatMessage]:
        return []

    def still_tagged(self, channel: str, message_id: str) -> bool:
        return False

    def place(self, channel: str) -> tuple[Visibility, str]:
        return self.asker.channel_visibility, channel

    def workspace(self, channel: str) -> str:
        return WORKSPACE

    def permalink(self, workspace: str, channel: str, message_id: str) -> str:
        return ""

    def person(self, user_id: str) -> PersonRef:
        if user_id == self.identity.user_id:
            return PersonRef(PLATFORM, user_id, self.identity.user)
        known = self.app.repo.get_person(PLATFORM, user_id)
        return PersonRef(PLATFORM, user_id, known.display_name if known and known.display_name else user_id)

    def is_admin(self, user_id: str) -> bool:
        """Whether they administer the workspace (they choose its sharing)."""
        return True  # whoever runs the console runs the installation

    def locale(self, user_id: str) -> str:
        return self.identity.locale if user_id == self.identity.user_id else ""

    def find_person(self, text: str) -> PersonRef | None:
        return self._find(text)

    def without_mentions(self, text: str) -> str:
        return text

    def post_answer(self, place: Place, answer: Answer, hits: list[Hit], asker: Asker, key: str) -> None:
        self._write(render_answer(answer) if hits == answer.hits else render_answer(answer, hits))

    def post_private(self, user_id: str, place: Place, text: str, *, answer: Answer | None = None,
                     hits: list[Hit] | None = None, lesson: Lesson | None = None, lang: str = "nl") -> None:
        if answer is not None:  # lessons from places only the asker is in: named, not shown to the terminal
            ids = ", ".join(h.lesson.short_id for h in hits or [])
            self._write(t("console.only_you", answer.lang, ids=ids))
            return
        self._write(text)

    def post_choices(self, user_id: str, place: Place, text: str, action: str, choices: list[tuple[str, Any]]
                     ) -> None:
        self._write(f"{text} ({' | '.join(label for label, _ in choices)})")

    def direct_choices(self, to: PersonRef, text: str, action: str, choices: list[tuple[str, Any]],
                       **markup: str) -> None:
        self._write(f"({to.name or to.user_id}) {fill(text, markup)} ({' | '.join(label for label, _ in choices)})")

    def post_message(self, place: Place, text: str, **markup: str) -> str:
        self._write(f"[#{place.channel}] " + fill(text, markup))
        return uuid.uuid4().hex

    def direct_message(self, to: PersonRef, text: str, **markup: str) -> None:
        """Everyone at this terminal is a console user: a message to one of them is shown right here."""
        self._write(f"({to.name or to.user_id}) " + fill(text, markup))

    def group_message(self, user_ids: list[str], text: str, **markup: str) -> bool:
        self._write(fill(text, markup))
        return True

    def mention(self, user_id: str) -> str:
        return "@" + user_id

    def contact_markup(self, lesson: Lesson, lang: str) -> str:
        return lesson.contact.name if lesson.contact and lesson.contact.name else "?"

    def upload_image(self, user_id: str, path: Path, title: str) -> None:
        target = self.app.settings.data_dir / path.name
        shutil.copyfile(path, target)
        self._write(t("console.chart", self.chat.lang(user_id), path=target.resolve()))

    # -- the terminal ----------------------------------------------------------------------------
    def handle(self, line: str) -> bool:
        """One line in, its replies printed; False for an empty line."""
        if not line.strip():
            return False
        try:
            self.chat.line(line, self.asker, Place(self.identity.channel), self._source, prefix="/",
                           key=uuid.uuid4().hex)
        except Exception:  # one bad line must not end the session
            log.exception("console: handling a line failed")
            self._write(t("error.generic", self.app.settings.default_language))
        return True

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
        # what came due meanwhile, as a chat platform's process does every few seconds: answers that lessons
        # saved by the chat bots gave console questions, check-backs, bundles, sessions and circle rounds
        FollowUps(self.app.service, PLATFORM).run_once()
        if self.handle(line):
            self._write("")

    def _write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()


def _enable_history() -> None:
    with contextlib.suppress(ImportError):  # line editing and history for input(), where available
        import readline  # noqa: F401
