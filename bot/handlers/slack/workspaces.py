"""One Slack app in many workspaces: each installs it through Slack's OAuth flow (slack-bolt's own, with
slack_sdk's SQLAlchemy installation and state stores in Leerkring's database), and every Web API call goes out
with the bot token of the workspace it concerns.

Which workspace a call concerns: the one whose event is being handled (set for the listener's thread), else
the workspace a channel or person was last seen in, else the one installation there is; a channel or person
seen nowhere yet is looked up with each installation's token in turn (a channel shared between workspaces
answers to each of them)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select

log = logging.getLogger(__name__)
_current = threading.local()

# the bot scopes asked at install: slack-manifest.yml's (a test keeps the two equal)
BOT_SCOPES = ("app_mentions:read", "channels:history", "channels:read", "chat:write", "commands", "files:write",
              "groups:history", "groups:read", "im:history", "im:read", "im:write", "mpim:history", "mpim:read",
              "mpim:write", "reactions:read", "users:read")
# Web API methods whose arguments name the channel or the person they concern
_CHANNEL_ARGS = ("channel", "channel_id")
_USER_ARGS = ("user", "users")


def current_team() -> str:
    return str(getattr(_current, "team", "") or "")


def team_of(body: dict[str, Any]) -> str:
    """The workspace an event, command or action came from."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or ""
    if not team:
        for authorization in body.get("authorizations") or []:
            team = authorization.get("team_id") or team
    return str(team or (body.get("user") or {}).get("team_id") or "")


def in_team(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Run a bolt listener with its workspace as the one its Web API calls concern (bolt injects arguments by
    the listener's signature, which `functools.wraps` keeps)."""

    @functools.wraps(listener)
    def run(*args: Any, **kwargs: Any) -> Any:
        body = kwargs.get("body") or {}
        before, _current.team = getattr(_current, "team", ""), team_of(body) or getattr(_current, "team", "")
        try:
            return listener(*args, **kwargs)
        finally:
            _current.team = before

    return run


class Installations:
    """The workspaces the app is installed in, and their bot tokens (kept by slack_sdk's SQLAlchemy store)."""

    def __init__(self, client_id: str, engine: Engine, base_url: str) -> None:
        self.store = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
        self.states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
        self.store.create_tables()
        self.states.create_tables()
        self.base_url = base_url
        self._tokens: dict[str, str] = {}
        self.channels: dict[str, str] = {}  # channel -> the workspace it was last seen in
        self.people: dict[str, str] = {}  # user -> their workspace
        self._lock = threading.Lock()

    def token(self, team: str) -> str | None:
        with self._lock:
            if team in self._tokens:
                return self._tokens[team]
        bot = self.store.find_bot(enterprise_id=None, team_id=team)
        if bot is None:
            return None
        with self._lock:
            self._tokens[team] = bot.bot_token or ""
        return bot.bot_token

    def teams(self) -> list[str]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(self.store.bots.c.team_id).where(self.store.bots.c.client_id ==
                                                                         self.store.client_id).distinct())
            return sorted(str(team) for (team,) in rows if team)

    def forget(self, team: str) -> None:
        """Uninstalled (or the bot token revoked): the tokens go."""
        self.store.delete_all(enterprise_id=None, team_id=team)
        with self._lock:
            self._tokens.pop(team, None)
            for known in (self.channels, self.people):
                for key in [k for k, v in known.items() if v == team]:
                    known.pop(key)

    def seen(self, team: str, channel: str = "") -> None:
        if team and channel:
            self.channels[channel] = team

    def team_for(self, method: str, args: dict[str, Any]) -> str:
        """The workspace a Web API call concerns: a call about a person (their profile, a direct message to
        them, a conversation with them) goes to the person's own workspace; a call about a channel to the
        workspace of the event being handled, else the one the channel was seen in."""
        channel = next((str(args[k]) for k in _CHANNEL_ARGS if args.get(k)), "")
        users = [u for k in _USER_ARGS if args.get(k) for u in str(args[k]).split(",")]
        if channel.startswith("U"):  # a direct message addressed to the person
            channel, users = "", [channel]
        if users and not channel:
            team = self.team_of_user(users[0])
            if team:
                return team
        team = current_team() or self.channels.get(channel, "")
        if team:
            return team
        teams = self.teams()
        if len(teams) == 1:
            return teams[0]
        return self._discover(teams, channel) if channel else ""

    def team_of_user(self, user: str) -> str:
        """The workspace a person belongs to: the one whose token can read their profile."""
        if user in self.people:
            return self.people[user]
        teams = self.teams()
        if len(teams) == 1:
            return teams[0]
        for team in sorted(teams, key=lambda t: t != current_team()):
            token = self.token(team)
            try:
                if token and WebClient(token=token, base_url=self.base_url, timeout=10).users_info(user=user):
                    self.people[user] = team
                    return team
            except SlackApiError:
                continue
        return ""

    def _discover(self, teams: list[str], channel: str) -> str:
        for team in teams:
            token = self.token(team)
            if not token:
                continue
            try:
                WebClient(token=token, base_url=self.base_url, timeout=10).conversations_info(channel=channel)
            except SlackApiError:
                continue
            self.channels[channel] = team
            return team
        return ""


class RoutingClient(WebClient):
    """A WebClient that sends each call with the bot token of the workspace it concerns."""

    def __init__(self, installations: Installations, **kwargs: Any) -> None:
        super().__init__(token=None, **kwargs)
        self.installations = installations

    def api_call(self, api_method: str, *, http_verb: str = "POST", files: dict[str, Any] | None = None,
                 data: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
                 json: dict[str, Any] | None = None, headers: dict[str, Any] | None = None,
                 auth: dict[str, Any] | None = None) -> Any:
        if auth is None and not (params or {}).get("token") and not (data or {}).get("token"):
            args = {**(params or {}), **(data or {}), **(json or {})}
            token = self.installations.token(self.installations.team_for(api_method, args))
            if token:
                headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
        return super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params, json=json,
                                headers=headers, auth=auth)
