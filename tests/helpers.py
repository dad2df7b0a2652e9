"""Small builders for tests: invented people, channels and lessons."""

from __future__ import annotations

import io
import uuid

from bot.model import Asker, PersonRef, Source, Visibility
from bot.service import CaptureRequest, LeerkringService

ANNA = PersonRef("console", "anna", "Anna de Vries")
BRAM = PersonRef("console", "bram", "Bram Peters")


def source(channel: str = "algemeen", visibility: Visibility = Visibility.PUBLIC, message_id: str = "",
           platform: str = "console") -> Source:
    return Source(platform, "local", channel, channel, visibility, message_id or uuid.uuid4().hex)


def capture(service: LeerkringService, text: str, *, person: PersonRef = ANNA, channel: str = "algemeen",
            visibility: Visibility = Visibility.PUBLIC, message_id: str = "", **fields):  # type: ignore[no-untyped-def]
    request = CaptureRequest(text=text, source=source(channel, visibility, message_id, person.platform),
                             author=person, captured_by=person, **fields)
    return service.capture(request)


def asker(person: PersonRef = BRAM, channel: str = "algemeen",
          visibility: Visibility = Visibility.PUBLIC, locale: str = "") -> Asker:
    return Asker(person.platform, person.user_id, person.name, channel, visibility, locale)


def run_console(app, lines: list[str], **identity: object) -> str:  # type: ignore[no-untyped-def]
    """Feed lines to the console adapter as a pipe would; returns everything it printed."""
    from bot.handlers.console import ConsoleAdapter, ConsoleIdentity

    out = io.StringIO()
    ConsoleAdapter(app, ConsoleIdentity(**identity), stdin=io.StringIO("".join(f"{x}\n" for x in lines)),  # type: ignore[arg-type]
                   stdout=out).run(interactive=False)
    return out.getvalue()
