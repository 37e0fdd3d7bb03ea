"""Response bodies of the workflow's HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class OrderSummary(BaseModel):
    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    branch_code: str
    branch_name: str
    number: str
    service_type: str
    flow_version: int | None
    customer_name: str
    lab_code: str | None
    status: str
    status_reason: str | None
    stage_position: int | None
    stage_key: str | None
    stage_name: str | None
    entry_sequence: int
    stage_entered_at: datetime | None
    stage_due_at: datetime | None
    stage_due_explanation: str | None
    projected_completion_at: datetime | None
    promised_date: date | None
    promised_date_proposed: bool
    opened_at: datetime
    updated_at: datetime
    version: int


class TimelineEntry(BaseModel):
    occurred_at: datetime
    actor: str
    kind: str
    summary: str
    detail: dict[str, Any]


class OrderDetail(OrderSummary):
    timeline: list[TimelineEntry]


class ServiceTypeOut(BaseModel):
    chain_id: UUID
    code: str
    name: str
    version: int
    stages: list[dict[str, Any]]
    created_at: datetime
