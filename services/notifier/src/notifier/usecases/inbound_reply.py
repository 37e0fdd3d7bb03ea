"""A customer's reply through a provider: PARE/SAIR/STOP/CANCELAR opt the number out everywhere,
VOLTAR/START lift the customer's own opt-out; anything else changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from notifier.domain.callbacks import InboundReply
from notifier.domain.replies import classify_reply, reply_keyword
from notifier.usecases.opt_outs import opt_in, opt_out
from notifier.usecases.ports import UnitOfWork
from shared.phones import normalize_phone

ReplyResult = Literal["opt_out", "opt_in", "ignored"]


async def handle_reply(
    uow: UnitOfWork, provider: str, reply: InboundReply | None, now: datetime
) -> ReplyResult:
    """What the reply did. Raises ``shared.phones.InvalidPhone`` for a command from an
    unreadable number."""
    if reply is None or (command := classify_reply(reply.text)) is None:
        return "ignored"
    phone = normalize_phone(reply.phone)
    async with uow() as stores:
        if command == "opt_out":
            await opt_out(
                stores,
                phone,
                source="reply",
                now=now,
                provider=provider,
                keyword=reply_keyword(reply.text),
            )
        else:
            await opt_in(stores, phone)
    return command
