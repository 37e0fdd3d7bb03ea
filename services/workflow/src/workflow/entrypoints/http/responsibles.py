"""A responsible person for every step, over HTTP: each stage's default person per branch, and
the people who may be named (workflow's copy of intake's users).

- ``GET /api/v1/service-types/{code}/responsibles``: the latest flow's stages, each with its
  role and, per branch the caller sees, its default person (``eligible: false`` when that person
  was deactivated, became read-only or left the branch: they are then not assigned).
- ``PUT …/responsibles``: ``{"responsibles": [{"stage", "branch_id", "user_id" | null}]}``,
  all or nothing; a chain admin for every branch, a branch manager for their branches.
- ``GET /api/v1/people?branch=``: who may take the branch's orders (active, not read-only,
  working there; chain admins everywhere), for the people picker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, JSONBody, PathParameter
from pydantic import BaseModel, Field

from shared.auth import Principal, Role
from shared.clock import Clock
from shared.database import Connection
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from workflow.adapters.postgres import responsibles, staff
from workflow.adapters.postgres.branches import PostgresBranchStore
from workflow.adapters.postgres.flows import PostgresFlowStore
from workflow.domain.problems import FieldProblem, InvalidInput
from workflow.entrypoints.http.config_schemas import Body
from workflow.entrypoints.http.errors import bad_request
from workflow.entrypoints.http.local_times import in_branch_zone

Code = Annotated[
    str,
    PathParameter(
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="the service type's code, e.g. troca"
    ),
]


class BranchResponsibleOut(BaseModel):
    branch_id: UUID
    branch_code: str | None
    user_id: UUID
    user_name: str | None
    eligible: bool
    """False: the person may no longer take the branch's orders; nobody is assigned."""
    set_by: str
    set_at: datetime


class StageResponsiblesOut(BaseModel):
    key: str
    name: str
    responsible_role: str | None
    branches: list[BranchResponsibleOut]


class ResponsiblesOut(BaseModel):
    service_type: str
    flow_version: int
    stages: list[StageResponsiblesOut]


class ResponsibleIn(Body):
    stage: str = Field(min_length=1, max_length=64, description="the stage's key")
    branch_id: UUID
    user_id: UUID | None = Field(description="the person; null: nobody for this stage and branch")


class ResponsiblesIn(Body):
    responsibles: list[ResponsibleIn] = Field(min_length=1, max_length=500)


class PersonOut(BaseModel):
    user_id: UUID
    name: str
    role: str


class ResponsibleController(Controller):
    path = "/api/v1/service-types/{code:str}/responsibles"
    tags = ["flows"]

    @get("/")
    async def get_responsibles(
        self, code: Code, pool: NamedDependency[asyncpg.Pool], principal: NamedDependency[Principal]
    ) -> ResponsiblesOut:
        """Each stage of the latest flow: its role, and its default person per branch."""
        async with pool.acquire() as conn:
            return await _read(conn, principal, code)

    @put("/")
    async def put_responsibles(
        self,
        code: Code,
        data: JSONBody[ResponsiblesIn],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ResponsiblesOut:
        """Name (or clear, ``user_id: null``) stages' default people per branch; every item is
        checked and all apply or none."""
        principal.require_role(
            Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="definir os responsáveis das etapas"
        )
        async with pool.acquire() as conn, conn.transaction():
            flow = await PostgresFlowStore(conn).latest(principal.chain_id, code)
            if flow is None:
                raise NotFoundException(f"service type {code} not found")
            keys = {stage.key for stage in flow.stages}
            problems: list[FieldProblem] = []
            for i, item in enumerate(data.responsibles):
                path = f"responsibles[{i}]"
                if item.stage not in keys:
                    problems.append(
                        FieldProblem(
                            f"{path}.stage",
                            f"a etapa “{item.stage}” não existe no fluxo “{flow.name}”",
                        )
                    )
                branch = await PostgresBranchStore(conn).get(principal.chain_id, item.branch_id)
                if branch is None or not principal.may_see_branch(item.branch_id):
                    problems.append(FieldProblem(f"{path}.branch_id", "filial não encontrada"))
                    continue
                if item.user_id is not None:
                    problem = await _person_problem(conn, principal, item, branch.code)
                    if problem:
                        problems.append(FieldProblem(f"{path}.user_id", problem))
            if problems:
                raise bad_request(InvalidInput(problems))
            for item in data.responsibles:
                await responsibles.set_default(
                    conn,
                    principal.chain_id,
                    code,
                    item.stage,
                    item.branch_id,
                    item.user_id,
                    by=principal.name or str(principal.user_id),
                    at=clock(),
                )
            return await _read(conn, principal, code)


class PeopleController(Controller):
    path = "/api/v1/people"
    tags = ["flows"]

    @get("/")
    async def list_people(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        branch: FromQuery[UUID | None] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Who may take orders (of ``branch``, or of the caller's branches): active, not
        read-only, working there; chain admins work in every branch."""
        if branch is not None:
            principal.require_branch(branch)
        scope = frozenset({branch}) if branch is not None else principal.visible_branches()
        async with pool.acquire() as conn:
            rows = await staff.list_people(conn, principal.chain_id, scope)
        people = [PersonOut(user_id=r["user_id"], name=r["name"], role=r["role"]) for r in rows]
        return page_of(people[offset : offset + limit + 1], limit, offset)


async def _person_problem(
    conn: Connection, principal: Principal, item: ResponsibleIn, branch_code: str
) -> str | None:
    assert item.user_id is not None
    person = await staff.get_person(conn, principal.chain_id, item.user_id)
    if person is None:
        return "pessoa não encontrada nesta rede"
    if not person["active"]:
        return f"{person['name']} está desativado(a)"
    if person["role"] == "viewer":
        return f"{person['name']} só consulta e não pode receber OS"
    if person["role"] != "chain_admin" and item.branch_id not in person["branch_ids"]:
        return f"{person['name']} não trabalha na filial {branch_code}"
    return None


async def _read(conn: Connection, principal: Principal, code: str) -> ResponsiblesOut:
    flow = await PostgresFlowStore(conn).latest(principal.chain_id, code)
    if flow is None:
        raise NotFoundException(f"service type {code} not found")
    rows = await responsibles.list_for_type(
        conn, principal.chain_id, code, principal.visible_branches()
    )
    by_stage: dict[str, list[BranchResponsibleOut]] = {}
    for row in rows:
        local = in_branch_zone(row, row.pop("timezone"))
        by_stage.setdefault(row["stage_key"], []).append(BranchResponsibleOut(**local))
    return ResponsiblesOut(
        service_type=code,
        flow_version=flow.version,
        stages=[
            StageResponsiblesOut(
                key=stage.key,
                name=stage.name,
                responsible_role=stage.responsible_role,
                branches=by_stage.get(stage.key, []),
            )
            for stage in flow.stages
        ],
    )
