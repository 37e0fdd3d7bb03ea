"""Request and response bodies of intake's HTTP API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from shared.auth import Role
from shared.flags import Flag
from shared.text import refuse_nul

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
BRAZILIAN_STATES = frozenset(
    "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO".split()
)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    _no_nul = model_validator(mode="before")(refuse_nul)


Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class SignIn(Body):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class UserIn(Body):
    email: Email
    name: Text
    role: Role
    branch_ids: list[UUID] = Field(default=[], max_length=500)
    password: Password


class UserPatch(Body):
    name: Text | None = None
    role: Role | None = None
    branch_ids: list[UUID] | None = Field(default=None, max_length=500)
    active: Flag | None = None
    password: Password | None = None


class UserOut(BaseModel):
    user_id: UUID
    chain_id: UUID
    email: str
    name: str
    role: Role
    branch_ids: list[UUID]
    active: bool
    created_at: datetime
    updated_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type
    expires_in: int
    user: UserOut


class FirstAdmin(Body):
    email: Email
    name: Text
    password: Password


class ChainIn(Body):
    name: Text
    admin: FirstAdmin = Field(description="the chain's first administrator, who signs in next")


class ChainOut(BaseModel):
    chain_id: UUID
    name: str
    created_at: datetime


class ChainCreated(ChainOut):
    admin: UserOut


class SendingWindowIn(Body):
    starts_at: time = time(8, 0)
    ends_at: time = time(20, 0)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default=[0, 1, 2, 3, 4, 5], min_length=1, description="0 = Monday … 6 = Sunday"
    )

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> SendingWindowIn:
        if self.starts_at.tzinfo or self.ends_at.tzinfo:
            raise ValueError("starts_at, ends_at: local wall-clock times, without a time zone")
        if self.starts_at >= self.ends_at:
            raise ValueError("starts_at must be before ends_at (a window within one day)")
        return self


class BranchIn(Body):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,10}$")] = Field(
        description="short code used in order numbers, e.g. SP01"
    )
    name: Text
    state: Annotated[str, StringConstraints(to_upper=True, min_length=2, max_length=2)]
    city: Text
    timezone: str = "America/Sao_Paulo"
    phone: Annotated[str, StringConstraints(max_length=30)] | None = None
    address: Text | None = Field(
        default=None, description="street address, shown on the customer's page"
    )
    opening_hours: Text | None = Field(
        default=None,
        description="opening hours as customers read them, e.g. seg–sex 9h–18h, sáb 9h–13h",
    )
    sending_window: SendingWindowIn = SendingWindowIn()

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value not in BRAZILIAN_STATES:
            raise ValueError(f"{value!r} is not a Brazilian state (UF)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. America/Sao_Paulo")
        return value


class BranchOut(BaseModel):
    branch_id: UUID
    chain_id: UUID
    code: str
    name: str
    state: str
    city: str
    timezone: str
    phone: str | None
    address: str | None
    opening_hours: str | None
    sms_starts_at: time
    sms_ends_at: time
    sms_weekdays: list[int]
    updated_at: datetime


class CustomerIn(Body):
    name: Text
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=30)] = (
        Field(description="mobile phone as people type it: (11) 98765-4321, +55 11 98765 4321 …")
    )
    sms_consent: Flag = Field(description="the customer agreed to receive SMS about the order")


class ItemIn(Body):
    kind: Literal["lens", "frame", "contact_lens", "treatment", "service", "other"]
    description: Text
    quantity: Annotated[int, Field(ge=1, le=100)] = 1
    prescription: dict[str, Any] | None = None


class OrderIn(Body):
    branch_id: UUID
    service_type: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] = Field(
        description="the service type's code, e.g. venda-oculos-grau"
    )
    customer: CustomerIn
    items: list[ItemIn] = Field(default=[], max_length=50)
    promised_date: date | None = Field(
        default=None,
        description="the date told to the customer, not before today in the branch's zone; "
        "omit to use the proposal",
    )
    confirm_before_proposal: Flag = Field(
        default=False,
        description="the attendant confirms a promised date earlier than the proposal "
        "(GET /api/v1/quote on workflow); the order then carries promised_before_proposal",
    )
    lab_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{1,20}$")] | None = None
    notes: LongText | None = None
    external_reference: Annotated[str, StringConstraints(max_length=100)] | None = None


class OrderOut(BaseModel):
    order_id: UUID
    chain_id: UUID
    branch_id: UUID
    number: str
    service_type: str
    customer_name: str
    customer_phone: str
    sms_consent: bool
    items: list[dict[str, Any]]
    promised_date: date | None
    lab_code: str | None
    lab_order_number: str | None = Field(
        default=None, description="the lab's own number for the order, from its messages"
    )
    notes: str | None
    external_reference: str | None
    opened_at: datetime
    branch_timezone: str | None = Field(
        default=None, description="the branch's IANA zone; every time here carries its offset"
    )
