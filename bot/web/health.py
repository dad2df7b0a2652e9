"""The web page's entry in `leerkring doctor`: is it served, how do coordinators sign in, does the identity
provider answer its discovery document. Nothing is changed."""

from __future__ import annotations

from bot.config import Settings
from bot.doctor import FAIL, OFF, OK, WARN, Check
from bot.messages import t


def check(settings: Settings, lang: str) -> Check:
    if not settings.web_listen:
        return Check("web", OFF, t("doctor.not_configured", lang, setting="LEERKRING_WEB_LISTEN"))
    if not settings.oidc_issuer:
        return Check("web", WARN, t("doctor.web_links_only", lang, listen=settings.web_listen))
    import httpx

    url = settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=10)
        response.raise_for_status()
        issuer = response.json().get("issuer", "")
    except (httpx.HTTPError, ValueError) as exc:
        return Check("web", FAIL, t("doctor.web_oidc_unreachable", lang, url=url, reason=type(exc).__name__))
    if issuer.rstrip("/") != settings.oidc_issuer.rstrip("/"):
        return Check("web", FAIL, t("doctor.web_oidc_issuer", lang, issuer=issuer, expected=settings.oidc_issuer))
    missing = [name for name, value in (("LEERKRING_OIDC_CLIENT_ID", settings.oidc_client_id),
                                        ("LEERKRING_OIDC_CLIENT_SECRET", settings.oidc_client_secret),
                                        ("LEERKRING_WEB_SECRET", settings.web_secret)) if not value]
    detail = t("doctor.web", lang, listen=settings.web_listen, issuer=issuer)
    if missing:
        return Check("web", WARN, detail + "; " + t("doctor.missing", lang, settings=", ".join(missing)))
    return Check("web", OK, detail)
