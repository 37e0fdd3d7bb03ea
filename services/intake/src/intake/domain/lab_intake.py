"""Which lab message is applied to which order, and which is kept rejected or stale.

Rules:
- Every message is stored with its outcome: ``accepted`` (applied on arrival), ``rejected``
  (kept with the reason, for a person to look at and replay), ``replayed`` (rejected once,
  applied on replay) or ``stale`` (older than what the order already shows, kept but not
  published).
- The sender is the lab of the routing key ``lab.<code>.status`` (or of the HTTP API key); the
  body's ``lab_code`` is optional and, when given, must name the same lab. The order is looked
  up by its number within that lab's chain, and must not be with another lab.
- An order is bound to a lab when it is opened with one, or else by the first lab message
  applied to it: from then on another lab's messages about it are rejected, with a reason that
  does not name the lab holding it.
- A message is recognised by (sender, ``message_id``): a resend of an applied or stale message
  changes nothing (duplicate); a resend of a rejected one is tried again on the same row.
- Intake keeps the latest applied ``occurred_at`` per (order, lab); an older message is stale.
  One with the same instant is applied (the lab reported two steps at once).
- ``occurred_at`` must fall within a window around the time intake received the message
  (``LabTimeWindow``: 30 days back, 10 minutes ahead by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from intake.domain.lab_message import LabMessage, LabTimeWindow, Unreadable
from intake.domain.records import Lab, LabMessageStatus, Order

LAB_CONSUMER = "intake.lab.status"
"""The lab queue's name (before the topology prefix) and its consumer's name in metrics."""
OutcomeStatus = LabMessageStatus | Literal["duplicate"]


class NotReplayable(ValueError):
    """Only a rejected message can be replayed."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What becomes of one message: its status, the reason, the order it names."""

    status: LabMessageStatus
    reason: str | None = None
    order_id: UUID | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    lab_message_id: UUID
    status: OutcomeStatus
    reason: str | None = None
    order_id: UUID | None = None


def check_message(
    sender: Lab | None,
    sender_code: str,
    message: LabMessage | Unreadable,
    window: LabTimeWindow,
    received_at: datetime,
) -> Decision | LabMessage:
    """The rejection of a message before its order is looked at, or the message to apply."""
    if sender is None:
        return Decision("rejected", f"lab {sender_code!r} is not registered")
    if isinstance(message, Unreadable):
        return Decision("rejected", message.reason)
    if (out_of_window := window.refusal(message.occurred_at, received_at)) is not None:
        return Decision("rejected", out_of_window)
    if message.lab_code is not None and message.lab_code != sender.code:
        return Decision(
            "rejected",
            f"lab_code: {message.lab_code!r} differs from the sending lab {sender.code!r}",
        )
    return message


def check_order(order: Order | None, sender: Lab, message: LabMessage) -> Decision | None:
    """The rejection when the message's order is unknown or with another lab, else None."""
    if order is None:
        return Decision(
            "rejected", f"order_number: no order {message.order_number} in this lab's chain"
        )
    if order.lab_code is not None and order.lab_code != sender.code:
        return with_another_lab(order.order_id, message)
    return None


def with_another_lab(order_id: UUID, message: LabMessage) -> Decision:
    """Another lab holds the order; the reason does not say which."""
    return Decision(
        "rejected", f"order_number: order {message.order_number} is with another lab", order_id
    )


def stale(order_id: UUID, message: LabMessage) -> Decision:
    return Decision(
        "stale",
        "occurred_at: older than the lab status this order already shows",
        order_id,
        message.occurred_at,
    )
