"""The chain's labs and their API keys over HTTP; only a chain admin changes them."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from intake.domain.labs import LabCodeTaken
from intake.entrypoints.http.errors import ConflictException
from intake.entrypoints.http.lab_schemas import LabIn, LabKeyCreated, LabKeyIn, LabKeyOut, LabOut
from intake.usecases import manage_labs
from intake.usecases.manage_labs import UnknownLab
from intake.usecases.ports import NewId, Transactions
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of


class LabController(Controller):
    path = "/api/v1/labs"
    tags = ["labs"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create_lab(
        self,
        data: JSONBody[LabIn],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        new_id: NamedDependency[NewId],
        principal: NamedDependency[Principal],
    ) -> LabOut:
        """Register a lab of the caller's chain; its code is its identity on the broker."""
        principal.require_role(Role.CHAIN_ADMIN, action="cadastrar laboratórios")
        try:
            lab = await manage_labs.create_lab(
                transactions,
                chain_id=principal.chain_id,
                code=data.code,
                name=data.name,
                now=clock(),
                new_id=new_id,
            )
        except LabCodeTaken as exc:
            raise ConflictException(f"code: {exc}") from None
        return LabOut(**asdict(lab))

    @get("/")
    async def list_labs(
        self,
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        labs = await manage_labs.list_labs(transactions, principal.chain_id, limit, offset)
        return page_of([LabOut(**asdict(lab)) for lab in labs], limit, offset)

    @get("/{lab_id:uuid}")
    async def get_lab(
        self,
        lab_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> LabOut:
        lab = await manage_labs.get_lab(transactions, principal.chain_id, lab_id)
        if lab is None:
            raise NotFoundException(f"lab {lab_id} not found")
        return LabOut(**asdict(lab))

    @post("/{lab_id:uuid}/keys", status_code=HTTP_201_CREATED)
    async def create_key(
        self,
        lab_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        new_id: NamedDependency[NewId],
        principal: NamedDependency[Principal],
        data: JSONBody[LabKeyIn | None] = None,
    ) -> LabKeyCreated:
        """A new API key for the lab's HTTP updates (X-Lab-Key); the key is shown only here."""
        principal.require_role(Role.CHAIN_ADMIN, action="criar chaves de laboratório")
        try:
            issued = await manage_labs.issue_key(
                transactions,
                chain_id=principal.chain_id,
                lab_id=lab_id,
                label=data.label if data else None,
                now=clock(),
                new_id=new_id,
            )
        except UnknownLab as exc:
            raise NotFoundException(str(exc)) from None
        return LabKeyCreated(**asdict(issued.key), key=issued.secret)

    @get("/{lab_id:uuid}/keys")
    async def list_keys(
        self,
        lab_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> list[LabKeyOut]:
        principal.require_role(Role.CHAIN_ADMIN, action="ver chaves de laboratório")
        try:
            keys = await manage_labs.list_keys(transactions, principal.chain_id, lab_id)
        except UnknownLab as exc:
            raise NotFoundException(str(exc)) from None
        return [LabKeyOut(**asdict(key)) for key in keys]

    @delete("/{lab_id:uuid}/keys/{key_id:uuid}")
    async def revoke_key(
        self,
        lab_id: FromPath[UUID],
        key_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> None:
        """Revoke a key: requests with it are refused (401) from now on."""
        principal.require_role(Role.CHAIN_ADMIN, action="revogar chaves de laboratório")
        try:
            revoked = await manage_labs.revoke_key(
                transactions, chain_id=principal.chain_id, lab_id=lab_id, key_id=key_id, now=clock()
            )
        except UnknownLab as exc:
            raise NotFoundException(str(exc)) from None
        if revoked is None:
            raise NotFoundException(f"key {key_id} not found")
