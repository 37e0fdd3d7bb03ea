"""Lab updates over HTTP: the twin of the lab queue, and the list of messages to look at.

``POST /api/v1/lab-updates`` takes the queue's JSON, authenticated by the lab's API key
(``X-Lab-Key``) instead of a staff token; the key's lab plays the part of the routing key.
Staff list the chain's lab messages (``?status=rejected``) and replay a rejected one.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.status_codes import (
    HTTP_202_ACCEPTED,
    HTTP_400_BAD_REQUEST,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from intake import labs
from intake.api.errors import ConflictException
from intake.api.lab_schemas import LabMessageOut, LabOutcomeOut
from intake.config import IntakeSettings
from intake.lab import receive
from intake.lab.message import LabMessage, Unreadable, read
from shared.auth import LAB_KEY_ACCEPTED, PUBLIC, STAFF_ROLES, Principal, provide_principal
from shared.clock import Clock
from shared.openapi import BEARER_TOKEN, LAB_KEY, REQUEST_BODY_OPT
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of

LabKey = Annotated[
    str | None,
    HeaderParameter(
        name="X-Lab-Key", description="the lab's API key (POST /api/v1/labs/{id}/keys)"
    ),
]
StatusFilter = Annotated[
    receive.Status | None, QueryParameter(description="accepted, rejected, replayed or stale")
]


def _message_out(row: dict[str, Any]) -> LabMessageOut:
    return LabMessageOut(**(row | {"body": bytes(row["body"]).decode("utf-8", "replace")}))


def _outcome_response(outcome: receive.Outcome, unreadable: bool) -> Response[LabOutcomeOut]:
    status_code = HTTP_202_ACCEPTED
    if outcome.status == "rejected":
        status_code = HTTP_400_BAD_REQUEST if unreadable else HTTP_422_UNPROCESSABLE_ENTITY
    body = LabOutcomeOut(
        lab_message_id=outcome.lab_message_id,
        status=outcome.status,
        reason=outcome.reason,
        order_id=outcome.order_id,
    )
    return Response(body, status_code=status_code)


class LabUpdateController(Controller):
    path = "/api/v1/lab-updates"
    tags = ["labs"]

    @post(
        "/",
        opt={**PUBLIC, REQUEST_BODY_OPT: LabMessage},
        security=LAB_KEY,
        status_code=HTTP_202_ACCEPTED,
        responses={
            400: ResponseSpec(LabOutcomeOut, description="unreadable: kept as rejected"),
            422: ResponseSpec(LabOutcomeOut, description="unknown order or another lab's"),
        },
    )
    async def post_lab_update(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        settings: NamedDependency[IntakeSettings],
        lab_key: LabKey = None,
    ) -> Response[LabOutcomeOut]:
        """A lab reports a status, with the queue's JSON body.

        202 when applied (``accepted``), already known (``duplicate``) or older than what the
        order shows (``stale``); 400 when the body cannot be read and 422 when it names an
        unknown order or another lab — both kept as rejected, listed and replayable.
        """
        if not lab_key:
            raise NotAuthorizedException("missing lab API key (X-Lab-Key)")
        body = await request.body()
        async with pool.acquire() as conn:
            lab = await labs.lab_for_key(conn, lab_key)
            if lab is None:
                raise NotAuthorizedException("unknown or revoked lab API key (X-Lab-Key)")
            outcome = await receive.receive(
                conn,
                body=body,
                sender_code=lab.code,
                via="http",
                routing_key=None,
                now=clock(),
                window=settings.lab_time_window,
            )
        return _outcome_response(outcome, isinstance(read(body), Unreadable))

    @get("/", opt={LAB_KEY_ACCEPTED: True}, security=[{BEARER_TOKEN: []}, *LAB_KEY])
    async def list_lab_updates(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        status: StatusFilter = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
        lab_key: LabKey = None,
    ) -> Page:
        """The chain's lab messages, newest first, e.g. ``?status=rejected`` to look at.

        With a lab's ``X-Lab-Key`` instead of a staff token: that lab's own messages only, so
        a lab sees which of its messages were rejected or stale, and why.
        """
        async with pool.acquire() as conn:
            if request.scope.get("user") is None and lab_key:
                lab = await labs.lab_for_key(conn, lab_key)
                if lab is None:
                    raise NotAuthorizedException("unknown or revoked lab API key (X-Lab-Key)")
                rows = await receive.list_lab_messages(conn, lab, status, limit, offset)
            else:
                principal = provide_principal(request)
                rows = await receive.list_messages(
                    conn, principal.chain_id, principal.visible_branches(), status, limit, offset
                )
        return page_of([_message_out(r) for r in rows], limit, offset)

    @get("/{lab_message_id:uuid}")
    async def get_lab_update(
        self,
        lab_message_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
    ) -> LabMessageOut:
        async with pool.acquire() as conn:
            row = await receive.get_message(
                conn, principal.chain_id, principal.visible_branches(), lab_message_id
            )
        if row is None:
            raise NotFoundException(f"lab message {lab_message_id} not found")
        return _message_out(row)

    @post("/{lab_message_id:uuid}/replay", status_code=200)
    async def replay_lab_update(
        self,
        lab_message_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
        settings: NamedDependency[IntakeSettings],
    ) -> LabOutcomeOut:
        """Try a rejected message again (e.g. once its order is registered): it becomes
        ``replayed`` (applied), ``stale``, or stays ``rejected`` with the new reason."""
        principal.require_role(*STAFF_ROLES, action="reprocessar mensagens de laboratório")
        async with pool.acquire() as conn:
            visible = await receive.get_message(
                conn, principal.chain_id, principal.visible_branches(), lab_message_id
            )
            if visible is None:
                raise NotFoundException(f"lab message {lab_message_id} not found")
            try:
                outcome = await receive.replay(
                    conn,
                    chain_id=principal.chain_id,
                    lab_message_id=lab_message_id,
                    now=clock(),
                    window=settings.lab_time_window,
                )
            except receive.NotReplayable as exc:
                raise ConflictException(str(exc)) from None
        if outcome is None:
            raise NotFoundException(f"lab message {lab_message_id} not found")
        return LabOutcomeOut(
            lab_message_id=outcome.lab_message_id,
            status=outcome.status,
            reason=outcome.reason,
            order_id=outcome.order_id,
        )
