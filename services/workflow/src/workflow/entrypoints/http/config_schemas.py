"""Request and response bodies of flows, calendars and quotes.

Request bodies check shapes and types only (pydantic, 400 with the field's path); the rules
that need the whole flow or calendar (``workflow.usecases.flow_rules``,
``workflow.domain.calendar_settings``) answer 400 with every problem named, e.g.
``stages[2].planned_days: must be ≥ 0``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.flags import Flag
from workflow.adapters.holidays import HolidaySource, OptionalDay
from workflow.domain.calendar import DayCounting
from workflow.domain.flow import Stage
from workflow.domain.flow_diff import Value


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageIn(Body):
    key: str = Field(description="stable identifier within the flow, e.g. montagem")
    name: str = Field(description="what staff and customers read, e.g. Montagem")
    planned_days: int = Field(description="0 to 365")
    counting: DayCounting = Field(
        default=DayCounting.BUSINESS, description="business (dias úteis) or calendar (corridos)"
    )
    description: str = ""
    sms_template: str | None = Field(
        default=None, description="the customer's SMS on entering the stage; null sends none"
    )
    responsible_role: str | None = None
    lab_statuses: list[str] = Field(
        default=[], description="lab statuses that move an order into this stage"
    )
    pauses_clock: Flag = Field(
        default=False, description="the order's clock stops while it waits here"
    )
    sms_on_reentry: Flag = Field(
        default=False,
        description="send the stage's SMS again when the order returns to the stage "
        "(by default the customer gets it once per order)",
    )
    visible_to_customer: Flag = Field(
        default=True, description="shown on the customer's page (/a/<token>); false hides it"
    )
    customer_name: str | None = Field(
        default=None,
        description="what the customer reads for this stage (page, SMS {etapa}); null: name",
    )

    def to_stage(self) -> Stage:
        return Stage(
            key=self.key,
            name=self.name,
            planned_days=self.planned_days,
            counting=self.counting,
            description=self.description,
            sms_template=self.sms_template,
            responsible_role=self.responsible_role,
            lab_statuses=tuple(self.lab_statuses),
            pauses_clock=self.pauses_clock,
            sms_on_reentry=self.sms_on_reentry,
            visible_to_customer=self.visible_to_customer,
            customer_name=self.customer_name,
        )


class FlowChange(Body):
    name: str
    active: Flag = Field(default=True, description="false: intake refuses new orders of the type")
    stages: list[StageIn] = Field(max_length=200)

    def to_stages(self) -> tuple[Stage, ...]:
        return tuple(stage.to_stage() for stage in self.stages)


class FlowIn(FlowChange):
    code: str = Field(description="the service type's code, e.g. venda-oculos-grau")


class StageOut(BaseModel):
    key: str
    name: str
    planned_days: int
    counting: DayCounting
    description: str
    sms_template: str | None
    responsible_role: str | None
    lab_statuses: list[str]
    pauses_clock: bool
    visible_to_customer: bool
    customer_name: str | None
    sms_on_reentry: bool = False

    @classmethod
    def of(cls, stage: Stage) -> StageOut:
        return cls(
            key=stage.key,
            name=stage.name,
            planned_days=stage.planned_days,
            counting=stage.counting,
            description=stage.description,
            sms_template=stage.sms_template,
            responsible_role=stage.responsible_role,
            lab_statuses=list(stage.lab_statuses),
            pauses_clock=stage.pauses_clock,
            sms_on_reentry=stage.sms_on_reentry,
            visible_to_customer=stage.visible_to_customer,
            customer_name=stage.customer_name,
        )


class FlowVersionOut(BaseModel):
    code: str
    name: str
    version: int
    stages: list[dict[str, object]]
    created_at: datetime
    created_by: str | None


class ServiceTypeDetail(BaseModel):
    code: str
    name: str
    active: bool
    version: int = Field(description="the latest flow version, taken by new orders")
    stages: list[dict[str, object]]
    created_at: datetime = Field(description="when the latest version was saved")
    created_by: str | None


class SavedServiceType(ServiceTypeDetail):
    created_version: bool = Field(
        description="false when the flow was the same as the latest version (none was made)"
    )


class FieldChangeOut(BaseModel):
    field: str
    before: Value
    after: Value


class PlacedStage(BaseModel):
    position: int
    stage: StageOut


class StageChangeOut(BaseModel):
    key: str
    changes: list[FieldChangeOut]


class FlowDiffOut(BaseModel):
    code: str
    from_version: int
    to_version: int
    unchanged: bool
    name: FieldChangeOut | None
    added: list[PlacedStage]
    removed: list[PlacedStage]
    changed: list[StageChangeOut]


# --- calendars -------------------------------------------------------------------------------


class DatedDayIn(Body):
    date: date
    description: str
    every_year: Flag = Field(default=False, description="repeat on this day every year")


class ClosureIn(Body):
    date: date
    description: str = Field(description="e.g. Fechamento para inventário")


class BranchCalendarIn(Body):
    working_weekdays: list[int] = Field(
        default=[0, 1, 2, 3, 4], description="0 = Monday … 6 = Sunday"
    )
    opens_at: time = time(9, 0)
    closes_at: time = time(18, 0)
    closing_by_weekday: dict[int, time] = Field(
        default={}, description='another closing time on some weekdays, e.g. {"5": "13:00"}'
    )
    municipal_holidays: list[DatedDayIn] = Field(default=[], max_length=200)
    closures: list[ClosureIn] = Field(default=[], max_length=500)


class DatedDayOut(BaseModel):
    date: date
    description: str
    every_year: bool = False


class CalendarSettingsOut(BaseModel):
    working_weekdays: list[int]
    opens_at: time
    closes_at: time
    closing_by_weekday: dict[int, time]
    municipal_holidays: list[DatedDayOut]
    closures: list[DatedDayOut]


class ClosedDayOut(BaseModel):
    date: date
    weekday: str
    name: str
    source: HolidaySource


class BranchCalendarOut(BaseModel):
    branch_id: UUID
    code: str
    name: str
    state: str
    city: str
    timezone: str
    city_holidays_known: bool = Field(
        description="whether this service knows the city's municipal holidays; when false, "
        "give them in municipal_holidays"
    )
    settings: CalendarSettingsOut
    optional_days: list[OptionalDay] = Field(description="the chain's choice, for all branches")
    revision: int
    updated_at: datetime | None
    updated_by: str | None
    from_date: date
    to_date: date
    closed_days: list[ClosedDayOut] = Field(
        description="holidays and closures from from_date to to_date (weekly rest not listed)"
    )


class OptionalDaysIn(Body):
    optional_days: list[OptionalDay]


class OptionalDayChoice(BaseModel):
    key: OptionalDay
    label: str
    chosen: bool


class OptionalDaysOut(BaseModel):
    optional_days: list[OptionalDay]
    available: list[OptionalDayChoice]
    updated_at: datetime | None
    updated_by: str | None


# --- quote -----------------------------------------------------------------------------------


class QuotedStage(BaseModel):
    position: int
    key: str
    name: str
    planned_days: int
    counting: DayCounting
    pauses_clock: bool
    starts_at: datetime
    due_at: datetime
    explanation: str


class QuoteOut(BaseModel):
    service_type: str
    service_type_name: str
    flow_version: int
    branch_id: UUID
    branch_code: str
    timezone: str
    start: datetime = Field(description="the start, in the branch's time zone")
    due_at: datetime
    promised_date: date = Field(description="the proposed promised date: the last stage's day")
    explanation: str
    stages: list[QuotedStage]
