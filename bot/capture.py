"""Capture rules: turn the text of a chat message into the parts of a lesson.

Pure functions, no I/O. Adapters resolve platform mentions; the service decides defaults
(the author as contact, the author's municipality).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.errors import InputError
from bot.model import Outcome

_HASHTAG = re.compile(r"(?<![\w&#/])#([^\W\d_][\w\-]{0,40})", re.UNICODE)

# `key: value` at the start of a line, or `key=value` anywhere (value up to the next key= or line end).
_FIELD_KEYS = {
    "gemeente": "municipality", "municipality": "municipality", "organisatie": "municipality",
    "organisation": "municipality", "org": "municipality",
    "uitkomst": "outcome", "outcome": "outcome", "resultaat": "outcome", "result": "outcome",
    "contact": "contact", "contactpersoon": "contact",
    "geleerd": "learned", "learned": "learned", "lesson": "learned", "les": "learned",
    "waarom": "why", "why": "why", "reden": "why",
    "voorwaarden": "conditions", "voorwaarde": "conditions", "conditions": "conditions", "condities": "conditions",
    "titel": "title", "title": "title",
    "thema": "themes", "themas": "themes", "thema's": "themes", "themes": "themes", "theme": "themes",
    "antwoord": "answers", "answers": "answers", "answer": "answers",
}
_KEY_ALT = "|".join(sorted((re.escape(k) for k in _FIELD_KEYS), key=len, reverse=True))
# A `key: value` field's value ends at the next field (`key:` or `key=`), at a hashtag, or at the line's end,
# so "gemeente: Zwolle uitkomst: gelukt contact: Piet de Vries #parkeren" on one line is three fields.
_VALUE_END = rf"(?=[ \t]+(?:{_KEY_ALT})[ \t]*[:=]|[ \t]+#[^\s#]|[ \t]*$)"
_LINE_FIELD = re.compile(rf"^[ \t]*({_KEY_ALT})[ \t]*:[ \t]*(\S.*?){_VALUE_END}", re.IGNORECASE | re.MULTILINE)
_INLINE_FIELD = re.compile(rf"(?<!\S)({_KEY_ALT})=(\"[^\"]*\"|\S+(?:\s+(?!(?:{_KEY_ALT})=)[^\s#]\S*)*)",
                           re.IGNORECASE)

# `key: value` inside a line, up to the line's end: only for keys that don't occur in ordinary prose.
_INLINE_COLON = re.compile(
    rf"(?<!\S)(contact|contactpersoon|gemeente|municipality|uitkomst|outcome):[ \t]*(\S.*?){_VALUE_END}",
    re.IGNORECASE | re.MULTILINE)

_OUTCOME_WORDS = {
    Outcome.WORKED: {"gelukt", "werkte", "succes", "geslaagd", "worked", "success", "succeeded", "positief",
                     "ja", "yes", "goed"},
    Outcome.FAILED: {"mislukt", "gefaald", "failed", "failure", "werkte niet", "niet gelukt", "negatief",
                     "nee", "no", "fout", "flop"},
    Outcome.MIXED: {"gemengd", "deels", "deels gelukt", "wisselend", "mixed", "partly", "partial", "half"},
    Outcome.UNKNOWN: {"onbekend", "unknown", "weet niet", "nog niet bekend", "?"},
}

# Markers in running text; order matters: the more specific phrases first.
_MIXED_MARKERS = re.compile(r"⚖️|🤷|\b(deels gelukt|gedeeltelijk gelukt|half gelukt|wisselend resultaat|"
                            r"gemengde resultaten|gemengd resultaat|partly worked|mixed results?)\b", re.I)
_FAILED_MARKERS = re.compile(r"❌|👎|\b(mislukt|mislukte|werkte niet|niet gelukt|niet gewerkt|is gefaald|"
                             r"faalde|flopte|geflopt|didn'?t work|did not work|failed|was a failure)\b", re.I)
_WORKED_MARKERS = re.compile(r"✅|👍|\b(gelukt|werkte goed|werkt goed|succesvol|geslaagd|was een succes|"
                             r"worked well|it worked|worked|was a success|succeeded)\b", re.I)


@dataclass
class ParsedLesson:
    text: str
    themes: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.UNKNOWN
    outcome_explicit: bool = False
    municipality: str = ""
    contact: str = ""
    learned: str = ""
    why: str = ""
    conditions: str = ""
    title: str = ""
    answers: int | None = None  # an open question's number this lesson answers


def normalise_theme(raw: str) -> str:
    theme = unicodedata.normalize("NFC", raw).strip().strip("-_").lower()
    return theme


def extract_themes(text: str) -> list[str]:
    """#hashtags in order of appearance, lower-cased, without duplicates."""
    themes: list[str] = []
    for match in _HASHTAG.finditer(text):
        theme = normalise_theme(match.group(1))
        if theme and theme not in themes:
            themes.append(theme)
    return themes


def parse_outcome(value: str) -> Outcome | None:
    """An outcome typed by a user ("gelukt", "failed", "mixed", ...), or None when it is not one."""
    key = value.strip().lower().strip(".!")
    if key in {o.value for o in Outcome}:
        return Outcome(key)
    for outcome, words in _OUTCOME_WORDS.items():
        if key in words:
            return outcome
    marker = detect_outcome(key)
    return marker if marker is not Outcome.UNKNOWN else None


def detect_outcome(text: str) -> Outcome:
    """The outcome that clear markers in running text point to; both success and failure make 'mixed'."""
    if _MIXED_MARKERS.search(text):
        return Outcome.MIXED
    failed = bool(_FAILED_MARKERS.search(text))
    # "niet gelukt" contains "gelukt": remove failure phrases before looking for success.
    worked = bool(_WORKED_MARKERS.search(_FAILED_MARKERS.sub(" ", text)))
    if failed and worked:
        return Outcome.MIXED
    if failed:
        return Outcome.FAILED
    if worked:
        return Outcome.WORKED
    return Outcome.UNKNOWN


def parse_lesson(text: str, max_chars: int = 40_000) -> ParsedLesson:
    """Split a captured message into its story and the fields the author gave.

    Raises InputError for empty text or text longer than `max_chars`.
    """
    if text is None or not text.strip() or not _has_visible_text(text):
        raise InputError("capture.empty")
    if len(text) > max_chars:
        raise InputError("capture.too_long", length=len(text), limit=max_chars)

    fields: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        key = _FIELD_KEYS[match.group(1).lower()]
        value = match.group(2).strip().strip('"').strip().rstrip(".,;")
        if key == "answers" and not value.lstrip("#").isdigit():
            return match.group(0)  # "Antwoord: …" in a story is prose, not a question number
        fields.setdefault(key, value)
        return ""

    story = _LINE_FIELD.sub(take, text)
    story = _INLINE_FIELD.sub(take, story)
    story = _INLINE_COLON.sub(take, story)
    story = re.sub(r"[ \t]{2,}", " ", story)
    story = re.sub(r"[ \t]+\n", "\n", story)
    story = re.sub(r"\n{3,}", "\n\n", story).strip()
    if not re.sub(r"#[^\s#]+", "", story).strip(" \t\n.,;:-"):
        raise InputError("capture.empty")  # only hashtags and fields: there is no story to keep

    parsed = ParsedLesson(text=story or text.strip())
    parsed.themes = extract_themes(text)
    for extra in re.split(r"[,;\s]+", fields.get("themes", "")):
        theme = normalise_theme(extra.lstrip("#"))
        if theme and theme not in parsed.themes:
            parsed.themes.append(theme)
    if "outcome" in fields:
        outcome = parse_outcome(fields["outcome"])
        if outcome is None:
            raise InputError("capture.bad_outcome", value=fields["outcome"])
        parsed.outcome, parsed.outcome_explicit = outcome, True
    else:
        parsed.outcome = detect_outcome(story)
    parsed.municipality = fields.get("municipality", "")
    parsed.contact = fields.get("contact", "")
    parsed.learned = fields.get("learned", "")
    parsed.why = fields.get("why", "")
    parsed.conditions = fields.get("conditions", "")
    parsed.title = fields.get("title", "")
    number = fields.get("answers", "").lstrip("#")
    parsed.answers = int(number) if number.isdigit() else None
    return parsed


def _has_visible_text(text: str) -> bool:
    return any(not unicodedata.category(ch).startswith(("Z", "C")) for ch in text)


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


def snippet(text: str, limit: int = 280) -> str:
    """A short extract, cut at a sentence boundary when one is near, otherwise at a word, with '…'."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= limit:
        return flat
    window = flat[: limit + 1]
    cut = 0
    for match in _SENTENCE_END.finditer(window):
        if match.start() >= limit // 3:
            cut = match.start()
    if cut:
        return window[:cut].rstrip()
    space = window.rfind(" ", 0, limit)
    return (window[: space if space > limit // 2 else limit]).rstrip(" ,;:") + "…"


def title_from(text: str, limit: int = 80) -> str:
    """A title: the first sentence or line, when it is short enough to read as one."""
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0].strip()
    return first if 0 < len(first) <= limit else snippet(first, limit)
