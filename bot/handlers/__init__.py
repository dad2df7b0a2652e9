"""Adapters between a chat platform (or the terminal) and the core.

`PLATFORMS` is the one place a chat platform is registered. Each name is a package here with
- `health.py`: `configured(settings)` and `check(settings, lang)` (for `leerkring doctor`), importing no SDK;
- `cli.py`: `group`, its `leerkring <platform>` commands (run, backfill);
- `run.py`: `preflight(settings)` (settings and tokens checked before anything loads) and `run(core)`;
- an adapter that supplies the port of `bot.chat` and translates the platform's events into its flows.
See docs/platforms.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

PLATFORMS = ("slack", "mattermost", "teams")


def part(platform: str, name: str) -> Any:
    """A platform's module: `health`, `cli` or `run`."""
    return import_module(f"bot.handlers.{platform}.{name}")


def configured(settings: Any) -> list[str]:
    """The platforms whose settings are present."""
    return [name for name in PLATFORMS if part(name, "health").configured(settings)]
