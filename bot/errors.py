"""One error hierarchy. Every error a user can cause carries a message key from `bot.messages`."""

from __future__ import annotations

from typing import Any


class LeerkringError(Exception):
    """Base class. `key` names a text in `bot.messages`; `params` fill it in."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class InputError(LeerkringError):
    """The user's input can't be used as it is (empty, too long, unknown value)."""

    key = "error.input"


class NotFoundError(LeerkringError):
    key = "error.not_found"


class PermissionDenied(LeerkringError):
    key = "error.permission"


class ConfigurationError(LeerkringError):
    """The operator's settings are wrong or an optional extra is missing."""

    key = "error.config"
