"""Notifier's settings, read from the environment once by the composition root.

Credentials are read here and handed to the providers only; no setting is ever logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from shared.settings import ServiceSettings, SettingsError, check_secret, read_secret

DEFAULT_PORT = 8002
PROVIDERS = ("log", "http", "zenvia", "twilio")
SendingHours = Literal["branch", "always"]


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """Where and how each provider is reached (``NOTIFIER_<PROVIDER>_*``)."""

    http_url: str | None = None
    """``NOTIFIER_HTTP_URL``: the webhook the ``http`` provider POSTs to."""
    http_token: str | None = field(default=None, repr=False)
    """``NOTIFIER_HTTP_TOKEN``: sent as ``Authorization: Bearer`` when set."""
    zenvia_token: str | None = field(default=None, repr=False)
    """``NOTIFIER_ZENVIA_TOKEN``: Zenvia's API token (``X-API-TOKEN``)."""
    zenvia_from: str | None = None
    """``NOTIFIER_ZENVIA_FROM``: the SMS sender alias on Zenvia."""
    zenvia_base_url: str = "https://api.zenvia.com"
    """``NOTIFIER_ZENVIA_BASE_URL``: overridable so tests reach a local fake."""
    twilio_account_sid: str | None = None
    """``NOTIFIER_TWILIO_ACCOUNT_SID``."""
    twilio_auth_token: str | None = field(default=None, repr=False)
    """``NOTIFIER_TWILIO_AUTH_TOKEN``: basic auth, and checks ``X-Twilio-Signature``."""
    twilio_from: str | None = None
    """``NOTIFIER_TWILIO_FROM``: a sender number, or a Messaging Service SID (``MG…``)."""
    twilio_base_url: str = "https://api.twilio.com"
    """``NOTIFIER_TWILIO_BASE_URL``: overridable so tests reach a local fake."""


@dataclass(frozen=True, slots=True)
class NotifierSettings:
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    sms_provider: str = "log"
    """``NOTIFIER_SMS_PROVIDER``: ``log`` (default), ``http``, ``zenvia`` or ``twilio``."""
    fallback_provider: str | None = None
    """``NOTIFIER_SMS_FALLBACK_PROVIDER``: used for a message the primary keeps failing."""
    fallback_after: int = 2
    """``NOTIFIER_FALLBACK_AFTER``: failed sending rounds on the primary before the fallback."""
    max_attempts: int = 5
    """``NOTIFIER_MAX_ATTEMPTS``: sending rounds before a message is ``failed`` for good."""
    send_tries: int = 3
    """``NOTIFIER_SEND_TRIES``: requests per round (tenacity, exponential backoff + jitter)."""
    send_timeout: float = 10.0
    """``NOTIFIER_SEND_TIMEOUT``: seconds per provider request."""
    retry_base_delay: float = 30.0
    """``NOTIFIER_RETRY_BASE_DELAY``: seconds before the 2nd round; doubles, with jitter."""
    max_segments: int = 2
    """``NOTIFIER_MAX_SEGMENTS``: longer bodies are cut at a word and end in ``...``."""
    sending_hours: SendingHours = "branch"
    """``NOTIFIER_SENDING_HOURS``: ``branch`` windows, or ``always`` (tests, load tests)."""
    callback_token: str | None = field(default=None, repr=False)
    """``NOTIFIER_CALLBACK_TOKEN``: secret providers' callbacks must carry."""
    public_url: str | None = None
    """``NOTIFIER_PUBLIC_URL``: this service as providers reach it (Twilio signatures)."""
    tracking_base_url: str | None = None
    """``ETAPA_TRACKING_BASE_URL``: base of the customer's follow-the-order link, if any."""
    dispatch_interval: float = 0.5
    """``NOTIFIER_DISPATCH_INTERVAL``: seconds between looks for messages to send."""
    batch_size: int = 20
    """``NOTIFIER_BATCH_SIZE``: messages in flight at once; a freed slot is claimed for at once."""
    providers: ProviderSettings = ProviderSettings()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierSettings:
        env = os.environ if env is None else env
        primary = env.get("NOTIFIER_SMS_PROVIDER", "log") or "log"
        fallback = env.get("NOTIFIER_SMS_FALLBACK_PROVIDER") or None
        for name, value in (
            ("NOTIFIER_SMS_PROVIDER", primary),
            ("NOTIFIER_SMS_FALLBACK_PROVIDER", fallback),
        ):
            if value is not None and value not in PROVIDERS:
                raise SettingsError(f"{name}: unknown provider {value!r}; one of {PROVIDERS}")
        hours = env.get("NOTIFIER_SENDING_HOURS", "branch") or "branch"
        if hours not in ("branch", "always"):
            raise SettingsError(f"NOTIFIER_SENDING_HOURS: 'branch' or 'always', got {hours!r}")
        service = ServiceSettings.from_env("notifier", DEFAULT_PORT, env)
        callback_token = read_secret(env, "NOTIFIER_CALLBACK_TOKEN")
        check_secret("NOTIFIER_CALLBACK_TOKEN", callback_token, service.environment)
        settings = cls(
            service=service,
            sms_provider=primary,
            fallback_provider=fallback,
            fallback_after=_number(env, "NOTIFIER_FALLBACK_AFTER", 2, int, minimum=1),
            max_attempts=_number(env, "NOTIFIER_MAX_ATTEMPTS", 5, int, minimum=1),
            send_tries=_number(env, "NOTIFIER_SEND_TRIES", 3, int, minimum=1),
            send_timeout=_number(env, "NOTIFIER_SEND_TIMEOUT", 10.0, float, minimum=0.1),
            retry_base_delay=_number(env, "NOTIFIER_RETRY_BASE_DELAY", 30.0, float, minimum=0),
            max_segments=_number(env, "NOTIFIER_MAX_SEGMENTS", 2, int, minimum=1),
            sending_hours="always" if hours == "always" else "branch",
            callback_token=callback_token,
            public_url=env.get("NOTIFIER_PUBLIC_URL") or None,
            tracking_base_url=env.get("ETAPA_TRACKING_BASE_URL") or None,
            dispatch_interval=_number(env, "NOTIFIER_DISPATCH_INTERVAL", 0.5, float, minimum=0),
            batch_size=_number(env, "NOTIFIER_BATCH_SIZE", 20, int, minimum=1),
            providers=ProviderSettings(
                http_url=env.get("NOTIFIER_HTTP_URL") or None,
                http_token=env.get("NOTIFIER_HTTP_TOKEN") or None,
                zenvia_token=env.get("NOTIFIER_ZENVIA_TOKEN") or None,
                zenvia_from=env.get("NOTIFIER_ZENVIA_FROM") or None,
                zenvia_base_url=env.get("NOTIFIER_ZENVIA_BASE_URL") or "https://api.zenvia.com",
                twilio_account_sid=env.get("NOTIFIER_TWILIO_ACCOUNT_SID") or None,
                twilio_auth_token=env.get("NOTIFIER_TWILIO_AUTH_TOKEN") or None,
                twilio_from=env.get("NOTIFIER_TWILIO_FROM") or None,
                twilio_base_url=env.get("NOTIFIER_TWILIO_BASE_URL") or "https://api.twilio.com",
            ),
        )
        return settings


T = TypeVar("T", int, float)


def _number(env: Mapping[str, str], name: str, default: T, kind: type[T], *, minimum: T) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {raw!r}")
    return value
