"""Customer messages as staff see them, newest first, scoped to the caller's chain and branches."""

from __future__ import annotations

from notifier.usecases.ports import UnitOfWork
from notifier.usecases.records import MessageQuery, StaffMessage


async def list_messages(uow: UnitOfWork, query: MessageQuery) -> list[StaffMessage]:
    async with uow() as stores:
        return await stores.messages.for_staff(query)
