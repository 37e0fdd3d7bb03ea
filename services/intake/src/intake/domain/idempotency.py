"""``Idempotency-Key``: the first request with a key claims it; a retry finds what it made.

A key belongs to a chain. The same key with the same request (same fingerprint) returns the
earlier result; with another request it is a conflict (409). The key is claimed *first* in a
request's transaction, before a number or anything else is taken, so a retry takes nothing.
"""

from __future__ import annotations

from typing import Literal

KeyKind = Literal["order", "action"]
"""Orders and actions keep their keys apart: one key may open an order and act on one."""


class IdempotencyConflict(ValueError):
    """The key was used before with a different request."""

    def __init__(self) -> None:
        super().__init__(
            "esta Idempotency-Key já foi usada com outro conteúdo de requisição; "
            "use uma chave nova para um pedido diferente"
        )
