"""Service types (tipos de OS) and their flows."""

from __future__ import annotations

import asyncpg
from litestar import Controller, get
from litestar.di import NamedDependency

from shared.auth import Principal
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from workflow.adapters import flows
from workflow.api.schemas import ServiceTypeOut


class ServiceTypeController(Controller):
    path = "/api/v1/service-types"
    tags = ["flows"]

    @get("/")
    async def list_service_types(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Each service type with its latest flow version."""
        async with pool.acquire() as conn:
            rows = await flows.list_service_types(conn, principal.chain_id, limit, offset)
        return page_of([ServiceTypeOut(**r) for r in rows], limit, offset)
