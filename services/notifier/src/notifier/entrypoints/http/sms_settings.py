"""A chain's SMS options (``usecases.sms_settings``): everyone in the chain reads them; only a
chain administrator changes them (403 for anyone else)."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field

from notifier.usecases.ports import UnitOfWork
from notifier.usecases.records import SmsSettings
from notifier.usecases.sms_settings import change_sms_settings, read_sms_settings
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.flags import Flag


class SmsSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transliterate: Flag = Field(
        description='replace accents and typographic punctuation (ã→a, “→") so every SMS is '
        "GSM-7: 160 characters a segment instead of 70"
    )


class SmsSettingsOut(BaseModel):
    transliterate: bool
    updated_at: datetime | None
    updated_by: str | None


class SmsSettingsController(Controller):
    path = "/api/v1/sms-settings"
    tags = ["sms-settings"]

    @get("/")
    async def get_sms_settings(
        self, uow: NamedDependency[UnitOfWork], principal: NamedDependency[Principal]
    ) -> SmsSettingsOut:
        """The caller's chain's SMS options (defaults when never set)."""
        return _out(await read_sms_settings(uow, principal.chain_id))

    @put("/")
    async def put_sms_settings(
        self,
        data: JSONBody[SmsSettingsIn],
        uow: NamedDependency[UnitOfWork],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> SmsSettingsOut:
        """Change the chain's SMS options; messages not yet sent follow the new choice."""
        principal.require_role(Role.CHAIN_ADMIN, action="alterar as opções de SMS da rede")
        saved = await change_sms_settings(
            uow,
            principal.chain_id,
            transliterate=data.transliterate,
            by=str(principal.user_id),
            now=clock(),
        )
        return _out(saved)


def _out(settings: SmsSettings) -> SmsSettingsOut:
    return SmsSettingsOut(
        transliterate=settings.transliterate,
        updated_at=settings.updated_at,
        updated_by=settings.updated_by,
    )
