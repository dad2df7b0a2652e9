"""Import lessons from .jsonl or .csv files, idempotently: importing a file again updates, never duplicates."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.capture import detect_outcome, extract_themes, parse_outcome, title_from
from bot.errors import InputError
from bot.messages import t
from bot.model import LessonDraft, OrganisationKind, PersonRef, Source, Visibility
from bot.municipalities import registry
from bot.storage.repository import Repository


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[tuple[int, str]] | None = None


# Column names people use, Dutch beside English, for the fields of a lesson.
ALIASES = {
    "text": ("text", "tekst", "verhaal", "story", "les", "lesson", "beschrijving", "description"),
    "municipality": ("municipality", "gemeente", "organisatie", "organisation", "organization"),
    "themes": ("themes", "theme", "thema's", "themas", "thema", "tags", "onderwerpen"),
    "outcome": ("outcome", "uitkomst", "resultaat", "result"),
    "contact": ("contact", "contactpersoon", "contact person"),
    "date": ("date", "datum", "occurred_at", "wanneer"),
    "learned": ("learned", "geleerd", "wat is er geleerd", "lessons learned", "lesson learned"),
    "why": ("why", "waarom", "reden", "waarom werkte het", "waarom werkte het (niet)"),
    "conditions": ("conditions", "voorwaarden", "condities", "onder welke voorwaarden"),
    "title": ("title", "titel"),
    "id": ("id", "nummer", "key"),
    "channel": ("channel", "kanaal"),
    "permalink": ("permalink", "link", "url", "bron"),
}
_CANONICAL = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
# what `leerkring export` writes beside the fields above, read back by an import
_EXPORT_FIELDS = {"source_platform", "source_visibility", "source_workspace", "source_channel_id", "source_channel",
                  "source_message_id", "source_thread_id", "contact_platform", "contact_user_id",
                  "captured_by_user_id", "captured_by"}


def canonical_column(name: str) -> str | None:
    """The field a column name stands for ("Thema's" -> themes), or None for a column the import ignores."""
    key = " ".join(name.strip().lower().replace("_", " ").split())
    if key.replace(" ", "_") in _EXPORT_FIELDS:
        return key.replace(" ", "_")
    return _CANONICAL.get(key) or _CANONICAL.get(key.replace(" ", "_"))


def columns(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """The columns (or, for .jsonl, the keys of the first lines) a file has: those used, with the field
    each stands for, and those ignored."""
    names: list[str] = []
    for count, (_, record) in enumerate(_raw_records(path)):
        header = record.get("__columns__")
        names += [str(k) for k in (header if isinstance(header, list) else record) if not str(k).startswith("__")]
        if header is not None or count >= 50:
            break
    names = list(dict.fromkeys(names))
    used = [(name, field) for name in names if (field := canonical_column(name))]
    return used, [name for name in names if not canonical_column(name)]


def read_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """(line number, record) for every record in a .jsonl or .csv file, with its own keys; a line that
    cannot be read comes as a record with `__error__`."""
    for number, record in _raw_records(path):
        if "__columns__" not in record:
            yield number, record


def lesson_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """`read_records`, keyed by lesson field: Dutch and English column names alike (see ALIASES)."""
    for number, record in read_records(path):
        if "__error__" in record:
            yield number, record
            continue
        fields: dict[str, object] = {}
        for name, value in record.items():
            field = canonical_column(str(name))
            if field and (field not in fields or not fields[field]):
                fields[field] = value
        yield number, fields


def _raw_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        with io.StringIO(_decode(path)) as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        value = json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield number, {"__error__": exc.msg}
                        continue
                    yield number, value if isinstance(value, dict) else {
                        "__error__": f"not an object: {type(value).__name__}", "__key__": "import.not_object"}
    elif suffix in {".csv", ".tsv", ".txt"}:
        yield from _csv_records(_decode(path).splitlines(keepends=True))
    else:
        raise InputError("import.format", suffix=suffix)


def _decode(path: Path) -> str:
    """A text file's contents: UTF-8 (with or without BOM), else Windows-1252 (as Dutch Excel saves CSV)."""
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise InputError("import.binary", name=path.name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_records(lines: list[str]) -> Iterator[tuple[int, dict[str, object]]]:
    """(first line number, row) for each row; a broken row (an unterminated quote would swallow every row
    after it) is reported at the line it starts on, and reading goes on from the next line."""
    if not lines:
        return
    try:  # comma, semicolon (Dutch Excel) or tab, by the header line
        dialect: type[csv.Dialect] | str = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        dialect = "excel"
    delimiter = dialect.delimiter if not isinstance(dialect, str) else ","
    header = next(csv.reader([lines[0]], delimiter=delimiter))
    yield 1, {"__columns__": header}
    offset = 1  # lines[offset] is the next line to read (file line offset + 1)
    while offset < len(lines):
        reader = csv.DictReader(io.StringIO(lines[0] + "".join(lines[offset:])), strict=True, delimiter=delimiter)
        read = 1  # lines of this chunk read so far (its first is the header)
        try:
            for row in reader:
                yield offset + read, dict(row)
                read = reader.line_num
            return
        except csv.Error as exc:
            yield offset + read, {"__error__": str(exc), "__key__": "import.bad_csv"}
            offset += read


def _themes(value: object) -> list[str]:
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        items = [part for part in str(value or "").replace("|", ",").split(",")]
    out: list[str] = []
    for item in items:
        theme = item.strip().lstrip("#").lower()
        if theme and theme not in out:
            out.append(theme)
    return out


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_to_draft(record: dict[str, object], *, platform: str = "import") -> LessonDraft:
    """A lesson draft from one import record. Raises InputError when it has no text."""
    text = str(record.get("text") or "").strip()
    if not text:
        raise InputError("capture.empty")
    key = str(record.get("id") or hashlib.sha256(text.encode()).hexdigest()[:32])
    name = str(record.get("municipality") or "").strip()
    found = registry().lookup(name) if name else None
    outcome_raw = str(record.get("outcome") or "").strip()
    outcome = parse_outcome(outcome_raw) if outcome_raw else detect_outcome(text)
    if outcome is None:  # the same rule as `add` and capture: an outcome nobody can read is refused
        raise InputError("capture.bad_outcome", value=outcome_raw)
    contact_name = str(record.get("contact") or "").strip()
    themes = _themes(record.get("themes")) or extract_themes(text)
    if record.get("source_platform"):
        # A record from `leerkring export`: it keeps where the lesson came from, who may see it and the
        # people's platform ids, so a restore does not turn a private lesson public.
        origin = str(record["source_platform"])
        try:
            visibility = Visibility(str(record.get("source_visibility") or "public"))
        except ValueError as exc:
            detail = f"source_visibility “{record.get('source_visibility')}”"
            raise InputError("import.bad_field", detail=detail) from exc
        source = Source(platform=origin, workspace=str(record.get("source_workspace") or ""),
                        channel_id=str(record.get("source_channel_id") or ""),
                        channel_name=str(record.get("source_channel") or ""), visibility=visibility,
                        message_id=str(record.get("source_message_id") or key),
                        thread_id=str(record.get("source_thread_id") or ""),
                        permalink=str(record.get("permalink") or ""))
        contact_platform = str(record.get("contact_platform") or origin)
        contact_id, captured_id = str(record.get("contact_user_id") or ""), str(record.get("captured_by_user_id") or "")
    else:
        source = Source(platform=platform, workspace=platform, channel_id=str(record.get("channel") or ""),
                        channel_name=str(record.get("channel") or ""), visibility=Visibility.PUBLIC,
                        message_id=key, permalink=str(record.get("permalink") or ""))
        contact_platform, contact_id, captured_id = platform, "", ""
    return LessonDraft(
        text=text,
        source=source,
        captured_by=PersonRef(source.platform, captured_id, str(record.get("captured_by") or "")),
        contact=PersonRef(contact_platform, contact_id, contact_name) if contact_name or contact_id else None,
        title=str(record.get("title") or "") or title_from(text),
        municipality=found.name if found else name,
        municipality_code=found.code if found else "",
        organisation_kind=OrganisationKind.MUNICIPALITY if found or not name else OrganisationKind.OTHER,
        themes=themes, outcome=outcome, learned=str(record.get("learned") or ""),
        why=str(record.get("why") or ""), conditions=str(record.get("conditions") or ""),
        occurred_at=_date(record.get("date") or record.get("occurred_at")),
    )


IMPORT_BATCH = 200  # lessons stored per transaction: all of a batch, or none of it


def import_file(repo: Repository, path: Path, *, platform: str = "import",
                progress: Callable[[int], None] | None = None, lang: str = "nl") -> ImportReport:
    """Import a file; `skipped` holds (line number, the reason in `lang`) for each line left out."""
    report = ImportReport(skipped=[])
    batch: list[LessonDraft] = []

    def flush() -> None:
        for _, created in repo.save_lessons(batch):
            if created:
                report.created += 1
            else:
                report.updated += 1
        if progress and batch:
            progress(len(batch))
        batch.clear()

    for number, draft, problem in drafts(path, platform=platform, lang=lang):
        if draft is not None:
            batch.append(draft)
        else:
            report.skipped.append((number, problem))  # type: ignore[union-attr]
            if progress:
                progress(1)
        if len(batch) >= IMPORT_BATCH:
            flush()
    flush()
    return report


def drafts(path: Path, *, platform: str = "import", lang: str = "nl"
           ) -> Iterator[tuple[int, LessonDraft | None, str]]:
    """(line number, draft, "") for each lesson in a file, or (line number, None, the reason in `lang`) for
    a line that cannot be imported."""
    for number, record in lesson_records(path):
        if "__error__" in record:
            yield number, None, t(str(record.get("__key__") or "import.bad_json"), lang, detail=record["__error__"])
            continue
        try:
            yield number, record_to_draft(record, platform=platform), ""
        except InputError as exc:
            yield number, None, t(exc.key, lang, **exc.params)


def count_records(path: Path) -> int:
    return sum(1 for _ in read_records(path))
