"""Workflow's settings, read from the environment once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.settings import ServiceSettings, SettingsError

DEFAULT_PORT = 8001
MIGRATIONS = Path(__file__).parent / "migrations"
"""Workflow's own SQL migrations (the shared outbox and inbox ones are applied with them)."""


@dataclass(frozen=True, slots=True)
class WorkflowSettings:
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    risk_share: float = 0.8
    """``WORKFLOW_RISK_SHARE``: share of a stage's time after which the order is at risk."""
    risk_sweep_interval: float = 30.0
    """``WORKFLOW_RISK_SWEEP_INTERVAL``: seconds between the risk sweeper's looks for due timers."""
    tracking_days_after_close: int = 30
    """``WORKFLOW_TRACKING_DAYS_AFTER_CLOSE``: days a delivered or cancelled order's customer
    link keeps answering; after that it answers like an unknown token."""
    tracking_miss_limit: int = 20
    """``WORKFLOW_TRACKING_MISS_LIMIT``: unknown (or expired) tokens a client address may ask
    for in 10 minutes; beyond it every tracking request from that address is a 429."""
    tracking_trusted_proxies: frozenset[str] = frozenset()
    """``WORKFLOW_TRACKING_TRUSTED_PROXIES``: comma-separated addresses (the console) whose
    ``X-Forwarded-For`` names the customer's address for the limit above."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkflowSettings:
        env = os.environ if env is None else env
        share = _float(env, "WORKFLOW_RISK_SHARE", 0.8)
        if not 0 < share <= 1:
            raise SettingsError(f"WORKFLOW_RISK_SHARE must be in (0, 1], got {share}")
        interval = _float(env, "WORKFLOW_RISK_SWEEP_INTERVAL", 30.0)
        if interval <= 0:
            raise SettingsError(f"WORKFLOW_RISK_SWEEP_INTERVAL must be positive, got {interval}")
        days = _int(env, "WORKFLOW_TRACKING_DAYS_AFTER_CLOSE", 30)
        if not 0 <= days <= 3650:
            raise SettingsError(f"WORKFLOW_TRACKING_DAYS_AFTER_CLOSE must be 0–3650, got {days}")
        misses = _int(env, "WORKFLOW_TRACKING_MISS_LIMIT", 20)
        if misses < 1:
            raise SettingsError(f"WORKFLOW_TRACKING_MISS_LIMIT must be at least 1, got {misses}")
        proxies = env.get("WORKFLOW_TRACKING_TRUSTED_PROXIES", "")
        return cls(
            service=ServiceSettings.from_env("workflow", DEFAULT_PORT, env),
            risk_share=share,
            risk_sweep_interval=interval,
            tracking_days_after_close=days,
            tracking_miss_limit=misses,
            tracking_trusted_proxies=frozenset(p.strip() for p in proxies.split(",") if p.strip()),
        )


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
