"""The chain directory over HTTP: chains and branches, each caller inside their own chain."""

from __future__ import annotations

import hmac
from dataclasses import asdict
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotAuthorizedException, NotFoundException
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from etapa_contracts.events import BranchSnapshot, SendingWindow
from intake.config import IntakeSettings
from intake.domain.directory import DirectoryConflict, UnknownChain
from intake.domain.records import Branch
from intake.domain.users import EmailTaken
from intake.entrypoints.http.errors import ConflictException
from intake.entrypoints.http.schemas import (
    BranchIn,
    BranchOut,
    ChainCreated,
    ChainIn,
    ChainOut,
    UserOut,
)
from intake.usecases import manage_directory
from intake.usecases.manage_users import NewUser
from intake.usecases.ports import NewId, Passwords, Transactions
from shared.auth import PUBLIC, Principal, Role
from shared.clock import Clock
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
        transactions: NamedDependency[Transactions],
        passwords: NamedDependency[Passwords],
        new_id: NamedDependency[NewId],
        settings: NamedDependency[IntakeSettings],
        operator_key: OperatorKey = None,
    ) -> ChainCreated:
        """Create a chain (rede) and its first administrator; needs the operator's key."""
        if operator_key is None or not hmac.compare_digest(
            operator_key.encode(), settings.operator_key.encode()
        ):
            raise NotAuthorizedException("creating a chain needs the operator key (X-Operator-Key)")
        admin = NewUser(
            data.admin.email, data.admin.name, Role.CHAIN_ADMIN, frozenset(), data.admin.password
        )
        try:
            created = await manage_directory.create_chain(
                transactions, passwords, name=data.name, admin=admin, new_id=new_id
            )
        except DirectoryConflict as exc:
            raise ConflictException(f"name: {exc}") from None
        except EmailTaken as exc:
            raise ConflictException(f"admin.email: {exc}") from None
        return ChainCreated(**asdict(created.chain), admin=UserOut(**asdict(created.admin)))

    @get("/")
    async def list_chains(
        self,
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> Page:
        """The caller's chain (a user belongs to exactly one)."""
        chain = await manage_directory.get_chain(transactions, principal.chain_id)
        return page_of([ChainOut(**asdict(chain))] if chain else [], DEFAULT_PAGE_SIZE, 0)

    @get("/{chain_id:uuid}")
    async def get_chain(
        self,
        chain_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> ChainOut:
        if chain_id != principal.chain_id:
            raise NotFoundException(f"chain {chain_id} not found")
        chain = await manage_directory.get_chain(transactions, chain_id)
        if chain is None:
            raise NotFoundException(f"chain {chain_id} not found")
        return ChainOut(**asdict(chain))


class BranchController(Controller):
    path = "/api/v1/branches"
    tags = ["directory"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create_branch(
        self,
        data: JSONBody[BranchIn],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        new_id: NamedDependency[NewId],
        principal: NamedDependency[Principal],
    ) -> BranchOut:
        """Create a branch (filial); other services learn of it from ``branch.upserted.v1``."""
        principal.require_role(Role.CHAIN_ADMIN, action="cadastrar filiais")
        return await _save_branch(transactions, clock, principal.chain_id, new_id(), data)

    @put("/{branch_id:uuid}")
    async def update_branch(
        self,
        branch_id: FromPath[UUID],
        data: JSONBody[BranchIn],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> BranchOut:
        """Change a branch; the change reaches the other services as ``branch.upserted.v1``."""
        await _visible_branch(transactions, principal, branch_id)
        principal.require_role(Role.CHAIN_ADMIN, action="alterar filiais")
        return await _save_branch(transactions, clock, principal.chain_id, branch_id, data)

    @get("/{branch_id:uuid}")
    async def get_branch(
        self,
        branch_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> BranchOut:
        return BranchOut(**asdict(await _visible_branch(transactions, principal, branch_id)))

    @get("/")
    async def list_branches(
        self,
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """The branches the caller may see, by code."""
        branches = await manage_directory.list_branches(
            transactions, principal.chain_id, principal.visible_branches(), limit, offset
        )
        return page_of([BranchOut(**asdict(b)) for b in branches], limit, offset)


async def _visible_branch(
    transactions: Transactions, principal: Principal, branch_id: UUID
) -> Branch:
    principal.require_branch(branch_id)
    branch = await manage_directory.get_branch(transactions, principal.chain_id, branch_id)
    if branch is None:
        raise NotFoundException(f"branch {branch_id} not found")
    return branch


async def _save_branch(
    transactions: Transactions, clock: Clock, chain_id: UUID, branch_id: UUID, data: BranchIn
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
    try:
        branch = await manage_directory.save_branch(
            transactions, chain_id=chain_id, snapshot=snapshot, window=window, now=clock()
        )
    except UnknownChain as exc:
        raise ClientException(str(exc)) from None
    except DirectoryConflict as exc:
        raise ConflictException(str(exc)) from None
    return BranchOut(**asdict(branch))
