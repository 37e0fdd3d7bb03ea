"""The customer's status page (``/a/<token>``): what it says, from workflow's tracking read.

Rules:
- The page shows only what workflow's public read gives (chain, branch, first name, order
  number, visible stages, status, dates); it never asks any other API.
- Status in plain words: ``open`` "Em andamento", ``ready`` "Pronta para retirada",
  ``delivered`` "Entregue", ``cancelled`` "Cancelada". An expired link says the order was
  closed and gives the branch's phone; an unknown one says the link was not found.
- Dates as dd/mm/aaaa. When the forecast falls after the date agreed with the customer, the
  page says so in words (the shop was warned: the order is flagged at risk on its board) and
  points to the shop's contact, rather than leaving two dates that disagree unexplained.
- The branch's phone becomes a ``tel:`` link, and a WhatsApp link when it
  is a Brazilian mobile (11 digits with a 9 after the area code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from console.domain.formatting import day_text

STATUS_LABELS = {
    "open": "Em andamento",
    "ready": "Pronta para retirada",
    "delivered": "Entregue",
    "cancelled": "Cancelada",
}
PROGRESS_LABELS = {"done": "concluída", "current": "etapa atual", "upcoming": "próxima"}


@dataclass(frozen=True, slots=True)
class StageStep:
    name: str
    progress: str
    """``done``, ``current`` or ``upcoming`` (the CSS class too)."""

    @property
    def label(self) -> str:
        return PROGRESS_LABELS.get(self.progress, "")


@dataclass(frozen=True, slots=True)
class BranchCard:
    name: str
    address: str | None
    phone: str | None
    opening_hours: str | None
    tel_href: str | None
    whatsapp_href: str | None


@dataclass(frozen=True, slots=True)
class TrackingPage:
    kind: str
    """``order`` (open or closed), ``expired``, ``not_found``, ``too_many`` or ``unavailable``."""
    status: str | None = None
    status_label: str = ""
    chain_name: str | None = None
    branch: BranchCard | None = None
    first_name: str | None = None
    order_number: str | None = None
    stages: tuple[StageStep, ...] = ()
    current_stage: str | None = None
    promised: str = "—"
    forecast: str = "—"
    forecast_after_promised: bool = False

    @property
    def title(self) -> str:
        if self.kind == "order" and self.order_number:
            return f"OS {self.order_number}"
        if self.kind == "expired":
            return "OS encerrada"
        if self.kind == "too_many":
            return "Muitas tentativas"
        if self.kind == "unavailable":
            return "Página indisponível"
        return "Link não encontrado"


def tracking_page(status_code: int, body: dict[str, Any] | None) -> TrackingPage:
    """The page for workflow's answer (200 or 404 with its body; 429 as ``too_many``)."""
    if status_code == 429:
        return TrackingPage(kind="too_many")
    data = body or {}
    status = data.get("status")
    if status_code == 404 or status not in STATUS_LABELS:
        kind = "expired" if status == "expired" else "not_found"
        return TrackingPage(
            kind=kind, chain_name=_text(data.get("chain_name")), branch=_branch(data.get("branch"))
        )
    return TrackingPage(
        kind="order",
        status=status,
        status_label=STATUS_LABELS[status],
        chain_name=_text(data.get("chain_name")),
        branch=_branch(data.get("branch")),
        first_name=_text(data.get("customer_first_name")),
        order_number=_text(data.get("order_number")),
        stages=tuple(
            StageStep(str(s.get("name", "")), str(s.get("progress", "upcoming")))
            for s in data.get("stages") or []
            if isinstance(s, dict)
        ),
        current_stage=_text(data.get("current_stage")),
        promised=_day(data.get("promised_date")),
        forecast=_day(data.get("forecast_date")),
        forecast_after_promised=status == "open"
        and _after(data.get("forecast_date"), data.get("promised_date")),
    )


def phone_links(phone: str | None) -> tuple[str | None, str | None]:
    """(``tel:`` href, WhatsApp href or None) for a Brazilian phone as typed."""
    if not phone:
        return None, None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("55") and len(digits) in (12, 13):
        digits = digits[2:]
    if len(digits) not in (10, 11) or digits.startswith("0"):  # 0800, short numbers
        return (f"tel:{digits}" if digits else None), None
    mobile = len(digits) == 11 and digits[2] == "9"
    return f"tel:+55{digits}", (f"https://wa.me/55{digits}" if mobile else None)


def _branch(data: Any) -> BranchCard | None:
    if not isinstance(data, dict) or not data.get("name"):
        return None
    phone = _text(data.get("phone"))
    tel, whatsapp = phone_links(phone)
    return BranchCard(
        name=str(data["name"]),
        address=_text(data.get("address")),
        phone=phone,
        opening_hours=_text(data.get("opening_hours")),
        tel_href=tel,
        whatsapp_href=whatsapp,
    )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _day(value: Any) -> str:
    day = _date(value)
    return day_text(day) if day else "—"


def _after(later: Any, earlier: Any) -> bool:
    first, second = _date(later), _date(earlier)
    return first is not None and second is not None and first > second


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
