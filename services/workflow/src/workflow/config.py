"""Workflow's settings, read from the environment once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from shared.settings import EnvSettings, ServiceSettings, split_list

DEFAULT_PORT = 8001
MIGRATIONS = Path(__file__).parent / "migrations"
"""Workflow's own SQL migrations (the shared outbox and inbox ones are applied with them)."""


class WorkflowSettings(EnvSettings):
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    risk_share: float = Field(0.8, gt=0, le=1, validation_alias="WORKFLOW_RISK_SHARE")
    """``WORKFLOW_RISK_SHARE``: share of a stage's time after which the order is at risk."""
    risk_sweep_interval: float = Field(30.0, gt=0, validation_alias="WORKFLOW_RISK_SWEEP_INTERVAL")
    """``WORKFLOW_RISK_SWEEP_INTERVAL``: seconds between the risk sweeper's looks for due timers."""
    tracking_days_after_close: int = Field(
        30, ge=0, le=3650, validation_alias="WORKFLOW_TRACKING_DAYS_AFTER_CLOSE"
    )
    """``WORKFLOW_TRACKING_DAYS_AFTER_CLOSE``: days a delivered or cancelled order's customer
    link keeps answering; after that it answers like an unknown token."""
    tracking_miss_limit: int = Field(20, ge=1, validation_alias="WORKFLOW_TRACKING_MISS_LIMIT")
    """``WORKFLOW_TRACKING_MISS_LIMIT``: unknown (or expired) tokens a client address may ask
    for in 10 minutes; beyond it every tracking request from that address is a 429."""
    tracking_trusted_proxies: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias="WORKFLOW_TRACKING_TRUSTED_PROXIES"
    )
    """``WORKFLOW_TRACKING_TRUSTED_PROXIES``: comma-separated addresses (the console) whose
    ``X-Forwarded-For`` names the customer's address for the limit above."""

    @field_validator("tracking_trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        split = split_list(value)
        return frozenset(split) if isinstance(split, tuple) else split

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkflowSettings:
        return cls.read(env, service=ServiceSettings.from_env("workflow", DEFAULT_PORT, env))
