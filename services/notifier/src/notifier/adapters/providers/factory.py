"""Build the configured providers; a missing credential is a settings error naming the variable."""

from __future__ import annotations

from urllib.parse import quote

from notifier.adapters.providers.http import HttpWebhookProvider
from notifier.adapters.providers.log import LogProvider
from notifier.adapters.providers.twilio import TwilioProvider
from notifier.adapters.providers.zenvia import ZenviaProvider
from notifier.config import NotifierSettings
from notifier.usecases.ports import SmsProvider
from shared.settings import SettingsError


def create_provider(name: str, settings: NotifierSettings) -> SmsProvider:
    conf = settings.providers
    timeout = settings.send_timeout
    if name == "log":
        return LogProvider()
    if name == "http":
        return HttpWebhookProvider(
            _required(conf.http_url, "NOTIFIER_HTTP_URL"), token=conf.http_token, timeout=timeout
        )
    if name == "zenvia":
        return ZenviaProvider(
            token=_required(conf.zenvia_token, "NOTIFIER_ZENVIA_TOKEN"),
            sender=_required(conf.zenvia_from, "NOTIFIER_ZENVIA_FROM"),
            base_url=conf.zenvia_base_url,
            timeout=timeout,
        )
    if name == "twilio":
        status_callback = None
        if settings.public_url:
            status_callback = f"{settings.public_url.rstrip('/')}/api/v1/providers/twilio/status"
            if settings.callback_token:
                status_callback += f"?token={quote(settings.callback_token, safe='')}"
        return TwilioProvider(
            account_sid=_required(conf.twilio_account_sid, "NOTIFIER_TWILIO_ACCOUNT_SID"),
            auth_token=_required(conf.twilio_auth_token, "NOTIFIER_TWILIO_AUTH_TOKEN"),
            sender=_required(conf.twilio_from, "NOTIFIER_TWILIO_FROM"),
            base_url=conf.twilio_base_url,
            status_callback=status_callback,
            timeout=timeout,
        )
    raise SettingsError(f"NOTIFIER_SMS_PROVIDER: unknown provider {name!r}")


def _required(value: str | None, variable: str) -> str:
    if not value:
        raise SettingsError(f"{variable} is required by the configured SMS provider")
    return value
