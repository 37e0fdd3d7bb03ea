"""A chain's SMS options, set by its administrator: GSM-7 only (accents transliterated).

Why here: how a message is encoded is the notifier's business, and the option is per chain, so
it is kept in the notifier's own table, read by the dispatcher with each message. A chain that
never set it sends accents as typed (UCS-2 when they need it). Everyone in the chain reads it;
only a chain administrator changes it (the entrypoint checks the role).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from notifier.usecases.ports import UnitOfWork
from notifier.usecases.records import SmsSettings


async def read_sms_settings(uow: UnitOfWork, chain_id: UUID) -> SmsSettings:
    """The chain's options; the defaults when never set."""
    async with uow() as stores:
        found = await stores.settings.sms_settings(chain_id)
    return found or SmsSettings(chain_id, transliterate=False, updated_at=None, updated_by=None)


async def change_sms_settings(
    uow: UnitOfWork, chain_id: UUID, *, transliterate: bool, by: str, now: datetime
) -> SmsSettings:
    """Messages not yet sent follow the new choice."""
    async with uow() as stores:
        return await stores.settings.save_sms_settings(
            SmsSettings(chain_id, transliterate, updated_at=now, updated_by=by)
        )
