"""Messages sent (or held, suppressed, failed) to customers, with their status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from pydantic import BaseModel

from shared.auth import Principal
from shared.local_times import in_branch_zone
from shared.logging import mask_phone_numbers
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of

MessageStatus = Literal["pending", "sending", "held", "sent", "delivered", "failed", "suppressed"]


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


class MessageController(Controller):
    path = "/api/v1/messages"
    tags = ["messages"]

    @get("/")
    async def list_messages(
        self,
        pool: NamedDependency[asyncpg.Pool],
        principal: NamedDependency[Principal],
        order_id: FromQuery[UUID | None] = None,
        branch: FromQuery[UUID | None] = None,
        status: FromQuery[MessageStatus | None] = None,
        created_from: FromQuery[date | None] = None,
        created_to: FromQuery[date | None] = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """Customer messages, newest first."""
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                """
                SELECT m.*, coalesce(m.phone, c.phone) AS shown_phone, b.timezone AS branch_timezone
                FROM messages m
                LEFT JOIN contacts c ON c.order_id = m.order_id AND c.chain_id = m.chain_id
                LEFT JOIN branches b ON b.branch_id = m.branch_id
                WHERE m.chain_id = $1 AND ($2::uuid IS NULL OR m.order_id = $2)
                  AND ($9::uuid[] IS NULL OR m.branch_id = ANY($9::uuid[]))
                  AND ($3::uuid IS NULL OR m.branch_id = $3)
                  AND ($4::text IS NULL OR m.status = $4)
                  AND ($5::date IS NULL OR m.created_at >= $5)
                  AND ($6::date IS NULL OR m.created_at < $6 + 1)
                ORDER BY m.created_at DESC, m.notification_id LIMIT $7 OFFSET $8
                """,
                principal.chain_id,
                order_id,
                branch,
                status,
                created_from,
                created_to,
                limit + 1,
                offset,
                None if (visible := principal.visible_branches()) is None else list(visible),
            )
        return page_of([_message_out(dict(r)) for r in rows], limit, offset)


def _message_out(row: dict[str, Any]) -> MessageOut:
    """The message as staff see it: the phone (the contact's, until it is sent) masked the
    same way as in the logs."""
    row.pop("phone")
    phone = row.pop("shown_phone")
    reason = row.pop("status_reason")  # a provider's error may quote the number
    return MessageOut(
        **in_branch_zone(row, row.get("branch_timezone")),
        status_reason=mask_phone_numbers(reason) if reason else None,
        phone_masked=mask_phone_numbers(phone) if phone else None,
    )
