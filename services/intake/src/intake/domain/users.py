"""Staff accounts: who may sign in, in which chain, with which role and branches."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from etapa_contracts.events import UserChangeKind
from intake.domain.records import User


class EmailTaken(Exception):
    """Another account already uses this e-mail."""


class UnknownBranches(Exception):
    """Some branch ids are not branches of the chain."""


def revoking_changes(
    current: User,
    *,
    role: str | None = None,
    branch_ids: Iterable[UUID] | None = None,
    active: bool | None = None,
    password_changed: bool = False,
) -> list[UserChangeKind]:
    """What a change to ``current`` takes away or alters in its power: the user's tokens issued
    before it must stop working (``shared.token_validity``). None: unchanged."""
    kinds: list[UserChangeKind] = []
    if active is False and current.active:
        kinds.append("deactivated")
    if role is not None and role != current.role:
        kinds.append("role")
    if branch_ids is not None and set(branch_ids) != set(current.branch_ids):
        kinds.append("branches")
    if password_changed:
        kinds.append("password")
    return kinds
