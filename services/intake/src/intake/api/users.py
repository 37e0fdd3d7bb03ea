"""Staff accounts over HTTP: chain admins manage everyone, branch managers their branches' staff."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from intake import users
from intake.api.errors import ConflictException
from intake.api.schemas import UserIn, UserOut, UserPatch
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from shared.token_validity import revoke_older_tokens

MANAGEABLE_BY_BRANCH_MANAGER = (Role.ATTENDANT, Role.VIEWER)


def _check_may_grant(principal: Principal, role: Role, branch_ids: frozenset[UUID]) -> None:
    """A branch manager hands out only attendant and viewer roles, only in their branches."""
    principal.require_role(Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="gerenciar usuários")
    if principal.role is Role.CHAIN_ADMIN:
        return
    if role not in MANAGEABLE_BY_BRANCH_MANAGER:
        raise PermissionDeniedException(
            "Gerente de filial só cadastra atendentes e usuários de consulta."
        )
    if not branch_ids or not branch_ids <= principal.branch_ids:
        raise PermissionDeniedException(
            "Gerente de filial só cadastra usuários nas próprias filiais (branch_ids)."
        )


def _check_may_manage(principal: Principal, row: dict[str, Any]) -> None:
    if principal.role is Role.CHAIN_ADMIN:
        return
    _check_may_grant(principal, Role(row["role"]), frozenset(row["branch_ids"]))


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["directory"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create_user(
        self,
        data: JSONBody[UserIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> UserOut:
        """Add a staff member to the caller's chain."""
        branch_ids = frozenset(data.branch_ids)
        _check_may_grant(principal, data.role, branch_ids)
        new = users.NewUser(data.email, data.name, data.role, branch_ids, data.password)
        async with pool.acquire() as conn, conn.transaction():
            try:
                row = await users.create_user(conn, principal.chain_id, new)
            except users.EmailTaken as exc:
                raise ConflictException(f"email: {exc}") from None
            except users.UnknownBranches as exc:
                raise ClientException(f"branch_ids: unknown branches {exc}") from None
        return UserOut(**row)

    @get("/")
    async def list_users(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """The chain's staff (a branch manager sees their branches' staff)."""
        principal.require_role(Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="ver usuários")
        async with pool.acquire() as conn:
            rows = await users.list_users(
                conn, principal.chain_id, principal.visible_branches(), limit, offset
            )
        return page_of([UserOut(**r) for r in rows], limit, offset)

    @get("/{user_id:uuid}")
    async def get_user(
        self,
        user_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> UserOut:
        return UserOut(**await _visible_user(pool, principal, user_id))

    @patch("/{user_id:uuid}")
    async def update_user(
        self,
        user_id: FromPath[UUID],
        data: JSONBody[UserPatch],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> UserOut:
        """Change a user's name, role, branches, password or whether they may sign in.

        Deactivating a user or changing their role, branches or password revokes the tokens
        they hold, on every service, within a second or two (``shared.token_validity``).
        """
        current = await _visible_user(pool, principal, user_id)
        _check_may_manage(principal, current)
        changes = data.model_dump(exclude_unset=True, exclude_none=True)
        if "role" in changes or "branch_ids" in changes:
            _check_may_grant(
                principal,
                changes.get("role", Role(current["role"])),
                frozenset(changes.get("branch_ids", current["branch_ids"])),
            )
        if user_id == principal.user_id and ("role" in changes or changes.get("active") is False):
            raise ClientException("Você não pode mudar o próprio perfil nem se desativar.")
        if not changes:
            return UserOut(**current)
        revoking = users.revoking_changes(current, changes)
        async with pool.acquire() as conn, conn.transaction():
            try:
                row = await users.update_user(conn, principal.chain_id, user_id, changes)
            except users.UnknownBranches as exc:
                raise ClientException(f"branch_ids: unknown branches {exc}") from None
            if revoking:
                await revoke_older_tokens(conn, principal.chain_id, user_id, clock(), revoking)
        assert row is not None
        return UserOut(**row)


async def _visible_user(pool: asyncpg.Pool, principal: Principal, user_id: UUID) -> dict[str, Any]:
    principal.require_role(Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="ver usuários")
    async with pool.acquire() as conn:
        row = await users.get_user(conn, principal.chain_id, user_id)
    visible = principal.visible_branches()
    if row is None or (visible is not None and not visible & set(row["branch_ids"])):
        raise NotFoundException(f"user {user_id} not found")
    return row
