"""Signing in: e-mail and password in, the principal to issue a token for out.

Order (the lockout rules: ``intake.domain.sign_in_policy``):
1. A locked account or address is refused before anything else (``TooManyAttempts``).
2. The user is read in a short transaction; no connection is held while the password is
   checked.
3. The Argon2 check waits for a free slot (``TooManyAttempts`` when too many wait); an unknown
   e-mail costs the same hash.
4. A wrong password or an inactive user counts as a failure; a success clears the account's
   count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from intake.domain.records import SignInCandidate, User
from intake.usecases.ports import Passwords, Transactions
from shared.auth import Principal, Role

T = TypeVar("T")


class Guard(Protocol):
    """The process's sign-in guard (``intake.adapters.sign_in_guard.SignInGuard``)."""

    def check(self, email: str, address: str) -> None: ...
    def failed(self, email: str, address: str) -> None: ...
    def succeeded(self, email: str) -> None: ...
    async def password_check(self, check: Callable[[], Awaitable[T]]) -> T: ...


@dataclass(frozen=True, slots=True)
class SignedIn:
    principal: Principal
    user: User


def principal_of(user: User | SignInCandidate) -> Principal:
    """The principal a user signs in as: their role and branches as they are now."""
    return Principal(
        user_id=user.user_id,
        chain_id=user.chain_id,
        role=Role(user.role),
        branch_ids=frozenset(user.branch_ids),
        name=user.name,
    )


async def sign_in(
    transactions: Transactions,
    passwords: Passwords,
    guard: Guard,
    *,
    email: str,
    password: str,
    address: str,
) -> SignedIn | None:
    """The signed-in user, or None for a wrong e-mail or password (the same for both)."""
    guard.check(email, address)
    async with transactions.begin() as stores:  # not held while the password is checked
        candidate = await stores.users.sign_in_candidate(email)

    async def verify() -> bool:
        return await passwords.verify(candidate.password_hash if candidate else None, password)

    matches = await guard.password_check(verify)
    if not matches or candidate is None or not candidate.active:
        guard.failed(email, address)
        return None
    guard.succeeded(email)
    async with transactions.begin() as stores:
        user = await stores.users.get(candidate.chain_id, candidate.user_id)
    assert user is not None
    return SignedIn(principal_of(candidate), user)
