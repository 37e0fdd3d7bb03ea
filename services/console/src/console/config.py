"""The console's settings, read from the environment once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.settings import ServiceSettings, SettingsError, check_secret, read_secret

DEFAULT_PORT = 8003
DEVELOPMENT_SECRET = "etapa-console-development-secret"  # noqa: S105 - refused in production


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    service: ServiceSettings
    """Broker, HTTP, logging and the token-checking public key (see ``shared.settings``)."""
    intake_url: str = "http://127.0.0.1:8000"
    """``CONSOLE_INTAKE_URL``: intake's API as the console reaches it."""
    workflow_url: str = "http://127.0.0.1:8001"
    """``CONSOLE_WORKFLOW_URL``: workflow's API as the console reaches it."""
    notifier_url: str = "http://127.0.0.1:8002"
    """``CONSOLE_NOTIFIER_URL``: the notifier's API as the console reaches it."""
    secret_key: str = DEVELOPMENT_SECRET
    """``CONSOLE_SECRET_KEY``: signs the CSRF tokens of the console's forms."""
    secure_cookies: bool = False
    """``CONSOLE_SECURE_COOKIES``: send cookies over HTTPS only (on by default in production)."""
    api_timeout: float = 10.0
    """``CONSOLE_API_TIMEOUT``: seconds the console waits for one API answer."""
    renew_before_seconds: int = 600
    """``CONSOLE_RENEW_BEFORE``: renew a session token this many seconds before it expires."""
    tracking_base_url: str = ""
    """``ETAPA_TRACKING_BASE_URL``: the customer's link base, as the notifier uses it; the flow
    editor's SMS preview shows a link of that real length."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if env is None else env
        service = ServiceSettings.from_env("console", DEFAULT_PORT, env)
        secret = read_secret(env, "CONSOLE_SECRET_KEY") or DEVELOPMENT_SECRET
        if not service.is_development and secret == DEVELOPMENT_SECRET:
            raise SettingsError("CONSOLE_SECRET_KEY must be set outside development")
        check_secret("CONSOLE_SECRET_KEY", secret, service.environment)
        secure_default = "false" if service.is_development else "true"
        return cls(
            service=service,
            intake_url=env.get("CONSOLE_INTAKE_URL", "http://127.0.0.1:8000").rstrip("/"),
            workflow_url=env.get("CONSOLE_WORKFLOW_URL", "http://127.0.0.1:8001").rstrip("/"),
            notifier_url=env.get("CONSOLE_NOTIFIER_URL", "http://127.0.0.1:8002").rstrip("/"),
            secret_key=secret,
            secure_cookies=env.get("CONSOLE_SECURE_COOKIES", secure_default).lower() == "true",
            api_timeout=_float(env, "CONSOLE_API_TIMEOUT", 10.0),
            renew_before_seconds=int(_float(env, "CONSOLE_RENEW_BEFORE", 600)),
            tracking_base_url=env.get("ETAPA_TRACKING_BASE_URL", "").rstrip("/"),
        )


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {raw!r}")
    return value
