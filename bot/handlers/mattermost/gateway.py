"""Mattermost REST look-ups through mattermostautodriver's TypedDriver, with short-lived caches."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from mattermostautodriver import TypedDriver
from mattermostautodriver.exceptions import InvalidMattermostError, MattermostError

from bot.handlers.common import TTL, TTLCache
from bot.model import Asker, Visibility

log = logging.getLogger(__name__)
API_ERRORS = (MattermostError, InvalidMattermostError)


@dataclass
class MattermostUser:
    id: str
    username: str
    name: str
    locale: str
    is_bot: bool
    deleted: bool
    admin: bool = False  # a system admin


def driver_options(url: str, token: str) -> dict[str, Any]:
    """TypedDriver options from a URL such as http://127.0.0.1:8065 or https://chat.example.nl."""
    parts = urlsplit(url if "://" in url else "https://" + url)
    scheme = parts.scheme or "https"
    port = parts.port or (443 if scheme == "https" else 80)
    return {"url": parts.hostname or "localhost", "port": port, "scheme": scheme, "token": token,
            "verify": True, "timeout": 30, "request_timeout": 30, "max_retries": 5, "retry_max_sleep": 30,
            "keepalive": True}


def probe(url: str, token: str, timeout: float = 10.0) -> dict[str, Any]:
    """Who the token belongs to (GET /api/v4/users/me), asked once without retries, so that a server that is
    down or a refused token is reported at start in one line instead of after the driver's retries."""
    from bot.errors import ConfigurationError

    options = driver_options(url, token)
    base = f"{options['scheme']}://{options['url']}:{options['port']}"
    try:
        response = httpx.get(f"{base}/api/v4/users/me", headers={"Authorization": f"Bearer {token}"},
                             timeout=timeout)
    except httpx.HTTPError as exc:
        raise ConfigurationError("config.unreachable", service="Mattermost", address=base, setting="MATTERMOST_URL",
                                 reason=str(exc) or type(exc).__name__) from exc
    if response.status_code in (401, 403):
        raise ConfigurationError("config.mattermost_login")
    if response.status_code != 200 or "id" not in (me := response.json()):
        raise ConfigurationError("config.unreachable", service="Mattermost", address=base, setting="MATTERMOST_URL",
                                 reason=f"HTTP {response.status_code}")
    return dict(me)


class MattermostGateway:
    """Users, channels, teams and membership; also the core's access checker for Mattermost lessons."""

    def __init__(self, driver: TypedDriver, site_url: str, ttl: float = TTL) -> None:
        self.driver = driver
        self.site_url = site_url.rstrip("/")
        self._users = TTLCache(ttl)
        self._channels = TTLCache(ttl)
        self._teams = TTLCache(ttl * 12)
        self._members = TTLCache(ttl)

    def can_see(self, asker: Asker, platform: str, workspace: str, channel_id: str) -> bool:
        if platform != "mattermost" or asker.platform != "mattermost":
            return False
        return self.is_member(channel_id, asker.user_id)

    def is_member(self, channel_id: str, user_id: str) -> bool:
        cached = self._members.get((channel_id, user_id))
        if cached is not None:
            return bool(cached)
        try:
            self.driver.channels.get_channel_member(channel_id, user_id)
            member = True
        except API_ERRORS:
            member = False
        return bool(self._members.put((channel_id, user_id), member))

    def user(self, user_id: str) -> MattermostUser:
        cached = self._users.get(user_id)
        if cached is not None:
            return cached
        try:
            info = self.driver.users.get_user(user_id)
        except API_ERRORS:
            return MattermostUser(user_id, user_id, user_id, "", False, False)
        full = " ".join(x for x in (info.get("first_name"), info.get("last_name")) if x)
        user = MattermostUser(user_id, info.get("username", user_id), full or info.get("nickname") or
                              info.get("username", user_id), info.get("locale", ""), bool(info.get("is_bot")),
                              bool(info.get("delete_at")), "system_admin" in str(info.get("roles", "")).split())
        return self._users.put(user_id, user)

    def forget_user(self, user_id: str) -> None:
        self._users.drop(user_id)

    def channel(self, channel_id: str) -> dict[str, Any]:
        cached = self._channels.get(channel_id)
        if cached is not None:
            return cached
        try:
            info = dict(self.driver.channels.get_channel(channel_id))
        except API_ERRORS:
            info = {"id": channel_id, "type": "P", "name": channel_id, "team_id": ""}
        return self._channels.put(channel_id, info)

    def visibility(self, channel_id: str) -> tuple[Visibility, str]:
        info = self.channel(channel_id)
        kind = info.get("type", "P")
        visibility = {"O": Visibility.PUBLIC, "P": Visibility.PRIVATE}.get(kind, Visibility.DM)
        return visibility, info.get("display_name") or info.get("name", "")

    def team_name(self, team_id: str) -> str:
        if not team_id:
            return ""
        cached = self._teams.get(team_id)
        if cached is not None:
            return str(cached)
        try:
            name = self.driver.teams.get_team(team_id).get("name", "")
        except API_ERRORS:
            name = ""
        return str(self._teams.put(team_id, name))

    def permalink(self, team_id: str, post_id: str) -> str:
        team = self.team_name(team_id)
        return f"{self.site_url}/{team}/pl/{post_id}" if team else f"{self.site_url}/_redirect/pl/{post_id}"

    def thread(self, post_id: str) -> list[dict[str, Any]]:
        """The posts of a thread, oldest first."""
        thread = self.driver.posts.get_post_thread(post_id)
        posts = thread.get("posts") or {}
        return sorted(posts.values(), key=lambda p: p.get("create_at", 0))

    def post(self, post_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.driver.posts.get_post(post_id))
        except API_ERRORS:
            return None
