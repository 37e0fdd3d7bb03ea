"""Notifier's settings, read from the environment once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.settings import ServiceSettings

DEFAULT_PORT = 8002


@dataclass(frozen=True, slots=True)
class NotifierSettings:
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    sms_provider: str = "log"
    """``NOTIFIER_SMS_PROVIDER``: ``log`` records messages in the database and the log only."""
    tracking_base_url: str | None = None
    """``ETAPA_TRACKING_BASE_URL``: base of the customer's follow-the-order link, if any."""
    dispatch_interval: float = 0.5
    """``NOTIFIER_DISPATCH_INTERVAL``: seconds between looks for messages to send."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierSettings:
        env = os.environ if env is None else env
        return cls(
            service=ServiceSettings.from_env("notifier", DEFAULT_PORT, env),
            sms_provider=env.get("NOTIFIER_SMS_PROVIDER", "log"),
            tracking_base_url=env.get("ETAPA_TRACKING_BASE_URL") or None,
            dispatch_interval=float(env.get("NOTIFIER_DISPATCH_INTERVAL", "0.5")),
        )
