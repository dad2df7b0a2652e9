"""Who may use the web page: coordinators signed in through OpenID Connect (Entra ID, Keycloak, any
issuer with discovery), or with a one-time link printed by `leerkring web --create-admin`. Every form
carries a CSRF token bound to the session."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Any

from starlette.requests import Request

from bot.config import Settings
from bot.tending import Coordinator, parse_workspaces

SESSION_KEY = "coordinator"
ADMIN_LINK_VALID = timedelta(hours=24)


def coordinator_of(request: Request) -> Coordinator | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or not data.get("name"):
        return None
    return Coordinator(str(data["name"]), frozenset((p, w) for p, w in data.get("workspaces", [])))


def sign_in(request: Request, who: Coordinator, via: str) -> None:
    """A fresh session for `who` (nothing of the session before sign-in carries over), with a new CSRF token."""
    request.session.clear()
    request.session[SESSION_KEY] = {"name": who.name, "via": via,
                                    "workspaces": sorted([p, w] for p, w in who.workspaces)}
    request.session["csrf"] = secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def csrf_ok(request: Request, sent: object) -> bool:
    expected = request.session.get("csrf")
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(str(expected), sent)


def listed_coordinators(settings: Settings) -> dict[str, frozenset[tuple[str, str]]]:
    """LEERKRING_WEB_COORDINATORS: "anna@example.nl=slack:T0123 mattermost:team1; piet@example.nl" as
    e-mail (lower case) -> workspaces."""
    listed: dict[str, frozenset[tuple[str, str]]] = {}
    for entry in settings.web_coordinators.split(";"):
        email, _, places = entry.partition("=")
        if email.strip():
            listed[email.strip().lower()] = parse_workspaces(places)
    return listed


def coordinator_from_claims(claims: dict[str, Any], settings: Settings) -> tuple[Coordinator | None, str]:
    """The coordinator these (validated) ID-token claims describe, or None with the name they signed in as:
    the role in the role claim, or the e-mail address in the configured list."""
    email = str(claims.get("email") or claims.get("preferred_username") or "").lower()
    name = str(claims.get("name") or email or claims.get("sub") or "")
    roles = claims.get(settings.oidc_role_claim) or []
    roles = [roles] if isinstance(roles, str) else list(roles)
    listed = listed_coordinators(settings)
    if settings.oidc_role not in roles and email not in listed:
        return None, name
    claimed = claims.get(settings.oidc_workspace_claim) or []
    claimed = " ".join(claimed) if isinstance(claimed, list) else str(claimed)
    workspaces = parse_workspaces(claimed) | listed.get(email, frozenset())
    label = f"{name} <{email}>" if email and email != name else name
    return Coordinator(label, workspaces), name


def oidc_client(settings: Settings) -> Any:
    """The OpenID Connect client (Authlib), or None when no issuer is configured. Authlib reads the issuer's
    discovery document, keeps state and nonce in the session, and validates the ID token's signature (from
    the issuer's JWKS), issuer, audience, expiry and nonce."""
    if not settings.oidc_issuer:
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    oauth.register(name="oidc", client_id=settings.oidc_client_id, client_secret=secret,
                   server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
                   client_kwargs={"scope": "openid email profile"})
    return oauth.create_client("oidc")


def create_admin_link(repo: Any, base_url: str, workspaces: list[str]) -> str:
    """A one-time sign-in link; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    repo.create_admin_link(token, ADMIN_LINK_VALID, workspaces)
    return f"{base_url.rstrip('/')}/login/once/{token}"
