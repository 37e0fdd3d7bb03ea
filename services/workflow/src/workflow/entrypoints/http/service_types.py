"""Service types (tipos de OS) and their flows: list, read, create, change, versions, compare.

Every query is scoped to the caller's chain; another chain's codes answer 404. Any signed-in
role reads; only a chain administrator creates or changes a flow.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, PathParameter, QueryParameter

from shared.auth import Principal, Role
from shared.clock import Clock
from shared.outbox import committing
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from workflow.adapters.postgres.flows import PostgresFlowStore, stage_to_json
from workflow.adapters.postgres.stores import PostgresStores
from workflow.domain.flow import Stage
from workflow.domain.flow_diff import FlowDiff, compare_flows
from workflow.domain.records import SavedFlowVersion, ServiceType
from workflow.entrypoints.http.config_schemas import (
    FieldChangeOut,
    FlowChange,
    FlowDiffOut,
    FlowIn,
    FlowVersionOut,
    PlacedStage,
    SavedServiceType,
    ServiceTypeDetail,
    StageChangeOut,
    StageOut,
)
from workflow.entrypoints.http.errors import ConflictException, bad_request
from workflow.usecases.flow_rules import InvalidFlow
from workflow.usecases.save_flow_version import (
    Published,
    ServiceTypeExists,
    UnknownServiceType,
    publish_flow,
)

MAX_VERSION = 2**31 - 1  # PostgreSQL integer
FromVersion = Annotated[
    int, QueryParameter(name="from", ge=1, le=MAX_VERSION, description="older version")
]
ToVersion = Annotated[
    int, QueryParameter(name="to", ge=1, le=MAX_VERSION, description="newer version")
]
Code = Annotated[
    str,
    PathParameter(
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="the service type's code, e.g. troca"
    ),
]
Version = Annotated[int, PathParameter(ge=1, le=MAX_VERSION, description="a flow version")]


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
        """Each service type of the chain with its latest flow version."""
        async with pool.acquire() as conn:
            rows = await PostgresFlowStore(conn).service_types(principal.chain_id, limit, offset)
        return page_of([_detail(r) for r in rows], limit, offset)

    @get("/{code:str}")
    async def get_service_type(
        self,
        code: Code,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> ServiceTypeDetail:
        """One service type with its latest flow version (the one new orders take)."""
        async with pool.acquire() as conn:
            row = await PostgresFlowStore(conn).service_type(principal.chain_id, code)
        if row is None:
            raise NotFoundException(f"service type {code!r} not found")
        return _detail(row)

    @post("/")
    async def create_service_type(
        self,
        data: JSONBody[FlowIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> SavedServiceType:
        """Create a service type with its first flow version (chain administrators)."""
        principal.require_role(Role.CHAIN_ADMIN, action="criar tipos de OS")
        return await _save(pool, principal, clock, data.code, data, create=True)

    @put("/{code:str}")
    async def change_service_type(
        self,
        code: Code,
        data: JSONBody[FlowChange],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> SavedServiceType:
        """Change a flow: a new version for new orders; running orders keep theirs.

        Saving the same flow again makes no version (``created_version: false``).
        """
        principal.require_role(Role.CHAIN_ADMIN, action="alterar tipos de OS")
        return await _save(pool, principal, clock, code, data, create=False)

    @get("/{code:str}/versions")
    async def list_versions(
        self,
        code: Code,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """The flow's versions, newest first."""
        async with pool.acquire() as conn:
            store = PostgresFlowStore(conn)
            if await store.service_type(principal.chain_id, code) is None:
                raise NotFoundException(f"service type {code!r} not found")
            rows = await store.saved_versions(principal.chain_id, code, limit, offset)
        return page_of([_version_out(r) for r in rows], limit, offset)

    @get("/{code:str}/versions/{version:int}")
    async def get_version(
        self,
        code: Code,
        version: Version,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> FlowVersionOut:
        """One version of the flow, as it was saved."""
        async with pool.acquire() as conn:
            row = await PostgresFlowStore(conn).saved_version(principal.chain_id, code, version)
        if row is None:
            raise NotFoundException(f"version {version} of service type {code!r} not found")
        return _version_out(row)

    @get("/{code:str}/versions/compare")
    async def compare_versions(
        self,
        code: Code,
        from_version: FromVersion,
        to_version: ToVersion,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> FlowDiffOut:
        """What changed from one version to another: stages added, removed, changed by field."""
        async with pool.acquire() as conn:
            store = PostgresFlowStore(conn)
            older = await store.version(principal.chain_id, code, from_version)
            newer = await store.version(principal.chain_id, code, to_version)
        if older is None:
            raise NotFoundException(f"from: version {from_version} of {code!r} not found")
        if newer is None:
            raise NotFoundException(f"to: version {to_version} of {code!r} not found")
        return _diff_out(compare_flows(older, newer))


async def _save(
    pool: asyncpg.Pool,
    principal: Principal,
    clock: Clock,
    code: str,
    data: FlowChange,
    *,
    create: bool,
) -> SavedServiceType:
    async with pool.acquire() as conn, committing(conn):
        stores = PostgresStores(conn)
        try:
            published: Published = await publish_flow(
                stores,
                principal.chain_id,
                code,
                data.name,
                data.to_stages(),
                now=clock(),
                active=data.active,
                create=create,
                actor=str(principal.user_id),
            )
        except InvalidFlow as exc:
            raise bad_request(exc) from None
        except ServiceTypeExists as exc:
            raise ConflictException(str(exc)) from None
        except UnknownServiceType as exc:
            raise NotFoundException(str(exc)) from None
        row = await stores.flows.service_type(principal.chain_id, code)
    assert row is not None
    return SavedServiceType(**_detail(row).model_dump(), created_version=published.created_version)


def _detail(found: ServiceType) -> ServiceTypeDetail:
    return ServiceTypeDetail(
        code=found.code,
        name=found.name,
        active=found.active,
        version=found.version,
        stages=_stages_json(found.stages),
        created_at=found.created_at,
        created_by=found.created_by,
    )


def _version_out(saved: SavedFlowVersion) -> FlowVersionOut:
    return FlowVersionOut(
        code=saved.code,
        name=saved.name,
        version=saved.version,
        stages=_stages_json(saved.stages),
        created_at=saved.created_at,
        created_by=saved.created_by,
    )


def _stages_json(stages: tuple[Stage, ...]) -> list[dict[str, object]]:
    """Every field of every stage (older versions' missing fields with their defaults)."""
    return [dict(stage_to_json(stage)) for stage in stages]


def _diff_out(diff: FlowDiff) -> FlowDiffOut:
    return FlowDiffOut(
        code=diff.service_type,
        from_version=diff.from_version,
        to_version=diff.to_version,
        unchanged=diff.unchanged,
        name=FieldChangeOut(field="name", before=diff.name.before, after=diff.name.after)
        if diff.name
        else None,
        added=[PlacedStage(position=p, stage=StageOut.of(s)) for p, s in diff.added],
        removed=[PlacedStage(position=p, stage=StageOut.of(s)) for p, s in diff.removed],
        changed=[
            StageChangeOut(
                key=change.key,
                changes=[
                    FieldChangeOut(field=c.field, before=c.before, after=c.after)
                    for c in change.changes
                ],
            )
            for change in diff.changed
        ],
    )
