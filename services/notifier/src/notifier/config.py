"""Notifier's settings, read from the environment once by the composition root.

Credentials are read here and handed to the providers only; no setting is ever logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from shared.settings import EnvSettings, FromFile, ServiceSettings, check_secret

DEFAULT_PORT = 8002
PROVIDERS = ("log", "http", "zenvia", "twilio")
SendingHours = Literal["branch", "always"]
Provider = Literal["log", "http", "zenvia", "twilio"]


class ProviderSettings(EnvSettings):
    """Where and how each provider is reached (``NOTIFIER_<PROVIDER>_*``)."""

    http_url: str | None = Field(None, validation_alias="NOTIFIER_HTTP_URL")
    """``NOTIFIER_HTTP_URL``: the webhook the ``http`` provider POSTs to."""
    http_token: Annotated[str | None, FromFile()] = Field(
        None, validation_alias="NOTIFIER_HTTP_TOKEN", repr=False
    )
    """``NOTIFIER_HTTP_TOKEN`` (or ``_FILE``): sent as ``Authorization: Bearer`` when set."""
    zenvia_token: Annotated[str | None, FromFile()] = Field(
        None, validation_alias="NOTIFIER_ZENVIA_TOKEN", repr=False
    )
    """``NOTIFIER_ZENVIA_TOKEN`` (or ``_FILE``): Zenvia's API token (``X-API-TOKEN``)."""
    zenvia_from: str | None = Field(None, validation_alias="NOTIFIER_ZENVIA_FROM")
    """``NOTIFIER_ZENVIA_FROM``: the SMS sender alias on Zenvia."""
    zenvia_base_url: str = Field(
        "https://api.zenvia.com", validation_alias="NOTIFIER_ZENVIA_BASE_URL"
    )
    """``NOTIFIER_ZENVIA_BASE_URL``: overridable so tests reach a local fake."""
    twilio_account_sid: str | None = Field(None, validation_alias="NOTIFIER_TWILIO_ACCOUNT_SID")
    """``NOTIFIER_TWILIO_ACCOUNT_SID``."""
    twilio_auth_token: Annotated[str | None, FromFile()] = Field(
        None, validation_alias="NOTIFIER_TWILIO_AUTH_TOKEN", repr=False
    )
    """``NOTIFIER_TWILIO_AUTH_TOKEN`` (or ``_FILE``): basic auth, and checks
    ``X-Twilio-Signature``."""
    twilio_from: str | None = Field(None, validation_alias="NOTIFIER_TWILIO_FROM")
    """``NOTIFIER_TWILIO_FROM``: a sender number, or a Messaging Service SID (``MG…``)."""
    twilio_base_url: str = Field(
        "https://api.twilio.com", validation_alias="NOTIFIER_TWILIO_BASE_URL"
    )
    """``NOTIFIER_TWILIO_BASE_URL``: overridable so tests reach a local fake."""


class NotifierSettings(EnvSettings):
    service: ServiceSettings
    """Database, broker, HTTP and logging settings (see ``shared.settings``)."""
    sms_provider: Provider = Field("log", validation_alias="NOTIFIER_SMS_PROVIDER")
    """``NOTIFIER_SMS_PROVIDER``: ``log`` (default), ``http``, ``zenvia`` or ``twilio``."""
    fallback_provider: Provider | None = Field(
        None, validation_alias="NOTIFIER_SMS_FALLBACK_PROVIDER"
    )
    """``NOTIFIER_SMS_FALLBACK_PROVIDER``: used for a message the primary keeps failing."""
    fallback_after: int = Field(2, ge=1, validation_alias="NOTIFIER_FALLBACK_AFTER")
    """``NOTIFIER_FALLBACK_AFTER``: failed sending rounds on the primary before the fallback."""
    max_attempts: int = Field(5, ge=1, validation_alias="NOTIFIER_MAX_ATTEMPTS")
    """``NOTIFIER_MAX_ATTEMPTS``: sending rounds before a message is ``failed`` for good."""
    send_tries: int = Field(3, ge=1, validation_alias="NOTIFIER_SEND_TRIES")
    """``NOTIFIER_SEND_TRIES``: requests per round (tenacity, exponential backoff + jitter)."""
    send_timeout: float = Field(10.0, ge=0.1, validation_alias="NOTIFIER_SEND_TIMEOUT")
    """``NOTIFIER_SEND_TIMEOUT``: seconds per provider request."""
    retry_base_delay: float = Field(30.0, ge=0, validation_alias="NOTIFIER_RETRY_BASE_DELAY")
    """``NOTIFIER_RETRY_BASE_DELAY``: seconds before the 2nd round; doubles, with jitter."""
    max_segments: int = Field(2, ge=1, validation_alias="NOTIFIER_MAX_SEGMENTS")
    """``NOTIFIER_MAX_SEGMENTS``: longer bodies are cut at a word and end in ``...``."""
    sending_hours: SendingHours = Field("branch", validation_alias="NOTIFIER_SENDING_HOURS")
    """``NOTIFIER_SENDING_HOURS``: ``branch`` windows, or ``always`` (tests, load tests)."""
    callback_token: Annotated[str | None, FromFile()] = Field(
        None, validation_alias="NOTIFIER_CALLBACK_TOKEN", repr=False
    )
    """``NOTIFIER_CALLBACK_TOKEN`` (or ``_FILE``): secret providers' callbacks must carry."""
    public_url: str | None = Field(None, validation_alias="NOTIFIER_PUBLIC_URL")
    """``NOTIFIER_PUBLIC_URL``: this service as providers reach it (Twilio signatures)."""
    tracking_base_url: str | None = Field(None, validation_alias="ETAPA_TRACKING_BASE_URL")
    """``ETAPA_TRACKING_BASE_URL``: base of the customer's follow-the-order link, if any."""
    dispatch_interval: float = Field(0.5, ge=0, validation_alias="NOTIFIER_DISPATCH_INTERVAL")
    """``NOTIFIER_DISPATCH_INTERVAL``: seconds between looks for messages to send."""
    batch_size: int = Field(20, ge=1, validation_alias="NOTIFIER_BATCH_SIZE")
    """``NOTIFIER_BATCH_SIZE``: messages in flight at once; a freed slot is claimed for at once."""
    stop_grace: float = Field(5.0, ge=0, le=60, validation_alias="NOTIFIER_STOP_GRACE")
    """``NOTIFIER_STOP_GRACE``: seconds a stopping notifier lets its sends in flight finish
    before it cancels them (each then waits out its lease, about a minute). Keep it under the
    deploy's grace after uvicorn's 10 s: compose gives 20 s, Kubernetes 30 s."""
    providers: ProviderSettings = ProviderSettings()
    """Each provider's address and credentials (``NOTIFIER_<PROVIDER>_*``)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifierSettings:
        settings = cls.read(
            env,
            service=ServiceSettings.from_env("notifier", DEFAULT_PORT, env),
            providers=ProviderSettings.read(env),
        )
        check_secret(
            "NOTIFIER_CALLBACK_TOKEN", settings.callback_token, settings.service.environment
        )
        return settings
