"""Intake's settings, read from the environment once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated

from pydantic import Field

from intake.domain.lab_message import LabTimeWindow
from intake.domain.sign_in_policy import SignInLimits
from shared.settings import EnvSettings, FromFile, ServiceSettings, SettingsError, check_secret

DEFAULT_PORT = 8000
DEVELOPMENT_OPERATOR_KEY = "dev-operator-key"


class IntakeSettings(EnvSettings):
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    jwt_private_key: Annotated[str, FromFile(pem=True)] = Field(
        "", validation_alias="INTAKE_JWT_PRIVATE_KEY", repr=False
    )
    """``INTAKE_JWT_PRIVATE_KEY`` or ``INTAKE_JWT_PRIVATE_KEY_FILE``: PEM key that signs tokens
    (required: checked by :meth:`from_env`)."""
    operator_key: Annotated[str, FromFile()] = Field(
        DEVELOPMENT_OPERATOR_KEY, validation_alias="INTAKE_OPERATOR_KEY", repr=False
    )
    """``INTAKE_OPERATOR_KEY`` or ``INTAKE_OPERATOR_KEY_FILE``: the platform operator's key for
    creating chains (the development default is refused outside development)."""
    token_ttl_minutes: int = Field(
        15, ge=1, le=24 * 60, validation_alias="INTAKE_TOKEN_TTL_MINUTES"
    )
    """``INTAKE_TOKEN_TTL_MINUTES``: how long a sign-in token lives (1..1440 minutes)."""
    lab_time_past_days: int = Field(30, ge=1, validation_alias="INTAKE_LAB_TIME_PAST_DAYS")
    """``INTAKE_LAB_TIME_PAST_DAYS`` (30): how far in the past a lab's ``occurred_at`` may be
    from the time intake receives the message."""
    lab_time_future_minutes: int = Field(
        10, ge=1, validation_alias="INTAKE_LAB_TIME_FUTURE_MINUTES"
    )
    """``INTAKE_LAB_TIME_FUTURE_MINUTES`` (10): how far ahead of the time intake receives it."""
    sign_in_account_failures: int = Field(
        5, ge=1, validation_alias="INTAKE_SIGN_IN_ACCOUNT_FAILURES"
    )
    """``INTAKE_SIGN_IN_ACCOUNT_FAILURES`` (5): see ``intake.domain.sign_in_policy``."""
    sign_in_address_failures: int = Field(
        20, ge=1, validation_alias="INTAKE_SIGN_IN_ADDRESS_FAILURES"
    )
    """``INTAKE_SIGN_IN_ADDRESS_FAILURES`` (20): see ``intake.domain.sign_in_policy``."""
    password_checks: int = Field(2, ge=1, validation_alias="INTAKE_PASSWORD_CHECKS")
    """``INTAKE_PASSWORD_CHECKS`` (2 at once): see ``intake.domain.sign_in_policy``."""
    default_phone_region: str = Field("BR", validation_alias="INTAKE_DEFAULT_PHONE_REGION")
    """``INTAKE_DEFAULT_PHONE_REGION``: region used to read phone numbers typed without a
    country code."""

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(minutes=self.token_ttl_minutes)

    @property
    def lab_time_window(self) -> LabTimeWindow:
        return LabTimeWindow(
            back=timedelta(days=self.lab_time_past_days),
            ahead=timedelta(minutes=self.lab_time_future_minutes),
        )

    @property
    def sign_in_limits(self) -> SignInLimits:
        return SignInLimits(
            account_threshold=self.sign_in_account_failures,
            address_threshold=self.sign_in_address_failures,
            concurrent_checks=self.password_checks,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        service = ServiceSettings.from_env("intake", DEFAULT_PORT, env)
        settings = cls.read(env, service=service)
        if not settings.jwt_private_key:
            raise SettingsError(
                "INTAKE_JWT_PRIVATE_KEY (or INTAKE_JWT_PRIVATE_KEY_FILE) must be set: the key "
                "that signs sign-in tokens. `make keys` writes a development pair to .etapa/jwt/."
            )
        if settings.operator_key == DEVELOPMENT_OPERATOR_KEY and not service.is_development:
            raise SettingsError(
                f"INTAKE_OPERATOR_KEY must be set outside development (ETAPA_ENV="
                f"{service.environment}); the development default is public."
            )
        check_secret("INTAKE_OPERATOR_KEY", settings.operator_key, service.environment)
        return settings
