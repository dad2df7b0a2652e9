"""Slack's entry in `leerkring doctor`: is it configured, does Slack accept the tokens. No SDK at import."""

from __future__ import annotations

from bot.config import Settings
from bot.doctor import FAIL, OFF, OK, Check
from bot.errors import LeerkringError
from bot.messages import t


def configured(settings: Settings) -> bool:
    return settings.slack_bot_token is not None


def check(settings: Settings, lang: str) -> Check:
    if not configured(settings):
        return Check("slack", OFF, t("doctor.not_configured", lang, setting="SLACK_BOT_TOKEN"))
    try:
        from bot.handlers.slack.run import check_token, probe_client
    except ImportError:
        return Check("slack", FAIL, "pip install 'leerkring[slack]'")
    try:
        who = check_token(probe_client(settings), settings.slack_api_url)
    except LeerkringError as exc:
        return Check("slack", FAIL, t(exc.key, lang, **exc.params))
    needed = ("SLACK_APP_TOKEN", settings.slack_app_token) if settings.slack_mode == "socket" else \
        ("SLACK_SIGNING_SECRET", settings.slack_signing_secret)
    detail = t("doctor.slack", lang, team=who.get("team", "?"), user=who.get("user", "?"), mode=settings.slack_mode)
    if needed[1] is None:
        return Check("slack", FAIL, detail + "; " + t("doctor.missing", lang, settings=needed[0]))
    return Check("slack", OK, detail)
