"""Intake's settings, read from the environment once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from intake.domain.lab_message import LabTimeWindow
from intake.domain.sign_in_policy import SignInLimits
from shared.settings import ServiceSettings, SettingsError, check_secret, read_key, read_secret

DEFAULT_PORT = 8000
DEVELOPMENT_OPERATOR_KEY = "dev-operator-key"


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    jwt_private_key: str
    """``INTAKE_JWT_PRIVATE_KEY`` or ``INTAKE_JWT_PRIVATE_KEY_FILE``: PEM key that signs tokens."""
    operator_key: str
    """``INTAKE_OPERATOR_KEY``: the platform operator's key for creating chains."""
    token_ttl: timedelta = timedelta(minutes=15)
    """``INTAKE_TOKEN_TTL_MINUTES``: how long a sign-in token lives."""
    lab_time_window: LabTimeWindow = field(default_factory=LabTimeWindow)
    """``INTAKE_LAB_TIME_PAST_DAYS`` (30) and ``INTAKE_LAB_TIME_FUTURE_MINUTES`` (10): how far a
    lab's ``occurred_at`` may be from the time intake receives the message."""
    sign_in_limits: SignInLimits = field(default_factory=SignInLimits)
    """``INTAKE_SIGN_IN_ACCOUNT_FAILURES`` (5), ``INTAKE_SIGN_IN_ADDRESS_FAILURES`` (20),
    ``INTAKE_PASSWORD_CHECKS`` (2 at once): see ``intake.domain.sign_in_policy``."""
    default_phone_region: str = "BR"
    """Region used to read phone numbers typed without a country code."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        env = os.environ if env is None else env
        service = ServiceSettings.from_env("intake", DEFAULT_PORT, env)
        private_key = read_key(env, "INTAKE_JWT_PRIVATE_KEY")
        if private_key is None:
            raise SettingsError(
                "INTAKE_JWT_PRIVATE_KEY (or INTAKE_JWT_PRIVATE_KEY_FILE) must be set: the key "
                "that signs sign-in tokens. `make keys` writes a development pair to .etapa/jwt/."
            )
        operator_key = read_secret(env, "INTAKE_OPERATOR_KEY") or DEVELOPMENT_OPERATOR_KEY
        if operator_key == DEVELOPMENT_OPERATOR_KEY and not service.is_development:
            raise SettingsError(
                f"INTAKE_OPERATOR_KEY must be set outside development (ETAPA_ENV="
                f"{service.environment}); the development default is public."
            )
        check_secret("INTAKE_OPERATOR_KEY", operator_key, service.environment)
        ttl = env.get("INTAKE_TOKEN_TTL_MINUTES", "15")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 24 * 60:
            raise SettingsError(f"INTAKE_TOKEN_TTL_MINUTES must be 1..1440 minutes, got {ttl!r}")
        return cls(
            service=service,
            jwt_private_key=private_key,
            operator_key=operator_key,
            token_ttl=timedelta(minutes=int(ttl)),
            sign_in_limits=SignInLimits(
                account_threshold=_positive(env, "INTAKE_SIGN_IN_ACCOUNT_FAILURES", 5),
                address_threshold=_positive(env, "INTAKE_SIGN_IN_ADDRESS_FAILURES", 20),
                concurrent_checks=_positive(env, "INTAKE_PASSWORD_CHECKS", 2),
            ),
            lab_time_window=LabTimeWindow(
                back=timedelta(days=_positive(env, "INTAKE_LAB_TIME_PAST_DAYS", 30)),
                ahead=timedelta(minutes=_positive(env, "INTAKE_LAB_TIME_FUTURE_MINUTES", 10)),
            ),
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)
