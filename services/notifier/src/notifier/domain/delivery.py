"""The delivery decision (pure): send now, hold until the window opens, suppress, or fail.

For one claimed message, in this order:

1. Contact of another chain: **fail** (the data is wrong, a person must look).
2. No consent: **suppress**. The number opted out — by the customer's reply (everywhere) or by
   this chain's staff (not another chain's): **suppress**, naming which.
3. An SMS of a later stage entry of the same order has already gone out (``sent`` or
   ``delivered``): **suppress**; the customer is never told older news after newer, whatever
   order the stage changes reached the notifier in.
4. A message that was held (``was_held``) is dropped (**suppress**) at its window's opening when
   the order closed, or entered a later stage, meanwhile: the news is no longer true.
5. Sending hours respected and outside the branch's window: **hold** until the next opening (in
   UTC), with the local time in the reason; a window that never opens: **fail**.
6. Otherwise: **send**.

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
    later_stage_sent: bool = False
    """An SMS of a later stage entry of this order has reached the provider (``sent`` or
    ``delivered``): this one would tell the customer older news after newer."""


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
    if order.later_stage_sent:
        return Suppress(OLDER_NEWS)
    if was_held:
        reason = overtaken(order)
        if reason is not None:
            return Suppress(reason)
    return None


OLDER_NEWS = "o cliente já recebeu o SMS de uma etapa seguinte desta OS"
"""Why a message is suppressed when a later stage's SMS of its order went out first: the stage
change reached the notifier after the next one (a publish the broker refused and the relay sent
again after it, or two notifier replicas), and the customer is not told older news after
newer."""


def overtaken(order: OrderState) -> str | None:
    """Why a message held for the sending hours will not go out when they open: the order
    closed, or left the message's stage, since; ``None`` while it still will. The dispatcher
    suppresses it with these words, and staff read them beforehand."""
    if order.closed:
        return "a OS foi encerrada antes do horário de envio"
    latest = order.latest_entry_sequence
    if latest is not None and latest > order.entry_sequence:
        return "a OS já passou desta etapa antes do horário de envio"
    return None


# --- After the provider's accept: the ``sent`` write, tried until it lands ---------------------

SENT_WRITE_FIRST_PAUSE = 0.2
SENT_WRITE_MAX_PAUSE = 5.0
"""Pauses between tries of a ``sent`` write: short, so that the write lands soon after the
database answers again."""
SENT_WRITE_MAX_FAILURES = 5
"""Tries in place of a ``sent`` write failing for another reason than an outage (a statement
cancelled, a deadlock, a serialization failure) before the receipt is left for this process's
next claim of the message."""


@dataclass(frozen=True, slots=True)
class WriteAgain:
    """Renew the claim's lease (when the database lets us), wait ``pause`` s, write again."""

    pause: float


@dataclass(frozen=True, slots=True)
class LeaveReceipt:
    """Stop trying in place: the receipt stays kept in the process and the next claim of the
    message by this process records it without a request."""

    reason: str


def after_sent_write_failed(
    *, outage: bool, tries: int, failures: int, max_failures: int | None = None
) -> WriteAgain | LeaveReceipt:
    """The ``sent`` write after a provider's accept failed for the ``tries``-th time, of which
    ``failures`` were not a database outage (busy, away, out of connections).

    An outage is waited for as long as it lasts (the accept is a fact: giving up would send
    the message again); another error is tried ``max_failures`` times. The pause doubles from
    ``SENT_WRITE_FIRST_PAUSE`` to ``SENT_WRITE_MAX_PAUSE``.
    """
    most = SENT_WRITE_MAX_FAILURES if max_failures is None else max_failures
    if not outage and failures > most:
        return LeaveReceipt(f"a gravação de 'enviado' falhou {failures} vezes")
    pause = min(SENT_WRITE_MAX_PAUSE, SENT_WRITE_FIRST_PAUSE * 2 ** max(0, tries - 1))
    return WriteAgain(pause)


# --- A message found ``sending`` whose lease ran out: ask the provider first ------------------

Found = Literal["accepted", "not_found", "unknown"]
"""A provider's answer to "did you take this message?": yes (with its id when it gave one),
no, or it could not tell (the lookup failed, or its answer was not conclusive)."""


@dataclass(frozen=True, slots=True)
class RecordAccepted:
    """The provider has it: record ``sent``, send nothing."""

    provider_message_id: str | None


@dataclass(frozen=True, slots=True)
class CarryOn:
    """Not found at the provider, or the provider allows no lookup: decide and send as for any
    claimed message."""


@dataclass(frozen=True, slots=True)
class LookAgainLater:
    """The provider could not tell: send nothing now; the lease runs out and the next claim
    asks again."""

    reason: str


Reconciliation = RecordAccepted | CarryOn | LookAgainLater | Fail


def after_lost_claim(
    found: Found | None,
    provider_message_id: str | None,
    *,
    attempts: int,
    max_attempts: int,
) -> Reconciliation:
    """What to do with a message claimed again after an earlier claim's lease ran out (that
    claim's process died, or lost its database, between the claim and its outcome).

    ``found`` is the provider's answer for that earlier attempt; None when the provider allows
    no lookup (today's behaviour: the message is sent again, with the same key). An answer that
    stays ``unknown`` through ``max_attempts`` claims fails the message for a person to check,
    rather than risk a second SMS.
    """
    if found is None or found == "not_found":
        return CarryOn()
    if found == "accepted":
        return RecordAccepted(provider_message_id)
    if attempts >= max_attempts:
        return Fail(
            f"o provedor não confirmou, em {attempts} consultas, se recebeu o SMS: "
            "confira no provedor antes de reenviar"
        )
    return LookAgainLater("o provedor não soube dizer se recebeu o SMS; nova consulta depois")
