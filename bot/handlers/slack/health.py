"""Slack's entry in `leerkring doctor`: is it configured, does Slack accept the tokens. No SDK at import."""

from __future__ import annotations

from bot.config import Settings
from bot.doctor import FAIL, OFF, OK, Check
from bot.errors import LeerkringError
from bot.messages import t


def configured(settings: Settings) -> bool:
    return settings.slack_bot_token is not None or bool(settings.slack_client_id)


def check(settings: Settings, lang: str) -> Check:
    if not configured(settings):
        return Check("slack", OFF, t("doctor.not_configured", lang, setting="SLACK_BOT_TOKEN"))
    if settings.slack_client_id and settings.slack_bot_token is None:  # one app, installed by each workspace
        missing = [name for name, value in (("SLACK_CLIENT_SECRET", settings.slack_client_secret),
                                            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret)) if value is None]
        if settings.slack_mode != "http" or missing:
            return Check("slack", FAIL, t("config.slack_oauth_http", lang) + (
                "; " + t("doctor.missing", lang, settings=", ".join(missing)) if missing else ""))
        return Check("slack", OK, t("doctor.slack_oauth", lang))
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
