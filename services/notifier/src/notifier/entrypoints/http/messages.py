"""Messages sent (or held, suppressed, failed) to customers, with their status."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from pydantic import BaseModel

from notifier.domain.lifecycle import MessageState
from notifier.usecases.list_messages import list_messages
from notifier.usecases.ports import UnitOfWork
from notifier.usecases.records import MessageQuery, StaffMessage
from shared.auth import Principal
from shared.local_times import in_branch_zone
from shared.logging import mask_phone_numbers
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of


class MessageOut(BaseModel):
    notification_id: UUID
    chain_id: UUID
    order_id: UUID
    branch_id: UUID
    order_number: str
    entry_sequence: int
    stage_key: str
    stage_name: str
    body: str | None
    phone_masked: str | None
    status: str
    status_reason: str | None
    provider: str | None
    attempts: int
    encoding: str | None
    segments: int | None
    send_after: datetime | None
    """When a ``held`` message goes out (the branch's next sending window)."""
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    updated_at: datetime
    branch_timezone: str | None = None
    """The branch's IANA zone; every time in this answer carries its offset."""
    not_sent_reason: str | None = None
    """For a ``held`` message that will not go out when the sending hours open: why (the
    order closed or left the message's stage since); the dispatcher suppresses it then."""


class MessageController(Controller):
    path = "/api/v1/messages"
    tags = ["messages"]

    @get("/")
    async def list_messages(
        self,
        uow: NamedDependency[UnitOfWork],
        principal: NamedDependency[Principal],
        order_id: FromQuery[UUID | None] = None,
        branch: FromQuery[UUID | None] = None,
        status: FromQuery[MessageState | None] = None,
        created_from: FromQuery[date | None] = None,
        created_to: FromQuery[date | None] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Customer messages, newest first."""
        visible = principal.visible_branches()
        found = await list_messages(
            uow,
            MessageQuery(
                chain_id=principal.chain_id,
                branches=None if visible is None else frozenset(visible),
                order_id=order_id,
                branch=branch,
                status=status,
                created_from=created_from,
                created_to=created_to,
                limit=limit + 1,
                offset=offset,
            ),
        )
        return page_of([_message_out(message) for message in found], limit, offset)


def _message_out(message: StaffMessage) -> MessageOut:
    """The message as staff see it: the phone (the contact's, until it is sent) masked the
    same way as in the logs; a provider's error may quote the number, so it is masked too."""
    fields = asdict(message)
    phone = fields.pop("shown_phone")
    reason = fields.pop("status_reason")
    del fields["progress"]
    return MessageOut(
        **in_branch_zone(fields, fields.get("branch_timezone")),
        not_sent_reason=message.not_sent_reason,
        status_reason=mask_phone_numbers(reason) if reason else None,
        phone_masked=mask_phone_numbers(phone) if phone else None,
    )
