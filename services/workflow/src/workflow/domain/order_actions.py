"""What can be asked of an order (commands, imperative) and what it answers (events, past tense).

Commands come from the staff (through intake's HTTP API) or from a lab system; ``actor`` is who
asked, as the timeline shows it. Events carry what the shell needs to store and publish without
looking at the state again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from workflow.domain.deadlines import Deadline
from workflow.domain.flow import Stage
from workflow.domain.pauses import PauseCredit

ReopenKind = Literal["remake", "warranty"]

# --- Commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Advance:
    """Move to the next stage, or straight to the later stage whose key is ``to_stage``."""

    actor: str
    to_stage: str | None = None


@dataclass(frozen=True, slots=True)
class Back:
    """Return to the previous stage (a lens to redo, a frame to adjust)."""

    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class Pause:
    """Stop the clock: waiting for the customer, for a frame."""

    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class Resume:
    actor: str


@dataclass(frozen=True, slots=True)
class Assign:
    """Hand the order to a person: ``assignee`` is their name, ``assignee_id`` their user id
    (None when a client named someone in free text)."""

    actor: str
    assignee: str
    assignee_id: str | None = None


@dataclass(frozen=True, slots=True)
class AddNote:
    actor: str
    text: str


@dataclass(frozen=True, slots=True)
class Cancel:
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class Deliver:
    actor: str


@dataclass(frozen=True, slots=True)
class Reopen:
    """Open a remake/warranty order linked to this delivered or cancelled one."""

    actor: str
    reason: str
    kind: ReopenKind = "remake"


@dataclass(frozen=True, slots=True)
class ApplyLabStatus:
    """A lab's status report, already normalized by intake (``surfacing``, ``on_hold`` …)."""

    status: str
    eta: date | None
    reported_at: datetime


Command = (
    Advance | Back | Pause | Resume | Assign | AddNote | Cancel | Deliver | Reopen | ApplyLabStatus
)

# --- Events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageEntered:
    """The order entered a stage (published as order.stage_changed)."""

    from_stage: Stage | None
    from_position: int | None
    to_stage: Stage
    to_position: int
    entry_sequence: int
    entered_at: datetime
    deadline: Deadline
    projected_completion_at: datetime
    reason: str | None = None
    """Why the order went back to this stage (``Back``); None for any other entry."""


@dataclass(frozen=True, slots=True)
class Paused:
    actor: str
    reason: str
    paused_at: datetime


@dataclass(frozen=True, slots=True)
class Resumed:
    actor: str
    resumed_at: datetime
    paused_for: timedelta
    """How long the clock was stopped (wall-clock time)."""
    stage_due_at: datetime
    projected_completion_at: datetime
    credit: PauseCredit
    """The business days the stop gave back to the stage's due time."""


@dataclass(frozen=True, slots=True)
class Assigned:
    actor: str
    assignee: str
    previous: str | None
    assignee_id: str | None = None
    stage: str | None = None
    """The stage whose default responsible the person is, when the assignment was automatic."""


@dataclass(frozen=True, slots=True)
class NoteAdded:
    actor: str
    text: str


@dataclass(frozen=True, slots=True)
class Cancelled:
    actor: str
    reason: str
    cancelled_at: datetime


@dataclass(frozen=True, slots=True)
class Delivered:
    actor: str
    delivered_at: datetime


@dataclass(frozen=True, slots=True)
class ReopenRequested:
    """Asks the shell to create the remake/warranty order (ids come from the shell)."""

    actor: str
    reason: str
    requested_at: datetime
    kind: ReopenKind = "remake"


@dataclass(frozen=True, slots=True)
class LabStatusApplied:
    status: str
    eta: date | None
    reported_at: datetime
    moved: bool
    """True when the status moved the order to a later stage (a StageEntered follows)."""


@dataclass(frozen=True, slots=True)
class ForecastChanged:
    previous: date | None
    eta: date


@dataclass(frozen=True, slots=True)
class PromisedBeforeProposal:
    """At opening: the counter promised a date earlier than the flow's proposal."""

    promised_date: date
    proposed_date: date
    confirmed: bool
    """The counter confirmed it on purpose (``confirm_before_proposal``)."""


@dataclass(frozen=True, slots=True)
class Replanned:
    """The projected completion moved with no stage entry (a lab forecast came or went)."""

    previous: datetime
    projected_completion_at: datetime
    lab_eta: date | None
    """The lab forecast the new projection follows; None when it follows the stage."""


Event = (
    StageEntered
    | Paused
    | Resumed
    | Assigned
    | NoteAdded
    | Cancelled
    | Delivered
    | ReopenRequested
    | LabStatusApplied
    | ForecastChanged
    | Replanned
    | PromisedBeforeProposal
)
