"""The delivery decision (pure): send now, hold until the window opens, suppress, or fail.

For one claimed message, in this order:

1. Contact of another chain: **fail** (the data is wrong, a person must look).
2. No consent: **suppress**. The number opted out — by the customer's reply (everywhere) or by
   this chain's staff (not another chain's): **suppress**, naming which.
3. A message that was held (``was_held``) is dropped (**suppress**) at its window's opening when
   the order closed, or entered a later stage, meanwhile: the news is no longer true.
4. Sending hours respected and outside the branch's window: **hold** until the next opening (in
   UTC), with the local time in the reason; a window that never opens: **fail**.
5. Otherwise: **send**.

An unknown time zone is not the decision's to mend: ``ZoneInfo`` raises and the dispatcher logs
it, counts it and goes on with the other messages.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from notifier.domain.window import NoSendingDay, SendingWindow, next_opening

OptOutSource = Literal["reply", "staff"]


@dataclass(frozen=True, slots=True)
class Consent:
    """What the notifier knows of the customer's number for this message's chain."""

    contact_of_this_chain: bool
    sms_consent: bool
    opted_out_by: OptOutSource | None = None
    """The customer's own opt-out (everywhere) or this chain's staff one; another chain's staff
    opt-out never reaches here."""


@dataclass(frozen=True, slots=True)
class OrderState:
    """What the notifier knows of the order since the message was recorded."""

    entry_sequence: int
    """The stage entry the message is about."""
    latest_entry_sequence: int | None = None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Send:
    pass


@dataclass(frozen=True, slots=True)
class Hold:
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Suppress:
    reason: str


@dataclass(frozen=True, slots=True)
class Fail:
    reason: str


Decision = Send | Hold | Suppress | Fail


def decide(
    *,
    now: datetime,
    was_held: bool,
    consent: Consent,
    order: OrderState,
    window: SendingWindow | None,
    closed_days: AbstractSet[date] = frozenset(),
) -> Decision:
    """What to do with a claimed message now. ``window`` None: send at any hour."""
    refusal = _refusal(was_held, consent, order)
    if refusal is not None:
        return refusal
    if window is None:
        return Send()
    try:
        opening = next_opening(now, window, closed_days)
    except NoSendingDay as exc:
        return Fail(str(exc))
    if opening is None:
        return Send()
    local = opening.astimezone(ZoneInfo(window.timezone))
    return Hold(opening, f"fora do horário de envio da filial; envio em {local:%d/%m/%Y às %H:%M}")


def _refusal(was_held: bool, consent: Consent, order: OrderState) -> Fail | Suppress | None:
    if not consent.contact_of_this_chain:
        return Fail("o contato da OS pertence a outra rede")
    if not consent.sms_consent:
        return Suppress("cliente sem consentimento para SMS")
    if consent.opted_out_by == "staff":
        return Suppress("o número foi descadastrado pela equipe")
    if consent.opted_out_by == "reply":
        return Suppress("o número pediu para não receber SMS")
    if was_held:
        if order.closed:
            return Suppress("a OS foi encerrada antes do horário de envio")
        latest = order.latest_entry_sequence
        if latest is not None and latest > order.entry_sequence:
            return Suppress("a OS já passou desta etapa antes do horário de envio")
    return None
