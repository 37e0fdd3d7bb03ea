"""Orders at the counter: open an order (idempotent with ``Idempotency-Key``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from intake.config import IntakeSettings
from intake.domain import orders
from intake.domain.idempotency import IdempotencyConflict
from intake.domain.phones import InvalidPhone, normalize_mobile
from intake.entrypoints.http.errors import ConflictException
from intake.entrypoints.http.schemas import OrderIn, OrderOut
from intake.usecases import open_order
from intake.usecases.ports import NewId, Transactions
from shared.auth import STAFF_ROLES, Principal
from shared.clock import Clock

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="retrying with the same key and body returns the same order",
    ),
]


class OrderController(Controller):
    path = "/api/v1/orders"
    tags = ["orders"]

    @post("/", status_code=HTTP_201_CREATED)
    async def open_order(
        self,
        data: JSONBody[OrderIn],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        new_id: NamedDependency[NewId],
        settings: NamedDependency[IntakeSettings],
        principal: NamedDependency[Principal],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[OrderOut]:
        """Open a service order (ordem de serviço) at a branch."""
        principal.require_role(*STAFF_ROLES, action="abrir ordens de serviço")
        if not principal.may_see_branch(data.branch_id):
            raise ClientException(
                f"branch_id: branch {data.branch_id} does not exist", extra={"field": "branch_id"}
            )
        try:
            phone = normalize_mobile(data.customer.phone, settings.default_phone_region)
        except InvalidPhone as exc:
            raise ClientException(
                f"customer.phone: {exc}", extra={"field": "customer.phone"}
            ) from None
        new = orders.NewOrder(
            branch_id=data.branch_id,
            service_type=data.service_type,
            customer_name=data.customer.name,
            customer_phone=phone,
            sms_consent=data.customer.sms_consent,
            items=[item.model_dump(mode="json") for item in data.items],
            promised_date=data.promised_date,
            lab_code=data.lab_code,
            notes=data.notes,
            external_reference=data.external_reference,
            confirm_before_proposal=data.confirm_before_proposal,
        )
        try:
            opened = await open_order.open_order(
                transactions,
                new,
                chain_id=principal.chain_id,
                now=clock(),
                new_id=new_id,
                idempotency_key=idempotency_key,
            )
        except orders.UnknownBranch as exc:
            raise ClientException(f"branch_id: {exc}", extra={"field": "branch_id"}) from None
        except orders.InvalidOrderField as exc:
            raise ClientException(str(exc), extra={"field": exc.field}) from None
        except IdempotencyConflict as exc:
            raise ConflictException(str(exc)) from None
        return Response(
            OrderOut(**asdict(opened.order)),
            status_code=HTTP_201_CREATED if opened.created else HTTP_200_OK,
        )

    @get("/{order_id:uuid}")
    async def get_order(
        self,
        order_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> OrderOut:
        """The order as registered at the counter (its progress is on the workflow service)."""
        order = await open_order.get_order(transactions, principal.chain_id, order_id)
        if order is None or not principal.may_see_branch(order.branch_id):
            raise NotFoundException(f"order {order_id} not found")
        return OrderOut(**asdict(order))
