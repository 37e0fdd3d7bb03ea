"""The chain directory over HTTP: chains and branches."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_409_CONFLICT

from intake import directory
from intake.api.schemas import BranchIn, BranchOut, ChainIn, ChainOut
from shared.clock import Clock
from shared.events import BranchSnapshot, SendingWindow
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of


class ConflictException(ClientException):
    status_code = HTTP_409_CONFLICT


class ChainController(Controller):
    path = "/api/v1/chains"
    tags = ["directory"]

    @post("/")
    async def create_chain(
        self, data: JSONBody[ChainIn], pool: NamedDependency[asyncpg.Pool]
    ) -> ChainOut:
        """Create a chain (rede)."""
        async with pool.acquire() as conn:
            try:
                row = await directory.create_chain(conn, data.name)
            except directory.DirectoryConflict as exc:
                raise ConflictException(str(exc)) from None
        return ChainOut(**row)

    @get("/")
    async def list_chains(
        self,
        pool: NamedDependency[asyncpg.Pool],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        async with pool.acquire() as conn:
            rows = await directory.list_chains(conn, limit, offset)
        return page_of([ChainOut(**r) for r in rows], limit, offset)


class BranchController(Controller):
    path = "/api/v1/branches"
    tags = ["directory"]

    @post("/")
    async def create_branch(
        self,
        data: JSONBody[BranchIn],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
    ) -> BranchOut:
        """Create a branch (filial); other services learn of it from ``branch.upserted.v1``."""
        return await _save_branch(pool, clock, uuid4(), data)

    @put("/{branch_id:uuid}")
    async def update_branch(
        self,
        branch_id: FromPath[UUID],
        data: JSONBody[BranchIn],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
    ) -> BranchOut:
        async with pool.acquire() as conn:
            if await directory.get_branch(conn, branch_id) is None:
                raise NotFoundException(f"branch {branch_id} not found")
        return await _save_branch(pool, clock, branch_id, data)

    @get("/{branch_id:uuid}")
    async def get_branch(
        self, branch_id: FromPath[UUID], pool: NamedDependency[asyncpg.Pool]
    ) -> BranchOut:
        async with pool.acquire() as conn:
            row = await directory.get_branch(conn, branch_id)
        if row is None:
            raise NotFoundException(f"branch {branch_id} not found")
        return BranchOut(**row)

    @get("/")
    async def list_branches(
        self,
        pool: NamedDependency[asyncpg.Pool],
        chain_id: FromQuery[UUID | None] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        async with pool.acquire() as conn:
            rows = await directory.list_branches(conn, chain_id, limit, offset)
        return page_of([BranchOut(**r) for r in rows], limit, offset)


async def _save_branch(
    pool: asyncpg.Pool, clock: Clock, branch_id: UUID, data: BranchIn
) -> BranchOut:
    snapshot = BranchSnapshot(
        branch_id=branch_id,
        code=data.code,
        name=data.name,
        state=data.state,
        city=data.city,
        timezone=data.timezone,
        phone=data.phone,
    )
    window = SendingWindow(
        starts_at=data.sending_window.starts_at,
        ends_at=data.sending_window.ends_at,
        weekdays=tuple(sorted(set(data.sending_window.weekdays))),
    )
    async with pool.acquire() as conn, conn.transaction():
        try:
            row: dict[str, Any] = await directory.upsert_branch(
                conn, chain_id=data.chain_id, snapshot=snapshot, window=window, now=clock()
            )
        except directory.UnknownChain as exc:
            raise ClientException(str(exc)) from None
        except directory.DirectoryConflict as exc:
            raise ConflictException(str(exc)) from None
    return BranchOut(**row)
