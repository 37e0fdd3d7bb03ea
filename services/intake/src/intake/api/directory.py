"""The chain directory over HTTP: chains and branches, each caller inside their own chain."""

from __future__ import annotations

import hmac
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotAuthorizedException, NotFoundException
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from intake import directory, users
from intake.api.errors import ConflictException
from intake.api.schemas import BranchIn, BranchOut, ChainCreated, ChainIn, ChainOut, UserOut
from intake.config import IntakeSettings
from shared.auth import PUBLIC, Principal, Role
from shared.clock import Clock
from shared.events import BranchSnapshot, SendingWindow
from shared.openapi import OPERATOR_KEY
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of

OperatorKey = Annotated[
    str | None,
    HeaderParameter(name="X-Operator-Key", description="the platform operator's key"),
]


class ChainController(Controller):
    path = "/api/v1/chains"
    tags = ["directory"]

    @post("/", status_code=HTTP_201_CREATED, opt=PUBLIC, security=OPERATOR_KEY)
    async def create_chain(
        self,
        data: JSONBody[ChainIn],
        pool: NamedDependency[asyncpg.Pool],
        settings: NamedDependency[IntakeSettings],
        operator_key: OperatorKey = None,
    ) -> ChainCreated:
        """Create a chain (rede) and its first administrator; needs the operator's key."""
        if operator_key is None or not hmac.compare_digest(
            operator_key.encode(), settings.operator_key.encode()
        ):
            raise NotAuthorizedException("creating a chain needs the operator key (X-Operator-Key)")
        admin = users.NewUser(
            data.admin.email, data.admin.name, Role.CHAIN_ADMIN, frozenset(), data.admin.password
        )
        async with pool.acquire() as conn, conn.transaction():
            try:
                chain = await directory.create_chain(conn, data.name)
                user = await users.create_user(conn, chain["chain_id"], admin)
            except directory.DirectoryConflict as exc:
                raise ConflictException(f"name: {exc}") from None
            except users.EmailTaken as exc:
                raise ConflictException(f"admin.email: {exc}") from None
        return ChainCreated(**chain, admin=UserOut(**user))

    @get("/")
    async def list_chains(
        self, pool: NamedDependency[asyncpg.Pool], principal: NamedDependency[Principal]
    ) -> Page:
        """The caller's chain (a user belongs to exactly one)."""
        async with pool.acquire() as conn:
            row = await directory.get_chain(conn, principal.chain_id)
        return page_of([ChainOut(**row)] if row else [], DEFAULT_PAGE_SIZE, 0)

    @get("/{chain_id:uuid}")
    async def get_chain(
        self,
        chain_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> ChainOut:
        if chain_id != principal.chain_id:
            raise NotFoundException(f"chain {chain_id} not found")
        async with pool.acquire() as conn:
            row = await directory.get_chain(conn, chain_id)
        if row is None:
            raise NotFoundException(f"chain {chain_id} not found")
        return ChainOut(**row)


class BranchController(Controller):
    path = "/api/v1/branches"
    tags = ["directory"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create_branch(
        self,
        data: JSONBody[BranchIn],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> BranchOut:
        """Create a branch (filial); other services learn of it from ``branch.upserted.v1``."""
        principal.require_role(Role.CHAIN_ADMIN, action="cadastrar filiais")
        return await _save_branch(pool, clock, principal.chain_id, uuid4(), data)

    @put("/{branch_id:uuid}")
    async def update_branch(
        self,
        branch_id: FromPath[UUID],
        data: JSONBody[BranchIn],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> BranchOut:
        """Change a branch; the change reaches the other services as ``branch.upserted.v1``."""
        await _visible_branch(pool, principal, branch_id)
        principal.require_role(Role.CHAIN_ADMIN, action="alterar filiais")
        return await _save_branch(pool, clock, principal.chain_id, branch_id, data)

    @get("/{branch_id:uuid}")
    async def get_branch(
        self,
        branch_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> BranchOut:
        return BranchOut(**await _visible_branch(pool, principal, branch_id))

    @get("/")
    async def list_branches(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """The branches the caller may see, by code."""
        async with pool.acquire() as conn:
            rows = await directory.list_branches(
                conn, principal.chain_id, principal.visible_branches(), limit, offset
            )
        return page_of([BranchOut(**r) for r in rows], limit, offset)


async def _visible_branch(
    pool: asyncpg.Pool, principal: Principal, branch_id: UUID
) -> dict[str, Any]:
    principal.require_branch(branch_id)
    async with pool.acquire() as conn:
        row = await directory.get_branch(conn, principal.chain_id, branch_id)
    if row is None:
        raise NotFoundException(f"branch {branch_id} not found")
    return row


async def _save_branch(
    pool: asyncpg.Pool, clock: Clock, chain_id: UUID, branch_id: UUID, data: BranchIn
) -> BranchOut:
    snapshot = BranchSnapshot(
        branch_id=branch_id,
        code=data.code,
        name=data.name,
        state=data.state,
        city=data.city,
        timezone=data.timezone,
        phone=data.phone,
        address=data.address,
        opening_hours=data.opening_hours,
    )
    window = SendingWindow(
        starts_at=data.sending_window.starts_at,
        ends_at=data.sending_window.ends_at,
        weekdays=tuple(sorted(set(data.sending_window.weekdays))),
    )
    async with pool.acquire() as conn, conn.transaction():
        try:
            row: dict[str, Any] = await directory.upsert_branch(
                conn, chain_id=chain_id, snapshot=snapshot, window=window, now=clock()
            )
        except directory.UnknownChain as exc:
            raise ClientException(str(exc)) from None
        except directory.DirectoryConflict as exc:
            raise ConflictException(str(exc)) from None
    return BranchOut(**row)
