"""The Bot Framework connector as the bot's worker threads use it: the Teams SDK's API client, called on the
SDK's event loop, with retries of throttled and failed calls and the bot's own token from the token service.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Coroutine
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from microsoft_teams.api import ApiClient
from microsoft_teams.api.activities.message.message import MessageActivityInput
from microsoft_teams.api.auth.cloud_environment import CloudEnvironment
from microsoft_teams.api.clients.conversation.params import CreateConversationParams
from microsoft_teams.common import MiddlewareContext, MiddlewareNext

log = logging.getLogger(__name__)
CALL_TIMEOUT = 120.0  # seconds a worker waits for one connector call, retries included


class ConnectorError(Exception):
    """The connector refused a call (a 4xx other than 429), or it kept failing."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(f"connector answered {status}: {message[:200]}")
        self.status = status


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class Retrying:
    """SDK HTTP middleware: a throttled call (429) waits what Retry-After says, a server error (5xx) or a
    dropped connection backs off exponentially with jitter; other refusals are not retried."""

    def __init__(self, attempts: int = 6, base_delay: float = 0.5, max_delay: float = 30.0) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def send(self, context: MiddlewareContext, next: MiddlewareNext) -> httpx.Response:
        for attempt in range(self.attempts):
            try:
                return await next()
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                if (status != 429 and status < 500) or attempt == self.attempts - 1:
                    raise
                delay = _retry_after(exc.response) if status == 429 else None
                reason = str(status)
            except httpx.TransportError as exc:
                if attempt == self.attempts - 1:
                    raise
                delay, reason = None, type(exc).__name__
            if delay is None:
                delay = min(self.max_delay, self.base_delay * 2 ** attempt) * random.uniform(0.5, 1.0)
            log.warning("teams: %s %s failed (%s); retrying in %.1f s", context.method,
                        context.url.split("?", 1)[0], reason, delay)
            await asyncio.sleep(min(delay, self.max_delay))
        raise RuntimeError("unreachable")  # pragma: no cover


class BotTokens:
    """The bot's access tokens for the connector: OAuth 2.0 client credentials at the Microsoft identity
    platform of the configured cloud, kept until shortly before they expire. Given to the SDK as its token
    provider, so every call it makes carries one."""

    def __init__(self, app_id: str, password: str, cloud: CloudEnvironment, tenant: str = "") -> None:
        self.app_id = app_id
        self.password = password
        self.cloud = cloud
        self.tenant = tenant
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    def endpoint(self, tenant: str) -> str:
        return f"{self.cloud.login_endpoint.rstrip('/')}/{tenant}/oauth2/v2.0/token"

    async def __call__(self, scope: str | list[str], tenant_id: str | None = None) -> str:
        scope = " ".join(scope) if isinstance(scope, list) else scope
        tenant = self.tenant or tenant_id or self.cloud.login_tenant
        async with self._lock:
            cached = self._tokens.get((scope, tenant))
            if cached and cached[1] - 120 > time.time():
                return cached[0]
            async with AsyncOAuth2Client(self.app_id, self.password, scope=scope,
                                         token_endpoint_auth_method="client_secret_post", timeout=30) as client:
                token = await client.fetch_token(self.endpoint(tenant), grant_type="client_credentials")
            expires = float(token.get("expires_at") or time.time() + float(token.get("expires_in") or 3600))
            self._tokens[(scope, tenant)] = (str(token["access_token"]), expires)
            return str(token["access_token"])


class Connector:
    """Sends and reads through the SDK's API client from any thread; the SDK's loop does the I/O."""

    def __init__(self, api: ApiClient, loop: asyncio.AbstractEventLoop) -> None:
        self.api = api
        self.loop = loop
        self._clients: dict[str, ApiClient] = {}

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(CALL_TIMEOUT)
        except httpx.HTTPStatusError as exc:
            raise ConnectorError(exc.response.status_code, exc.response.text) from exc

    def _at(self, service_url: str) -> ApiClient:
        if service_url not in self._clients:
            self._clients[service_url] = self.api.from_service_url(service_url)
        return self._clients[service_url]

    def send(self, service_url: str, conversation_id: str, activity: dict[str, Any], *, targeted: bool = False
             ) -> str:
        """Post `activity` in a conversation (`;messageid=<root>` for a reply chain); its id. A targeted
        message is seen by its `recipient` alone."""
        message = MessageActivityInput.model_validate(activity)
        client = self._at(service_url).conversations.activities_client
        create = client.create_targeted if targeted else client.create
        return str(self._run(create(conversation_id, message)).id)

    def create_personal(self, service_url: str, tenant: str, user_id: str, bot_id: str) -> str:
        """Open the personal chat between the bot and someone (or find the one there is); its id."""
        params = CreateConversationParams.model_validate(
            {"members": [{"id": user_id}], **({"tenantId": tenant, "channelData": {"tenant": {"id": tenant}}}
                                              if tenant else {})})
        return str(self._run(self._at(service_url).conversations.create(params)).id)

    def is_member(self, service_url: str, conversation_id: str, user_id: str) -> bool:
        try:
            self._run(self._at(service_url).conversations.members_client.get_by_id(conversation_id, user_id))
        except ConnectorError as exc:
            if exc.status not in (403, 404):
                log.warning("teams: membership of %s could not be checked (%s)", conversation_id, exc.status)
            return False
        return True
