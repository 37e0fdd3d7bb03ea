"""A consumer holds its messages through a database outage: never a nack for an outage.

Rules:
- An attempt that fails for a database outage (``shared.database.DATABASE_OUTAGE``) is tried
  again, with a pause that doubles from ``OUTAGE_FIRST_PAUSE`` to ``OUTAGE_MAX_PAUSE``, for as
  long as the outage lasts; the messages stay with the consumer meanwhile (unacked, never
  nacked), so an outage never counts against a message's delivery limit.
- Each try is a new transaction with its inbox claims, so a commit lost with the connection is
  not applied twice.
- Any other error is given back to the caller: for one message, to be nacked; for a batch, to
  be handled one message at a time (``shared.consumer_batches``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from shared.database import DATABASE_OUTAGE
from shared.logging import get_logger
from shared.metrics import HANDLING_SECONDS, MESSAGES_HANDLED

log = get_logger(__name__)

OUTAGE_FIRST_PAUSE = 0.5
OUTAGE_MAX_PAUSE = 30.0


async def hold_through_outages(
    attempt: Callable[[], Awaitable[None]], *, service: str, consumer: str, message_id: object
) -> None:
    """Run ``attempt`` (one message) until it does not fail for a database outage; re-raise
    any other error (counted and logged as the message's failure). The whole time, outages
    included, is the message's handling time."""
    handling = HANDLING_SECONDS.labels(service=service, consumer=consumer)
    started = time.perf_counter()
    try:
        tries = await _until_no_outage(
            attempt, service=service, consumer=consumer, message_ids=(message_id,)
        )
    except Exception:
        MESSAGES_HANDLED.labels(service=service, consumer=consumer, outcome="failed").inc()
        handling.observe(time.perf_counter() - started)
        log.exception("message_handler_failed", message_id=str(message_id))
        raise
    if tries:
        log.info("database_back_message_handled", message_id=str(message_id), tries=tries)
    handling.observe(time.perf_counter() - started)


async def hold_batch_through_outages(
    attempt: Callable[[], Awaitable[None]],
    *,
    service: str,
    consumer: str,
    message_ids: Sequence[object],
    abandoned: Callable[[], bool],
) -> bool:
    """Run ``attempt`` (a batch, in one transaction) until it does not fail for a database
    outage; any other error is re-raised as it is (the caller handles the batch one by one).
    Each message of the batch counts as ``held`` at each try that meets an outage. Stops
    holding, and returns False, once ``abandoned()`` (every message went with its channel)."""
    tries = await _until_no_outage(
        attempt,
        service=service,
        consumer=consumer,
        message_ids=message_ids,
        abandoned=abandoned,
    )
    if tries < 0:
        return False
    if tries:
        log.info("database_back_batch_handled", messages=len(message_ids), tries=tries)
    return True


async def _until_no_outage(
    attempt: Callable[[], Awaitable[None]],
    *,
    service: str,
    consumer: str,
    message_ids: Sequence[object],
    abandoned: Callable[[], bool] = lambda: False,
) -> int:
    """The outages met before ``attempt`` got through (-1: given up as abandoned)."""
    held = MESSAGES_HANDLED.labels(service=service, consumer=consumer, outcome="held")
    pause = OUTAGE_FIRST_PAUSE
    tries = 0
    while True:
        try:
            await attempt()
        except DATABASE_OUTAGE as exc:
            tries += 1
            held.inc(len(message_ids))
            log.warning(
                "database_unavailable_message_held",
                message_id=str(message_ids[0]),
                messages=len(message_ids),
                tries=tries,
                retry_in=pause,
                error=f"{type(exc).__name__}: {exc}",
            )
            await asyncio.sleep(pause)
            pause = min(OUTAGE_MAX_PAUSE, pause * 2)
            if abandoned():
                return -1
        else:
            return tries
