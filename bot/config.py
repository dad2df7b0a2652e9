"""Typed settings, read from environment variables or a `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All of Leerkring's settings. Secrets are `SecretStr`, so they never show in logs or reprs."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    data_dir: Path = Field(default=Path("data"), alias="LEERKRING_DATA_DIR")
    index_dir: Path = Field(default=Path("index"), alias="LEERKRING_INDEX_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")

    embedder: Literal["e5", "sentence-transformers", "fake"] = Field(default="e5", alias="LEERKRING_EMBEDDER")
    embedding_model: str = Field(default="", alias="LEERKRING_EMBEDDING_MODEL")
    allow_model_download: bool = Field(default=False, alias="LEERKRING_ALLOW_MODEL_DOWNLOAD")

    default_language: Literal["nl", "en"] = Field(default="nl", alias="LEERKRING_LANGUAGE")
    max_hits: int = Field(default=5, ge=1, le=20, alias="LEERKRING_MAX_HITS")
    max_lesson_chars: int = Field(default=40_000, ge=1000, alias="LEERKRING_MAX_LESSON_CHARS")
    # lessons from which the dense index is approximate (IVF-SQ8); bot.search.dense.APPROXIMATE_FROM
    approximate_from: int = Field(default=100_000, ge=1000, alias="LEERKRING_APPROXIMATE_FROM")

    keep_questions_open: bool = Field(default=True, alias="LEERKRING_KEEP_QUESTIONS_OPEN")
    question_max_age_days: int = Field(default=90, ge=1, alias="LEERKRING_QUESTION_MAX_AGE_DAYS")
    digest_cron: str = Field(default="0 9 * * mon", alias="LEERKRING_DIGEST_CRON")
    # how often a platform's process looks for answers saved by other processes to its askers' questions
    followup_seconds: float = Field(default=30.0, gt=0, alias="LEERKRING_FOLLOWUP_SECONDS")
    digest_channels: str = Field(default="", alias="LEERKRING_DIGEST_CHANNELS")
    # days after a lesson whose outcome was not known yet that its contact is asked how it ended
    checkback_days: str = Field(default="90,180", alias="LEERKRING_CHECKBACK_DAYS")
    # days after an accepted introduction that both are asked whether they met
    intro_check_days: float = Field(default=14.0, ge=0, alias="LEERKRING_INTRO_CHECK_DAYS")
    # who tends the network: `platform:user` (a user id or handle), comma-separated; they approve failures
    # shared anonymously, plan their sessions and make learning circles
    coordinators: str = Field(default="", alias="LEERKRING_COORDINATORS")
    log_format: Literal["text", "json"] = Field(default="text", alias="LEERKRING_LOG_FORMAT")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="WARNING", alias="LEERKRING_LOG_LEVEL")
    # host:port of a listener with only /healthz and /metrics (Socket Mode has no HTTP listener of its own)
    health_listen: str = Field(default="", alias="LEERKRING_HEALTH_LISTEN")

    # -- the coordinators' web page ---------------------------------------------------------------
    web_listen: str = Field(default="", alias="LEERKRING_WEB_LISTEN")  # host:port; `leerkring run` serves it too
    web_url: str = Field(default="", alias="LEERKRING_WEB_URL")  # as users reach it, e.g. https://leerkring.example.nl
    web_secret: SecretStr | None = Field(default=None, alias="LEERKRING_WEB_SECRET")  # signs the session cookie
    oidc_issuer: str = Field(default="", alias="LEERKRING_OIDC_ISSUER")
    oidc_client_id: str = Field(default="", alias="LEERKRING_OIDC_CLIENT_ID")
    oidc_client_secret: SecretStr | None = Field(default=None, alias="LEERKRING_OIDC_CLIENT_SECRET")
    # a coordinator has this value in this claim (a role from Entra ID or Keycloak), or is listed below
    oidc_role_claim: str = Field(default="roles", alias="LEERKRING_OIDC_ROLE_CLAIM")
    oidc_role: str = Field(default="leerkring-coordinator", alias="LEERKRING_OIDC_ROLE")
    # the claim that names the workspaces whose private lessons a coordinator tends: "slack:T0123 mattermost:team"
    oidc_workspace_claim: str = Field(default="leerkring_workspaces", alias="LEERKRING_OIDC_WORKSPACE_CLAIM")
    # e-mail=platform:workspace platform:workspace, separated by ";" (a coordinator by list, and their workspaces)
    web_coordinators: str = Field(default="", alias="LEERKRING_WEB_COORDINATORS")

    # -- Slack ----------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    slack_mode: Literal["socket", "http"] = Field(default="socket", alias="SLACK_MODE")
    slack_port: int = Field(default=3000, alias="SLACK_PORT")
    slack_capture_emojis: str = Field(default="bulb,leerkring,bookmark", alias="SLACK_CAPTURE_EMOJIS")
    slack_answer_bots: bool = Field(default=False, alias="SLACK_ANSWER_BOTS")
    # one app for many workspaces (HTTP mode): installed through /slack/install, tokens kept in the database
    slack_client_id: str = Field(default="", alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_authorize_url: str = Field(default="https://slack.com/oauth/v2/authorize", alias="SLACK_AUTHORIZE_URL")

    # -- Mattermost -----------------------------------------------------------------------------
    mattermost_url: str = Field(default="", alias="MATTERMOST_URL")
    mattermost_token: SecretStr | None = Field(default=None, alias="MATTERMOST_TOKEN")
    mattermost_listen: str = Field(default="0.0.0.0:8080", alias="MATTERMOST_LISTEN")
    mattermost_public_url: str = Field(default="", alias="MATTERMOST_PUBLIC_URL")
    mattermost_command_token: SecretStr | None = Field(default=None, alias="MATTERMOST_COMMAND_TOKEN")
    mattermost_capture_emojis: str = Field(default="bulb,leerkring,bookmark", alias="MATTERMOST_CAPTURE_EMOJIS")
    mattermost_answer_bots: bool = Field(default=False, alias="MATTERMOST_ANSWER_BOTS")

    # Microsoft Teams: the Azure bot registration's app id and secret; its tenant for a single-tenant bot
    teams_app_id: str = Field(default="", alias="TEAMS_APP_ID")
    teams_app_password: SecretStr | None = Field(default=None, alias="TEAMS_APP_PASSWORD")
    teams_tenant_id: str = Field(default="", alias="TEAMS_TENANT_ID")
    teams_listen: str = Field(default="0.0.0.0:3978", alias="TEAMS_LISTEN")  # serves /api/messages
    teams_public_url: str = Field(default="", alias="TEAMS_PUBLIC_URL")  # the app manifest's valid domain
    teams_admins: str = Field(default="", alias="TEAMS_ADMINS")  # Entra object ids who set workspace sharing
    # the Microsoft cloud: Public, USGov, USGovDoD or China (the endpoints below override single addresses)
    teams_cloud: str = Field(default="Public", alias="TEAMS_CLOUD")
    teams_login_url: str = Field(default="", alias="TEAMS_LOGIN_URL")
    teams_openid_metadata_url: str = Field(default="", alias="TEAMS_OPENID_METADATA_URL")
    teams_token_issuer: str = Field(default="", alias="TEAMS_TOKEN_ISSUER")

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret", "mattermost_token",
                     "mattermost_command_token", "web_secret", "oidc_client_secret", "slack_client_secret",
                     "teams_app_password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`SLACK_BOT_TOKEN=` in a .env file (as in .env.example) means not set, not an empty token."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def checkback_periods(self) -> list[float]:
        return [float(part) for part in self.checkback_days.split(",") if part.strip()]

    @property
    def capture_emojis(self) -> frozenset[str]:
        return _emoji_set(self.slack_capture_emojis)

    @property
    def mattermost_emojis(self) -> frozenset[str]:
        return _emoji_set(self.mattermost_capture_emojis)

    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the old scheme; SQLAlchemy 2 wants the driver spelled out.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://"):]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            return url
        return f"sqlite:///{(self.data_dir / 'leerkring.sqlite3').resolve()}"


def _emoji_set(text: str) -> frozenset[str]:
    return frozenset(e.strip().strip(":") for e in text.split(",") if e.strip())
