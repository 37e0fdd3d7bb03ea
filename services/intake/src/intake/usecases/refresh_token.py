"""Renewing a session: a still-valid token in, the user's current role and branches out (a
deactivated or removed user gets none and must sign in again)."""

from __future__ import annotations

from intake.usecases.ports import Transactions
from intake.usecases.sign_in import SignedIn, principal_of
from shared.auth import Principal


async def refresh(transactions: Transactions, principal: Principal) -> SignedIn | None:
    """The user's current role and branches for a fresh token; None when they are gone or
    inactive."""
    async with transactions.begin() as stores:
        user = await stores.users.get(principal.chain_id, principal.user_id)
    if user is None or not user.active:
        return None
    return SignedIn(principal_of(user), user)
