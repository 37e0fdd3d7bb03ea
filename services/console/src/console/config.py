"""The console's settings, read from the environment once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field, field_validator

from shared.settings import EnvSettings, FromFile, ServiceSettings, SettingsError, check_secret

DEFAULT_PORT = 8003
DEVELOPMENT_SECRET = "etapa-console-development-secret"  # noqa: S105 - refused in production


class ConsoleSettings(EnvSettings):
    service: ServiceSettings
    """Broker, HTTP, logging and the token-checking public key (see ``shared.settings``)."""
    intake_url: str = Field("http://127.0.0.1:8000", validation_alias="CONSOLE_INTAKE_URL")
    """``CONSOLE_INTAKE_URL``: intake's API as the console reaches it."""
    workflow_url: str = Field("http://127.0.0.1:8001", validation_alias="CONSOLE_WORKFLOW_URL")
    """``CONSOLE_WORKFLOW_URL``: workflow's API as the console reaches it."""
    notifier_url: str = Field("http://127.0.0.1:8002", validation_alias="CONSOLE_NOTIFIER_URL")
    """``CONSOLE_NOTIFIER_URL``: the notifier's API as the console reaches it."""
    secret_key: Annotated[str, FromFile()] = Field(
        DEVELOPMENT_SECRET, validation_alias="CONSOLE_SECRET_KEY", repr=False
    )
    """``CONSOLE_SECRET_KEY`` (or ``_FILE``): signs the CSRF tokens of the console's forms."""
    secure_cookies_setting: bool | None = Field(None, validation_alias="CONSOLE_SECURE_COOKIES")
    """``CONSOLE_SECURE_COOKIES``: send cookies over HTTPS only (on by default in production)."""
    api_timeout: float = Field(10.0, gt=0, validation_alias="CONSOLE_API_TIMEOUT")
    """``CONSOLE_API_TIMEOUT``: seconds the console waits for one API answer."""
    renew_before: float = Field(600, gt=0, validation_alias="CONSOLE_RENEW_BEFORE")
    """``CONSOLE_RENEW_BEFORE``: renew a session token this many seconds before it expires."""
    tracking_base_url: str = Field("", validation_alias="ETAPA_TRACKING_BASE_URL")
    """``ETAPA_TRACKING_BASE_URL``: the customer's link base, as the notifier uses it; the flow
    editor's SMS preview shows a link of that real length."""

    @field_validator("intake_url", "workflow_url", "notifier_url", "tracking_base_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        if self.secure_cookies_setting is None:
            return not self.service.is_development
        return self.secure_cookies_setting

    @property
    def renew_before_seconds(self) -> int:
        return int(self.renew_before)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        service = ServiceSettings.from_env("console", DEFAULT_PORT, env)
        settings = cls.read(env, service=service)
        if not service.is_development and settings.secret_key == DEVELOPMENT_SECRET:
            raise SettingsError("CONSOLE_SECRET_KEY must be set outside development")
        check_secret("CONSOLE_SECRET_KEY", settings.secret_key, service.environment)
        return settings
