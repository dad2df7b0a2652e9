"""The Teams app package: manifest.json (bot, message action, command menu, the resource-specific
permissions to read the channels and chats it is added to) and its two icons, zipped for upload in the
Teams admin center or Teams itself."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.config import Settings

MANIFEST_VERSION = "1.19"
SCHEMA = f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = "#154273"  # the blue of Dutch government sites
SCOPES = ["personal", "team", "groupChat"]
COMMANDS = [
    ("help", "Wat Leerkring kan en hoe je het vraagt"),
    ("vraag", "Heeft een gemeente al eens … geprobeerd?"),
    ("les", "Bewaar een les: wat, waar, hoe het afliep"),
    ("mijn", "De lessen die jij bewaarde"),
    ("open", "Vragen waar nog geen les op is"),
    ("meldingen", "Hoe vaak je meldingen krijgt"),
    ("kanaal", "Instellingen van dit kanaal: bewaren, antwoorden, taal"),
]


def manifest(settings: Settings, version: str = "0.1.0") -> dict[str, Any]:
    """The app manifest for the bot registration TEAMS_APP_ID, served from TEAMS_PUBLIC_URL."""
    app_id = settings.teams_app_id
    host = urlparse(settings.teams_public_url).hostname or ""
    site = settings.teams_public_url.rstrip("/") or "https://github.com/leerkring/leerkring"
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {"name": "Leerkring", "websiteUrl": site, "privacyUrl": f"{site}/privacy",
                      "termsOfUseUrl": f"{site}/voorwaarden"},
        "name": {"short": "Leerkring", "full": "Leerkring: gemeenten leren van elkaar"},
        "description": {
            "short": "Lessen van gemeenten: wat werkte, wat niet, en wie je erover spreekt.",
            "full": ("Leerkring bewaart praktijkverhalen van gemeenten als lessen (gelukt, mislukt of gemengd, met "
                     "waarom en met wie je kunt praten) en beantwoordt vragen als 'Heeft een gemeente al eens X "
                     "geprobeerd?' met de lessen van het hele netwerk, ook van gemeenten op Slack en Mattermost. "
                     "Bewaar een bericht met de berichtactie 'Bewaar als les' of met '@Leerkring bewaar'."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [{
            "botId": app_id, "scopes": SCOPES, "supportsFiles": False, "isNotificationOnly": False,
            "commandLists": [{"scopes": SCOPES, "commands": [{"title": title, "description": description}
                                                             for title, description in COMMANDS]}],
        }],
        "composeExtensions": [{
            "botId": app_id,
            "commands": [{"id": "bewaar", "type": "action", "title": "Bewaar als les",
                          "description": "Bewaar dit bericht (of deze draad) als les voor andere gemeenten",
                          "context": ["message"], "fetchTask": True}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host] if host else [],
        "webApplicationInfo": {"id": app_id, "resource": f"api://{host}/{app_id}" if host else f"api://{app_id}"},
        "authorization": {"permissions": {"resourceSpecific": [
            {"name": "ChannelMessage.Read.Group", "type": "Application"},
            {"name": "ChatMessage.Read.Chat", "type": "Application"},
        ]}},
    }


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
    """Write the app package (manifest.json, color.png 192×192, outline.png 32×32) to `path`; the manifest."""
    content = manifest(settings, version)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(content, ensure_ascii=False, indent=2))
        package.writestr("color.png", _icon(192, outline=False))
        package.writestr("outline.png", _icon(32, outline=True))
    return content
