"""Signing in and refreshing on the fakes: the guard counts failures, locks before any check,
and an inactive user neither signs in nor refreshes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from intake.adapters.sign_in_guard import SignInGuard
from intake.domain.sign_in_policy import SignInLimits, TooManyAttempts
from intake.usecases.manage_users import NewUser, UserChanges, create_user, update_user
from intake.usecases.refresh_token import refresh
from intake.usecases.sign_in import sign_in
from shared.auth import Role
from tests.fakes.intake import FakeIntake, FakePasswords
from tests.unit.intake.test_open_order import _chain_and_branch

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


async def test_sign_in_refresh_and_lockout() -> None:
    intake, passwords = FakeIntake(), FakePasswords()
    guard = SignInGuard(SignInLimits(account_threshold=2), clock=lambda: 100.0)
    chain_id, branch = await _chain_and_branch(intake)
    user = await create_user(
        intake,
        passwords,
        chain_id,
        NewUser("alice@rede.com", "Alice", Role.ATTENDANT, frozenset({branch.branch_id}), "s3nh4"),
        uuid.uuid4,
    )

    async def attempt(password: str, email: str = "ALICE@rede.com"):  # type: ignore[no-untyped-def]
        return await sign_in(
            intake, passwords, guard, email=email, password=password, address="10.0.0.1"
        )

    signed_in = await attempt("s3nh4")
    assert signed_in is not None
    assert signed_in.principal.role is Role.ATTENDANT
    assert signed_in.principal.branch_ids == frozenset({branch.branch_id})
    assert signed_in.user == user
    assert await attempt("errada") is None
    assert await attempt("nenhuma", email="ninguem@rede.com") is None
    assert await attempt("errada") is None  # the second failure locks the account
    with pytest.raises(TooManyAttempts):
        await attempt("s3nh4")  # refused before the password is checked

    await update_user(intake, passwords, chain_id, user.user_id, UserChanges(active=False), NOW)
    assert await refresh(intake, signed_in.principal) is None
    other_guard = SignInGuard()
    assert (
        await sign_in(
            intake, passwords, other_guard, email=user.email, password="s3nh4", address="x"
        )
        is None
    )
