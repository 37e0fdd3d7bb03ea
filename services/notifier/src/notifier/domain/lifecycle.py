"""A message's lifecycle (pure): its states and the moves between them.

```
            claim                 provider accepts            delivery report
 pending ───────────> sending ─────────────────────> sent ───────────────────> delivered
    ^  │                 │ │ │                         │
    │  │ opt-out         │ │ └─ outside the window ──> held ──(claimed at the opening)──> sending
    │  v                 │ └─── refused, or no way to send it ──> failed / suppressed
 suppressed <────────────┘
    ^        round failed, rounds left: back to pending (next_attempt_at later)
    └── a held message whose number opted out, or whose news went stale
```

- ``pending`` and ``held`` are waiting; ``sending`` carries a lease (``locked_until``): a claim
  whose lease ran out is claimed again (``sending`` → ``sending``) with the same send key.
- A provider's accept is a fact: recorded late (its write met a database outage while the lease
  ran out), it lands on the message even when it went back to ``pending`` or ``held``.
- ``sent`` waits for a delivery report (``delivered`` or ``failed``); ``delivered``, ``failed``
  and ``suppressed`` are final.
- A message is born ``pending``, or ``suppressed`` when its stage already reached the customer.
"""

from __future__ import annotations

from typing import Literal

MessageState = Literal["pending", "sending", "held", "sent", "delivered", "failed", "suppressed"]

MOVES: dict[MessageState, frozenset[MessageState]] = {
    "pending": frozenset({"sending", "suppressed", "sent"}),
    "held": frozenset({"sending", "suppressed", "sent"}),
    "sending": frozenset({"sending", "pending", "held", "sent", "failed", "suppressed"}),
    "sent": frozenset({"delivered", "failed"}),
    "delivered": frozenset(),
    "failed": frozenset(),
    "suppressed": frozenset(),
}
"""Every move a message may make; anything else is a bug."""

WAITING: frozenset[MessageState] = frozenset({"pending", "held"})
"""Claimable when due; what an opt-out turns into ``suppressed``."""
FINAL: frozenset[MessageState] = frozenset({"delivered", "failed", "suppressed"})
ON_ITS_WAY: frozenset[MessageState] = frozenset({"pending", "sending", "sent", "delivered"})
"""A stage's message that counts as given to the customer when the order comes back to the
stage (``held`` does not: the stale-news rule drops it at the opening)."""
ACCEPT_LANDS_ON: frozenset[MessageState] = frozenset({"sending", "pending", "held"})
"""A provider's accept is a fact: it is recorded on any unfinished message, whoever holds the
lease now."""


def can_move(current: MessageState, new: MessageState) -> bool:
    return new in MOVES[current]


def born(suppressed_reason: str | None) -> MessageState:
    """A new stage message's first state."""
    return "pending" if suppressed_reason is None else "suppressed"
