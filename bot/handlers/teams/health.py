"""Teams' entry in `leerkring doctor`: is it configured, does the identity platform accept its secret.
No SDK at import."""

from __future__ import annotations

from bot.config import Settings
from bot.doctor import FAIL, OFF, OK, Check
from bot.errors import LeerkringError
from bot.messages import t


def configured(settings: Settings) -> bool:
    return bool(settings.teams_app_id) or settings.teams_app_password is not None


def check(settings: Settings, lang: str) -> Check:
    if not configured(settings):
        return Check("teams", OFF, t("doctor.not_configured", lang, setting="TEAMS_APP_ID, TEAMS_APP_PASSWORD"))
    try:
        from bot.handlers.teams.run import cloud_for, preflight
    except ImportError:
        return Check("teams", FAIL, "pip install 'leerkring[teams]'")
    try:
        preflight(settings)
        login = cloud_for(settings).login_endpoint
    except LeerkringError as exc:
        return Check("teams", FAIL, t(exc.key, lang, **exc.params))
    return Check("teams", OK, t("doctor.teams", lang, app=settings.teams_app_id, login=login,
                                listen=settings.teams_listen))
