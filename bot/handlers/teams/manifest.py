"""The Teams app package: the manifest shipped in bot/data/teams-manifest.json (bot, message action, command
menu, the resource-specific permissions to read the channels and chats it is added to; Dutch, with its
English texts beside it) filled in for this bot, and its two icons, zipped for upload in the Teams admin
center or Teams itself."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.config import Settings

TEMPLATE = Path(__file__).resolve().parents[2] / "data" / "teams-manifest.json"
ENGLISH = TEMPLATE.with_name("teams-manifest.en.json")
ACCENT = "#154273"  # the blue of Dutch government sites (the manifest's accentColor)


def _filled(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("${" + key + "}", value)
    return template


def manifest(settings: Settings, version: str = "0.1.0") -> dict[str, Any]:
    """The app manifest (bot/data/teams-manifest.json) for the bot registration TEAMS_APP_ID, served from
    TEAMS_PUBLIC_URL: the placeholders filled in."""
    host = urlparse(settings.teams_public_url).hostname or ""
    values = {"TEAMS_APP_ID": settings.teams_app_id, "VERSION": version,
              "TEAMS_PUBLIC_URL": settings.teams_public_url.rstrip("/") or "https://github.com/leerkring/leerkring",
              "TEAMS_HOST": host}
    content: dict[str, Any] = json.loads(_filled(TEMPLATE.read_text(encoding="utf-8"), values))
    if not host:
        content["validDomains"] = []
        content["webApplicationInfo"]["resource"] = f"api://{settings.teams_app_id}"
    return content


def _icon(size: int, outline: bool) -> bytes:
    """The app's icon: a white ring on government blue (color), or the ring alone on transparency (outline)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0) if outline else ACCENT)
    draw = ImageDraw.Draw(image)
    margin, width = size * 0.2, max(2, size // 10)
    draw.ellipse((margin, margin, size - margin, size - margin), outline=(255, 255, 255, 255), width=width)
    centre, dot = size / 2, size * 0.08
    draw.ellipse((centre - dot, centre - dot, centre + dot, centre + dot), fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def write_package(settings: Settings, path: Path, version: str = "0.1.0") -> dict[str, Any]:
    """Write the app package (manifest.json, its English texts en.json, color.png 192×192, outline.png 32×32)
    to `path`; the manifest."""
    content = manifest(settings, version)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(content, ensure_ascii=False, indent=2))
        package.writestr("en.json", ENGLISH.read_text(encoding="utf-8"))
        package.writestr("color.png", _icon(192, outline=False))
        package.writestr("outline.png", _icon(32, outline=True))
    return content
