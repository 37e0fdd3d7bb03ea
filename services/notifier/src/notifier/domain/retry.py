"""When a failed sending round is tried again (pure; the jitter is given by the caller).

Round ``n`` failed: with rounds left, the next one is due after ``base · 2^(n-1)`` seconds
(capped at an hour), of which the second half is spread by ``jitter`` (0..1) so that many
messages failing together do not come back together; with no rounds left the message fails.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RETRY_DELAY = 3600.0


@dataclass(frozen=True, slots=True)
class RetryIn:
    seconds: float


@dataclass(frozen=True, slots=True)
class GiveUp:
    reason: str


def after_failed_round(
    attempts: int, max_attempts: int, base_delay: float, jitter: float, error: str
) -> RetryIn | GiveUp:
    if attempts >= max_attempts:
        return GiveUp(f"{attempts} rodadas de envio falharam; última: {error}")
    delay = min(MAX_RETRY_DELAY, base_delay * 2 ** (attempts - 1))
    return RetryIn(delay / 2 + jitter * (delay / 2))
