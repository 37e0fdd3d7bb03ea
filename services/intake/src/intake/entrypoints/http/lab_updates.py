"""Lab updates over HTTP: the twin of the lab queue, and the list of messages to look at.

``POST /api/v1/lab-updates`` takes the queue's JSON, authenticated by the lab's API key
(``X-Lab-Key``) instead of a staff token; the key's lab plays the part of the routing key.
Staff list the chain's lab messages (``?status=rejected``) and replay a rejected one.
A rejection's reason is stored as written and answered in the reader's language (pt-BR unless
``Accept-Language`` prefers English, ``shared.problem_texts``), as the refusals are.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

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

from intake.config import IntakeSettings
from intake.domain.lab_intake import NotReplayable, Outcome
from intake.domain.lab_message import LabMessage, Unreadable, read
from intake.domain.records import LabMessageStatus, StoredLabMessage
from intake.entrypoints.http.errors import ConflictException
from intake.entrypoints.http.lab_schemas import LabMessageOut, LabOutcomeOut
from intake.usecases import receive_lab_update as receive
from intake.usecases.ports import NewId, Transactions
from shared.auth import LAB_KEY_ACCEPTED, PUBLIC, STAFF_ROLES, Principal, provide_principal
from shared.clock import Clock
from shared.local_times import in_branch_zone
from shared.openapi import BEARER_TOKEN, LAB_KEY, REQUEST_BODY_OPT
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of
from shared.problem_texts import Language, language_of, localize

LabKey = Annotated[
    str | None,
    HeaderParameter(
        name="X-Lab-Key", description="the lab's API key (POST /api/v1/labs/{id}/keys)"
    ),
]
StatusFilter = Annotated[
    LabMessageStatus | None, QueryParameter(description="accepted, rejected, replayed or stale")
]


def _language(request: Request[Any, Any, Any]) -> Language:
    return language_of(request.headers.get("accept-language"))


def _reason(reason: str | None, language: Language) -> str | None:
    return None if reason is None else localize(reason, language)


def _message_out(message: StoredLabMessage, language: Language) -> LabMessageOut:
    zone = message.branch_timezone
    return LabMessageOut(
        lab_message_id=message.lab_message_id,
        received_at=in_branch_zone(message.received_at, zone),
        via=message.via,
        routing_key=message.routing_key,
        lab_code=message.lab_code,
        message_id=message.message_id,
        body=message.body.decode("utf-8", "replace"),
        status=message.status,
        reason=_reason(message.reason, language),
        order_id=message.order_id,
        occurred_at=in_branch_zone(message.occurred_at, zone),
        attempts=message.attempts,
        last_attempt_at=in_branch_zone(message.last_attempt_at, zone),
        branch_timezone=zone,
    )


def _outcome_out(outcome: Outcome, language: Language) -> LabOutcomeOut:
    return LabOutcomeOut(
        lab_message_id=outcome.lab_message_id,
        status=outcome.status,
        reason=_reason(outcome.reason, language),
        order_id=outcome.order_id,
    )


def _outcome_response(
    outcome: Outcome, unreadable: bool, language: Language
) -> Response[LabOutcomeOut]:
    status_code = HTTP_202_ACCEPTED
    if outcome.status == "rejected":
        status_code = HTTP_400_BAD_REQUEST if unreadable else HTTP_422_UNPROCESSABLE_ENTITY
    return Response(_outcome_out(outcome, language), status_code=status_code)


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
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        new_id: NamedDependency[NewId],
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
        lab = await receive.lab_for_key(transactions, lab_key)
        if lab is None:
            raise NotAuthorizedException("unknown or revoked lab API key (X-Lab-Key)")
        outcome = await receive.receive(
            transactions,
            body=body,
            sender_code=lab.code,
            via="http",
            routing_key=None,
            now=clock(),
            new_id=new_id,
            window=settings.lab_time_window,
        )
        return _outcome_response(outcome, isinstance(read(body), Unreadable), _language(request))

    @get("/", opt={LAB_KEY_ACCEPTED: True}, security=[{BEARER_TOKEN: []}, *LAB_KEY])
    async def list_lab_updates(
        self,
        request: Request[Any, Any, Any],
        transactions: NamedDependency[Transactions],
        status: StatusFilter = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
        lab_key: LabKey = None,
    ) -> Page:
        """The chain's lab messages, newest first, e.g. ``?status=rejected`` to look at.

        With a lab's ``X-Lab-Key`` instead of a staff token: that lab's own messages only, so
        a lab sees which of its messages were rejected or stale, and why.
        """
        if request.scope.get("user") is None and lab_key:
            lab = await receive.lab_for_key(transactions, lab_key)
            if lab is None:
                raise NotAuthorizedException("unknown or revoked lab API key (X-Lab-Key)")
            messages = await receive.list_lab_messages(transactions, lab, status, limit, offset)
        else:
            principal = provide_principal(request)
            messages = await receive.list_messages(
                transactions,
                principal.chain_id,
                principal.visible_branches(),
                status,
                limit,
                offset,
            )
        language = _language(request)
        return page_of([_message_out(m, language) for m in messages], limit, offset)

    @get("/{lab_message_id:uuid}")
    async def get_lab_update(
        self,
        request: Request[Any, Any, Any],
        lab_message_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> LabMessageOut:
        message = await receive.get_message(
            transactions, principal.chain_id, principal.visible_branches(), lab_message_id
        )
        if message is None:
            raise NotFoundException(f"lab message {lab_message_id} not found")
        return _message_out(message, _language(request))

    @post("/{lab_message_id:uuid}/replay", status_code=200)
    async def replay_lab_update(
        self,
        request: Request[Any, Any, Any],
        lab_message_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
        settings: NamedDependency[IntakeSettings],
    ) -> LabOutcomeOut:
        """Try a rejected message again (e.g. once its order is registered): it becomes
        ``replayed`` (applied), ``stale``, or stays ``rejected`` with the new reason."""
        principal.require_role(*STAFF_ROLES, action="reprocessar mensagens de laboratório")
        visible = await receive.get_message(
            transactions, principal.chain_id, principal.visible_branches(), lab_message_id
        )
        if visible is None:
            raise NotFoundException(f"lab message {lab_message_id} not found")
        try:
            outcome = await receive.replay(
                transactions,
                chain_id=principal.chain_id,
                lab_message_id=lab_message_id,
                now=clock(),
                window=settings.lab_time_window,
            )
        except NotReplayable as exc:
            raise ConflictException(str(exc)) from None
        if outcome is None:
            raise NotFoundException(f"lab message {lab_message_id} not found")
        return _outcome_out(outcome, _language(request))
