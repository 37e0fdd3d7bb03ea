"""Revoking a user's tokens: which changes do it, and that the record and the event are written
in the transaction of the change (on the fakes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from etapa_contracts.events import UserChanged
from intake.domain.records import User
from intake.domain.users import revoking_changes
from intake.usecases.manage_users import NewUser, UserChanges, create_user, update_user
from shared.auth import Role
from tests.fakes.intake import FakeIntake, FakePasswords
from tests.unit.intake.test_open_order import _chain_and_branch

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
B1, B2 = uuid.uuid4(), uuid.uuid4()
CURRENT = User(uuid.uuid4(), uuid.uuid4(), "a@rede.com", "Ana", "attendant", [B1], True, NOW, NOW)


def test_what_changes_revoke_a_users_tokens() -> None:
    assert revoking_changes(CURRENT) == []  # a name change only
    assert revoking_changes(CURRENT, active=True) == []
    assert revoking_changes(CURRENT, role="attendant", branch_ids=[B1]) == []
    assert revoking_changes(CURRENT, active=False) == ["deactivated"]
    assert revoking_changes(CURRENT, role="viewer", branch_ids=[B2], password_changed=True) == [
        "role",
        "branches",
        "password",
    ]


async def test_a_deactivation_revokes_in_its_transaction_and_a_rename_does_not() -> None:
    intake, passwords = FakeIntake(), FakePasswords()
    chain_id, branch = await _chain_and_branch(intake)
    user = await create_user(
        intake,
        passwords,
        chain_id,
        NewUser("bia@rede.com", "Bia", Role.ATTENDANT, frozenset({branch.branch_id}), "s3nh4"),
        uuid.uuid4,
    )
    revocations = [event for event in intake.published if isinstance(event, UserChanged)]
    await update_user(intake, passwords, chain_id, user.user_id, UserChanges(name="Beatriz"), NOW)
    assert [event for event in intake.published if isinstance(event, UserChanged)] == revocations
    assert intake.state.token_valid_since.get(user.user_id) is None

    updated = await update_user(
        intake, passwords, chain_id, user.user_id, UserChanges(active=False), NOW
    )
    assert updated is not None
    assert not updated.active
    assert intake.state.token_valid_since[user.user_id] == NOW
    event = next(event for event in reversed(intake.published) if isinstance(event, UserChanged))
    assert (event.user_id, event.chain_id, event.valid_since, event.changes) == (
        user.user_id,
        chain_id,
        NOW,
        ("deactivated",),
    )
    missing = await update_user(
        intake, passwords, chain_id, uuid.uuid4(), UserChanges(active=False), NOW
    )
    assert missing is None
