"""Workflow's settings, read from the environment once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.settings import ServiceSettings

DEFAULT_PORT = 8001


@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkflowSettings:
        return cls(service=ServiceSettings.from_env("workflow", DEFAULT_PORT, env))
