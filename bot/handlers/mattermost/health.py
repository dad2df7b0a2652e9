"""Mattermost's entry in `leerkring doctor`: is it configured, is the server up, is the token accepted."""

from __future__ import annotations

from bot.config import Settings
from bot.doctor import FAIL, OFF, OK, WARN, Check
from bot.errors import LeerkringError
from bot.messages import t


def configured(settings: Settings) -> bool:
    return bool(settings.mattermost_url) and settings.mattermost_token is not None


def check(settings: Settings, lang: str) -> Check:
    if not configured(settings) or settings.mattermost_token is None:
        return Check("mattermost", OFF, t("doctor.not_configured", lang, setting="MATTERMOST_URL, MATTERMOST_TOKEN"))
    try:
        from bot.handlers.mattermost.gateway import probe
    except ImportError:
        return Check("mattermost", FAIL, "pip install 'leerkring[mattermost]'")
    try:
        me = probe(settings.mattermost_url, settings.mattermost_token.get_secret_value())
    except LeerkringError as exc:
        return Check("mattermost", FAIL, t(exc.key, lang, **exc.params))
    detail = t("doctor.mattermost", lang, url=settings.mattermost_url, user=me.get("username", "?"))
    if settings.mattermost_command_token is None:
        return Check("mattermost", WARN, detail + "; " + t("doctor.no_command_token", lang))
    return Check("mattermost", OK, detail)
