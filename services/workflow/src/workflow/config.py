"""Workflow's settings, read from the environment once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.settings import ServiceSettings, SettingsError

DEFAULT_PORT = 8001


@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    risk_share: float = 0.8
    """``WORKFLOW_RISK_SHARE``: share of a stage's time after which the order is at risk."""
    risk_sweep_interval: float = 30.0
    """``WORKFLOW_RISK_SWEEP_INTERVAL``: seconds between the risk sweeper's looks for due timers."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkflowSettings:
        env = os.environ if env is None else env
        share = _float(env, "WORKFLOW_RISK_SHARE", 0.8)
        if not 0 < share <= 1:
            raise SettingsError(f"WORKFLOW_RISK_SHARE must be in (0, 1], got {share}")
        interval = _float(env, "WORKFLOW_RISK_SWEEP_INTERVAL", 30.0)
        if interval <= 0:
            raise SettingsError(f"WORKFLOW_RISK_SWEEP_INTERVAL must be positive, got {interval}")
        return cls(
            service=ServiceSettings.from_env("workflow", DEFAULT_PORT, env),
            risk_share=share,
            risk_sweep_interval=interval,
        )


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
