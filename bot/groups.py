"""What learning in groups needs besides the chat: who the coordinators are, the fixed list of failure
patterns, when a session or round is, and which people from comparable municipalities would make a circle."""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from bot.errors import InputError
from bot.messages import t
from bot.municipalities import registry
from bot.storage.repository import Repository

# Why participation efforts fail, as coordinators name them; docs/learning.md explains each.
FAILURE_PATTERNS = ("mandate", "audience", "late", "feedback", "expectations", "capacity", "politics", "other")
_PATTERN_WORDS = {"breed": "mandate", "mandaat": "mandate", "doelgroep": "audience", "laat": "late",
                  "terugkoppeling": "feedback", "verwachting": "expectations", "verwachtingen": "expectations",
                  "tijd": "capacity", "menskracht": "capacity", "capaciteit": "capacity", "politiek": "politics",
                  "politieke": "politics", "anders": "other"}
CIRCLE_SIZE = (4, 8)
CIRCLE_EVERY_DAYS = 28


def pattern_key(text: str) -> str:
    """A failure pattern from its key, its label in either language, or a telling word of it
    ("te_laat_betrokken", "te laat", "late")."""
    value = text.strip().lower().replace("_", " ").replace("-", " ")
    if not value:
        return ""
    if value in FAILURE_PATTERNS:
        return value
    for key in FAILURE_PATTERNS:
        if value in (t(f"pattern.{key}", "nl"), t(f"pattern.{key}", "en")):
            return key
    for word in value.split():
        if word in _PATTERN_WORDS:
            return _PATTERN_WORDS[word]
    raise InputError("failure.bad_pattern", pattern=text, patterns=pattern_list("nl"))


def pattern_list(lang: str) -> str:
    return ", ".join(t(f"pattern.{key}", lang) for key in FAILURE_PATTERNS)


def pattern_label(key: str, lang: str) -> str:
    return t(f"pattern.{key or 'other'}", lang)


def coordinators(setting: str) -> set[tuple[str, str]]:
    """`LEERKRING_COORDINATORS`: `platform:user` entries (a user id or handle), separated by commas."""
    found = set()
    for entry in re.split(r"[,\s]+", setting.strip()):
        platform, _, user = entry.partition(":")
        if platform and user:
            found.add((platform.lower(), user.lstrip("@")))
    return found


def is_coordinator(setting: str, platform: str, user_id: str, *handles: str) -> bool:
    """Whether someone (by id, or by any of their handles or names) tends the network. On the console, with no
    console coordinator named, whoever sits at the terminal does (it is their own database)."""
    named = {(p, user.lower()) for p, user in coordinators(setting)}
    if platform == "console" and not any(p == "console" for p, _ in named):
        return True
    return bool({(platform, name.lstrip("@").lower()) for name in (user_id, *handles) if name} & named)


def local_zone() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Amsterdam")
    except Exception:  # no time-zone data on this machine: UTC is the honest fallback
        return UTC


def parse_when(words: list[str]) -> tuple[datetime, list[str]]:
    """A date (2027-01-15, 15-01-2027) and an optional time (14:00) at the start of `words`, in Dutch time;
    the moment in UTC and the words after it."""
    if not words:
        raise InputError("session.bad_date", text="")
    day = None
    for pattern in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            day = datetime.strptime(words[0], pattern)
            break
        except ValueError:
            continue
    if day is None:
        raise InputError("session.bad_date", text=words[0])
    rest = words[1:]
    hour, minute = 9, 0
    if rest and re.fullmatch(r"\d{1,2}[:.]\d{2}", rest[0]):
        hour, minute = (int(x) for x in re.split(r"[:.]", rest[0]))
        if hour > 23 or minute > 59:
            raise InputError("session.bad_date", text=rest[0])
        rest = rest[1:]
    local = day.replace(hour=hour, minute=minute, tzinfo=local_zone())
    return local.astimezone(UTC), rest


def format_when(moment: datetime, lang: str) -> str:
    from bot.render import format_date

    local = moment.astimezone(local_zone())
    return f"{format_date(local, lang)} {local:%H:%M}"


def options(text: str) -> tuple[list[str], dict[str, str]]:
    """Words and `key=value` options (values may be quoted) of a command line."""
    try:
        parts = shlex.split(text)
    except ValueError:  # an unclosed quote: take the words as they are
        parts = text.split()
    words, found = [], {}
    for part in parts:
        key, sep, value = part.partition("=")
        if sep and key and re.fullmatch(r"[a-zA-Z]+", key):
            found[key.lower()] = value
        else:
            words.append(part)
    return words, found


@dataclass(frozen=True)
class Candidate:
    user_id: str
    name: str
    municipality: str
    size_class: str
    lessons: int
    themes: list[str]


def suggest_members(repo: Repository, platform: str, *, theme: str = "", size_class: str = "",
                    exclude: str = "") -> list[Candidate]:
    """Up to eight people for a circle: one per municipality, of one size class (the one asked for, or the
    most common among those who share the theme), most lessons on the theme first."""
    lessons: dict[str, list[list[str]]] = {}
    for lesson in repo.iter_lessons():
        contact = lesson.contact
        if contact and contact.platform == platform and contact.user_id and lesson.contact_active:
            lessons.setdefault(contact.user_id, []).append(lesson.themes)
    found = []
    for user_id, themes in lessons.items():
        person = repo.get_person(platform, user_id)
        if person is None or not person.municipality_code or user_id == exclude:
            continue
        place = registry().by_code(person.municipality_code)
        if place is None:
            continue
        on_theme = [x for x in themes if not theme or theme in x]
        if not on_theme:
            continue
        shared = Counter(x for themes_of in on_theme for x in themes_of)
        found.append(Candidate(user_id, person.display_name or user_id, person.municipality, place.size_class,
                               len(on_theme), [x for x, _ in shared.most_common(3)]))
    if not size_class and found:
        size_class = Counter(c.size_class for c in found).most_common(1)[0][0]
    chosen: dict[str, Candidate] = {}
    for candidate in sorted(found, key=lambda c: (-c.lessons, c.name)):
        if candidate.size_class == size_class and candidate.municipality not in chosen:
            chosen[candidate.municipality] = candidate
    return list(chosen.values())[:CIRCLE_SIZE[1]]


def first_round(start: str, now: datetime | None = None) -> datetime:
    """The first round: the given date, or a week from now at 9:00 Dutch time."""
    now = now or datetime.now(UTC)
    if start:
        return parse_when(start.split())[0]
    local = (now + timedelta(days=7)).astimezone(local_zone())
    return local.replace(hour=9, minute=0, second=0, microsecond=0).astimezone(UTC)
