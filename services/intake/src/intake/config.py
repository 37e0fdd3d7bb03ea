"""Intake's settings, read from the environment once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.settings import ServiceSettings

DEFAULT_PORT = 8000


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    default_phone_region: str = "BR"
    """Region used to read phone numbers typed without a country code."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeSettings:
        return cls(service=ServiceSettings.from_env("intake", DEFAULT_PORT, env))
