"""The branch's time zone, in which the answers about its orders give their times
(``shared.local_times``)."""

from __future__ import annotations

from uuid import UUID

from intake.usecases.ports import Transactions


async def branch_zone(transactions: Transactions, chain_id: UUID, branch_id: UUID) -> str | None:
    """The IANA zone of ``branch_id``; None when the chain has no such branch."""
    async with transactions.begin() as stores:
        branch = await stores.directory.get_branch(chain_id, branch_id)
    return None if branch is None else branch.timezone
