"""The chain's labs and their API keys over HTTP; only a chain admin changes them."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from intake import labs
from intake.api.errors import ConflictException
from intake.api.lab_schemas import LabIn, LabKeyCreated, LabKeyIn, LabKeyOut, LabOut
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.database import Connection
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of


async def _lab_or_404(conn: Connection, principal: Principal, lab_id: UUID) -> None:
    if await labs.get_lab(conn, principal.chain_id, lab_id) is None:
        raise NotFoundException(f"lab {lab_id} not found")


class LabController(Controller):
    path = "/api/v1/labs"
    tags = ["labs"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create_lab(
        self,
        data: JSONBody[LabIn],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> LabOut:
        """Register a lab of the caller's chain; its code is its identity on the broker."""
        principal.require_role(Role.CHAIN_ADMIN, action="cadastrar laboratórios")
        async with pool.acquire() as conn, conn.transaction():
            try:
                row = await labs.create_lab(
                    conn, chain_id=principal.chain_id, code=data.code, name=data.name, now=clock()
                )
            except labs.LabCodeTaken as exc:
                raise ConflictException(f"code: {exc}") from None
        return LabOut(**row)

    @get("/")
    async def list_labs(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        async with pool.acquire() as conn:
            rows = await labs.list_labs(conn, principal.chain_id, limit, offset)
        return page_of([LabOut(**r) for r in rows], limit, offset)

    @get("/{lab_id:uuid}")
    async def get_lab(
        self,
        lab_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> LabOut:
        async with pool.acquire() as conn:
            row = await labs.get_lab(conn, principal.chain_id, lab_id)
        if row is None:
            raise NotFoundException(f"lab {lab_id} not found")
        return LabOut(**row)

    @post("/{lab_id:uuid}/keys", status_code=HTTP_201_CREATED)
    async def create_key(
        self,
        lab_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
        data: JSONBody[LabKeyIn | None] = None,
    ) -> LabKeyCreated:
        """A new API key for the lab's HTTP updates (X-Lab-Key); the key is shown only here."""
        principal.require_role(Role.CHAIN_ADMIN, action="criar chaves de laboratório")
        async with pool.acquire() as conn, conn.transaction():
            await _lab_or_404(conn, principal, lab_id)
            issued = await labs.issue_key(
                conn, lab_id=lab_id, label=data.label if data else None, now=clock()
            )
        return LabKeyCreated(**issued.row, key=issued.secret)

    @get("/{lab_id:uuid}/keys")
    async def list_keys(
        self,
        lab_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> list[LabKeyOut]:
        principal.require_role(Role.CHAIN_ADMIN, action="ver chaves de laboratório")
        async with pool.acquire() as conn:
            await _lab_or_404(conn, principal, lab_id)
            rows = await labs.list_keys(conn, lab_id)
        return [LabKeyOut(**r) for r in rows]

    @delete("/{lab_id:uuid}/keys/{key_id:uuid}")
    async def revoke_key(
        self,
        lab_id: FromPath[UUID],
        key_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> None:
        """Revoke a key: requests with it are refused (401) from now on."""
        principal.require_role(Role.CHAIN_ADMIN, action="revogar chaves de laboratório")
        async with pool.acquire() as conn, conn.transaction():
            await _lab_or_404(conn, principal, lab_id)
            if await labs.revoke_key(conn, lab_id=lab_id, key_id=key_id, now=clock()) is None:
                raise NotFoundException(f"key {key_id} not found")
