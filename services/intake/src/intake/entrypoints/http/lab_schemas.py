"""Request and response bodies of the lab endpoints: labs, API keys and lab messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from intake.domain.lab_message import LAB_CODE_PATTERN
from intake.entrypoints.http.schemas import Body, Text


class LabIn(Body):
    code: Annotated[str, StringConstraints(pattern=LAB_CODE_PATTERN)] = Field(
        description="unique across Etapa: the lab publishes with routing key lab.<code>.status"
    )
    name: Text


class LabOut(BaseModel):
    lab_id: UUID
    chain_id: UUID
    code: str
    name: str
    created_at: datetime


class LabKeyIn(Body):
    label: Text | None = Field(default=None, description="what the key is for, e.g. 'ERP'")


class LabKeyOut(BaseModel):
    key_id: UUID
    lab_id: UUID
    key_prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


class LabKeyCreated(LabKeyOut):
    key: str = Field(description="send it as X-Lab-Key; shown only now, stored only hashed")


class LabMessageOut(BaseModel):
    lab_message_id: UUID
    received_at: datetime
    via: Literal["amqp", "http"]
    routing_key: str | None
    lab_code: str | None
    message_id: str | None
    body: str = Field(description="the message as received (UTF-8, undecodable bytes replaced)")
    status: Literal["accepted", "rejected", "replayed", "stale"]
    reason: str | None
    order_id: UUID | None
    occurred_at: datetime | None
    attempts: int
    last_attempt_at: datetime


class LabOutcomeOut(BaseModel):
    lab_message_id: UUID
    status: Literal["accepted", "rejected", "replayed", "stale", "duplicate"]
    reason: str | None
    order_id: UUID | None
