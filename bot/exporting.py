"""The lesson base as a file: JSON lines, CSV or Markdown, from `lesson_summary` rows (CLI and web page)."""

from __future__ import annotations

import csv
import io
import json

from bot.capture import snippet

FORMATS = ("jsonl", "csv", "markdown")


def write_lessons(rows: list[dict[str, object]], fmt: str) -> str:
    out = io.StringIO()
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        fields = list(rows[0]) if rows else ["id", "title", "text"]
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "|".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()})
    elif fmt == "markdown":
        for row in rows:
            out.write(f"## {row['title']}\n\n")
            out.write(f"*{row['municipality'] or '-'} · {row['outcome']} · contact: {row['contact'] or '-'}*\n\n")
            out.write(f"{snippet(str(row['text']), 10_000)}\n\n")
            for key, label in (("why", "Waarom"), ("conditions", "Voorwaarden"), ("learned", "Geleerd")):
                if row[key]:
                    out.write(f"**{label}:** {row[key]}\n\n")
            if row.get("permalink"):
                out.write(f"Bron: {row['permalink']}\n\n")
    else:
        raise ValueError(fmt)
    return out.getvalue()
