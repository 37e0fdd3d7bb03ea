"""Opening an order at the counter: what the request must say and how its number is made.

Rules:
- The order number is ``<branch code>-<6-digit sequence>``, per branch, without gaps (the
  sequence is taken in the order's transaction, so a failed request gives its number back).
- A promised date before today *in the branch's time zone* is refused (the order would be late
  at birth). Whether it is earlier than the flow's proposal only workflow knows: the counter
  says it meant it with ``confirm_before_proposal``, which travels in ``order.opened.v1``.
- A request's fingerprint (for ``Idempotency-Key``) is the SHA-256 of its canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from intake.domain.records import JsonObject


class UnknownBranch(LookupError):
    pass


class InvalidOrderField(ValueError):
    """A field names something the chain does not have; ``field`` says which."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class NewOrder:
    branch_id: UUID
    service_type: str
    customer_name: str
    customer_phone: str  # E.164, already validated
    sms_consent: bool
    items: list[JsonObject]
    promised_date: date | None
    lab_code: str | None
    notes: str | None
    external_reference: str | None
    confirm_before_proposal: bool = False
    """The counter confirmed a promised date earlier than the proposal on purpose."""

    def fingerprint(self) -> str:
        fields = {field: getattr(self, field) for field in self.__slots__}
        if not self.confirm_before_proposal:  # keys taken before the flag existed still match
            del fields["confirm_before_proposal"]
        canonical = json.dumps(fields, default=str, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def order_number(branch_code: str, seq: int) -> str:
    """``SP01`` and 123 → ``SP01-000123``."""
    return f"{branch_code}-{seq:06d}"


def check_promised_date(promised: date | None, timezone: str, branch: str, now: datetime) -> None:
    """Refuse a promised date that is already past in the branch's time zone."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if promised is not None and promised < today:
        raise InvalidOrderField(
            "promised_date",
            f"a data prometida ({promised:%d/%m/%Y}) já passou: hoje é {today:%d/%m/%Y} "
            f"na filial {branch}",
        )
