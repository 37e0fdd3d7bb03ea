"""Request and response bodies of staff actions on an order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from etapa_contracts.events import OrderActionKind
from intake.entrypoints.http.schemas import Body, Text

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ActionIn(Body):
    action: OrderActionKind
    reason: Reason | None = Field(
        default=None, description="why; required for back, pause, cancel and reopen"
    )
    target_stage: (
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] | None
    ) = Field(default=None, description="advance only: the stage to move to (default: the next)")
    assignee: Text | None = Field(
        default=None, description="assign only: who takes the order, as free text (a name)"
    )
    assignee_id: UUID | None = Field(
        default=None,
        description="assign only: the staff user who takes the order (active, and working in "
        "the order's branch); their name is recorded as `assignee`. Preferred over `assignee`: "
        "the person then finds the order in their list (`GET /api/v1/orders?assignee=me`)",
    )
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = Field(default=None, description="note only: the text to put on the order's timeline")
    reopen_kind: Literal["remake", "warranty"] | None = Field(
        default=None, description="reopen only: remake (refação) or warranty (garantia)"
    )
    expected_version: int | None = Field(
        default=None,
        ge=1,
        le=2_147_483_647,
        description="the order's `version` (from workflow's order detail) the person saw when "
        "they acted; workflow refuses the action, with the reason on the timeline, when the "
        "order has changed since. Also accepted as the `If-Match` header.",
    )


class ActionOut(BaseModel):
    action_id: UUID
    order_id: UUID
    kind: str
    actor: str
    reason: str | None
    target_stage: str | None
    assignee: str | None
    note: str | None
    reopen_kind: str | None
    requested_at: datetime
    status: Literal["accepted"] = Field(
        default="accepted",
        description="recorded and sent to workflow, which applies it or shows on the order's "
        "timeline why it could not",
    )
